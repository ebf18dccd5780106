"""The shop HTTP API (C10): ``/api/shop/v1/<shop_id>/…``, described by ``GET /api/shop/v1/openapi.json``.

================================================  ==========================================================
route                                             does
================================================  ==========================================================
``GET  /<shop_id>/orders?after=&limit=``          published (and re-published) orders after a cursor
``POST /<shop_id>/orders/<id>/acknowledge``       the shop created the order: its number (idempotent)
``POST /<shop_id>/orders/<id>/status``            the order moved to a declared status → ``StatusChanged``
``POST /<shop_id>/orders/<id>/shipments``         a shipment → ``Shipped`` (once per ``shipment_id``)
``PUT  /<shop_id>/statuses``                      declare the shop's order statuses
``PUT  /<shop_id>/products``                      upsert up to 1000 products (catalogue, stock, price)
``PUT  /<shop_id>/stock``                         stock and price of up to 1000 known products
``GET  /openapi.json``                            the OpenAPI 3.0 description (public)
================================================  ==========================================================

Every route but the description is protected by the shop's API token
(``Authorization: Bearer …``, compared in constant time; 401 otherwise) and is
CSRF-exempt (a machine endpoint). A body that does not validate gets 400 with
per-field messages and changes nothing; an unknown order 404.

A push that recorded something new (a status change, a shipment, changed stock
or prices) is committed first, then handed to the engine and delivered at once
(:mod:`.delivery`, S2); the shop poll reads the same rows later as the safety net.
"""
from __future__ import annotations

import functools
import hmac
import json
import logging
from pathlib import Path
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, request
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from marketbridge.host import current_host
from marketbridge.models import Shop, db
from marketbridge.web import csrf

from marketbridge_http_api import catalogue, events, orders, schemas
from marketbridge_http_api.delivery import deliver_now
from marketbridge_http_api.feeds import feed_of, feed_row, touch
from marketbridge_http_api.settings import api_token
from marketbridge_http_api.tables import feeds

log = logging.getLogger(__name__)

KIND = "http_api"
PREFIX = "/api/shop/v1"
OPENAPI_PATH = Path(__file__).parent / "openapi.json"


def _json(body: Any, status: int = 200) -> Response:
    return current_app.response_class(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, error: str, message: str, fields: Any = None) -> Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if fields is not None:
        body["fields"] = fields
    return _json(body, status)


def _invalid(exc: ValidationError) -> Response:
    db.session.rollback()
    messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
    return _error(400, "invalid_request", "The request does not validate; see fields.",
                  json.loads(json.dumps(messages, default=str)))


def _not_found(order_id: str) -> Response:
    return _error(404, "not_found", f"No order {order_id} was published for this shop.")


def _body() -> Any:
    """The JSON body, or a ValidationError naming the body."""
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationError({"_body": ["Send a JSON body (Content-Type: application/json)."]})
    return body


def _authenticated(view: Callable[..., Response]) -> Callable[..., Response]:
    """Resolve ``shop_id`` to its feed after checking the bearer token; 401 for anything wrong.

    The view is called as ``view(feed, shop_id, **route_arguments)``.
    """

    @functools.wraps(view)
    def wrapper(shop_id: int, **kwargs: Any) -> Response:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        shop = db.session.get(Shop, shop_id)
        expected = api_token(current_host().open(shop.secrets)) if shop is not None and shop.kind == KIND else None
        # compare_digest even when the shop is unknown, so timing does not tell which shop ids exist
        ok = hmac.compare_digest(given.encode(), (expected or "\0" * 64).encode()) and expected is not None
        if not given or not ok:
            log.info("shop API call refused for shop %s", shop_id)
            return _error(401, "unauthorized", "Send this shop's API token as 'Authorization: Bearer <token>'.")
        host = current_host()
        feed = feed_of(host.shop_state(shop))
        touch(feed, host.clock.now())
        db.session.commit()  # the feed and the call are remembered even when the request is refused below
        try:
            return view(feed, shop.id, **kwargs)
        except ValidationError as exc:
            return _invalid(exc)

    return wrapper


# -- orders ---------------------------------------------------------------------------------------------------
@_authenticated
def list_orders(feed: str, shop_id: int) -> Response:
    """``GET /orders``: published orders after the cursor, oldest first."""
    query = schemas.PageQuery().load(request.args.to_dict())
    rows, last, more = orders.page(feed, query["after"], query["limit"])
    db.session.commit()
    return _json({"orders": [orders.order_json(r) for r in rows], "next": last, "more": more})


@_authenticated
def acknowledge(feed: str, shop_id: int, order_id: str) -> Response:
    """``POST /orders/<id>/acknowledge``: the shop's number; the same again is fine, another one is 409.

    The number also goes to Marketbridge's own order row (``Order.shop_order_number``) in the same commit.
    """
    row = orders.by_id(feed, order_id)
    if row is None:
        db.session.rollback()
        return _not_found(order_id)
    body = schemas.AcknowledgeBody().load(_body())
    if row.acknowledged_at is not None:
        if (row.shop_number, row.shop_order_id) != (body["number"], body["shop_order_id"]):
            db.session.rollback()
            return _error(409, "already_acknowledged",
                          f"Order {order_id} was already acknowledged as number {row.shop_number}.")
    else:
        orders.acknowledge(row.id, body["number"], body["shop_order_id"], current_host().clock.now())
    orders.number_core_orders(shop_id, row.id, body["number"])
    db.session.commit()
    return _json(orders.order_json(orders.by_id(feed, order_id)))


@_authenticated
def push_status(feed: str, shop_id: int, order_id: str) -> Response:
    """``POST /orders/<id>/status``: a declared status; a new one becomes a ``StatusChanged``, delivered at once."""
    row = orders.by_id(feed, order_id)
    if row is None:
        db.session.rollback()
        return _not_found(order_id)
    body = schemas.StatusBody().load(_body())
    declared = {s["code"] for s in feed_row(feed).statuses}
    if body["status"] not in declared:
        raise ValidationError({"status": [f"Not a declared status; declare it with PUT /statuses first "
                                          f"(declared: {', '.join(sorted(declared)) or 'none'})."]})
    event = events.record_status(feed, row, body["status"], current_host().clock.now())
    db.session.commit()
    answer = _json(orders.order_json(orders.by_id(feed, order_id)))
    if event is not None:
        deliver_now(current_host(), shop_id, feed, events=[event])
    return answer


@_authenticated
def push_shipment(feed: str, shop_id: int, order_id: str) -> Response:
    """``POST /orders/<id>/shipments``: stored once per ``shipment_id`` and delivered at once.

    A repeat gets the same answer and hands nothing new to the engine.
    """
    row = orders.by_id(feed, order_id)
    if row is None:
        db.session.rollback()
        return _not_found(order_id)
    body = schemas.ShipmentBody().load(_body())
    stored = events.stored_shipment(row.id, body["shipment_id"])
    event = None
    if stored is None:
        lines = {line["line_id"]: line for line in row.draft.get("lines", [])}
        unknown = {i: {"line_id": ["Not a line of this order."]}
                   for i, line in enumerate(body["lines"]) if line["line_id"] not in lines}
        if unknown:
            raise ValidationError({"lines": unknown})
        body["lines"] = [{"line_id": line["line_id"], "quantity": line["quantity"],
                          "product_id": lines[line["line_id"]]["product_id"], "sku": lines[line["line_id"]]["sku"]}
                         for line in body["lines"]]
        stored, event = events.record_shipment(feed, row, body, current_host().clock.now())
    db.session.commit()
    if event is not None:
        deliver_now(current_host(), shop_id, feed, events=[event])
    return _json(events.public_shipment(stored))


# -- catalogue and statuses -----------------------------------------------------------------------------------
@_authenticated
def put_statuses(feed: str, shop_id: int) -> Response:
    """``PUT /statuses``: replace the declared statuses."""
    items = schemas.load_list(schemas.StatusItem(), _body(), unique="code")
    db.session.execute(feeds.update().where(feeds.c.feed == feed).values(statuses=items))
    db.session.commit()
    return _json({"statuses": items})


@_authenticated
def put_products(feed: str, shop_id: int) -> Response:
    """``PUT /products``: insert or replace up to 1000 products; new or changed stock and prices go out at once."""
    items = schemas.load_list(schemas.ProductItem(), _body(), unique="product_id")
    created, updated, moved = catalogue.upsert_products(feed, items, current_host().clock.now())
    db.session.commit()
    deliver_now(current_host(), shop_id, feed, product_ids=moved)
    return _json({"created": created, "updated": updated})


@_authenticated
def put_stock(feed: str, shop_id: int) -> Response:
    """``PUT /stock``: stock (and price) of up to 1000 known products; an unknown product fails the batch.

    What changed goes out at once.
    """
    items = schemas.load_list(schemas.StockItem(), _body(), unique="product_id")
    unknown = catalogue.unknown_products(feed, [item["product_id"] for item in items])
    if unknown:
        raise ValidationError({i: {"product_id": ["Unknown product; send it with PUT /products first."]}
                               for i in unknown})
    changed = catalogue.set_stock(feed, items, current_host().clock.now())
    db.session.commit()
    deliver_now(current_host(), shop_id, feed, product_ids=changed)
    return _json({"received": len(items), "changed": len(changed)})


def openapi() -> Response:
    """``GET /openapi.json``: the API's description (public: it holds no shop data)."""
    return current_app.response_class(OPENAPI_PATH.read_text(encoding="utf-8"), mimetype="application/json")


def make_blueprint() -> Blueprint:
    """The ``http_api`` blueprint (``url_prefix="/api/shop/v1"``), CSRF-exempt as a whole."""
    bp = Blueprint("http_api", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/openapi.json", "openapi", openapi, methods=["GET"])
    bp.add_url_rule("/<int:shop_id>/orders", "orders", list_orders, methods=["GET"])
    bp.add_url_rule("/<int:shop_id>/orders/<order_id>/acknowledge", "acknowledge", acknowledge, methods=["POST"])
    bp.add_url_rule("/<int:shop_id>/orders/<order_id>/status", "status", push_status, methods=["POST"])
    bp.add_url_rule("/<int:shop_id>/orders/<order_id>/shipments", "shipments", push_shipment, methods=["POST"])
    bp.add_url_rule("/<int:shop_id>/statuses", "statuses", put_statuses, methods=["PUT"])
    bp.add_url_rule("/<int:shop_id>/products", "products", put_products, methods=["PUT"])
    bp.add_url_rule("/<int:shop_id>/stock", "stock", put_stock, methods=["PUT"])
    csrf.exempt(bp)
    return bp


def register(app: Flask) -> list[Blueprint]:
    """What the plugin's ``register_blueprints`` hook returns."""
    return [make_blueprint()]
