# marketbridge_acme/emulator.py
"""A working stand-in for the Acme Market API, for tests and the demo.

It serves the operations of ``acme-openapi.json`` over real HTTP: bearer-token
auth, orders listed by update time in pages, shipments and cancellations that
honour idempotency keys, stock updates, and a token bucket that answers 429
with ``Retry-After``. Its data lives in plain attributes, so a test can set the
scene (``place_order``, ``pay``, ``cancel``, ``change``) and look at the outcome
(``orders``, ``shipments``, ``stock``). Its time is the injected clock.
"""
from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from marketbridge.clock import Clock
from marketbridge.ratelimit import TokenBucket
from marketbridge.testing import Emulator
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_acme.facts import BURST, CARRIERS, OPEN_STATUSES, PAGE_SIZE, RATE, SCOPES, STOCK_BATCH

TOKEN = "acme-test-token-0123456789"
WEBHOOK_SECRET = "acme-test-webhook-secret"  #: what the emulated Seller Hub signs notifications with
MARKETS = [{"id": "acme-de", "name": "Acme Market Germany", "country": "DE", "currency": "EUR"},
           {"id": "acme-fr", "name": "Acme Market France", "country": "FR", "currency": "EUR"}]
ADDRESS = {"name": "Jonas Weber", "company": None, "street": "Lindenallee 12", "street2": None, "zip": "50968",
           "city": "Köln", "country": "DE", "phone": None}


def iso(when: datetime) -> str:
    """Acme's time format: UTC, whole seconds, ``Z``."""
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """Acme's error answer: ``{"error": {"code", "message"}}``."""
    return jsonify({"error": {"code": code, "message": message}}), status, headers or {}


class AcmeEmulator(Emulator):
    """The Acme Market API with its data in memory."""

    name = "acme"

    def __init__(self, clock: Clock | None = None, *, scopes: Sequence[str] = tuple(SCOPES)) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.shipments: list[dict[str, Any]] = []
        self.stock: dict[str, int] = {}
        self.scopes = list(scopes)
        self.replies: dict[str, Any] = {}  #: idempotency key → the first answer
        self._ids = itertools.count(1001)
        super().__init__(clock)
        self.bucket = TokenBucket(RATE, BURST, self.clock)

    # -- what buyers and Acme do (tests and the demo call these) -------------
    def place_order(self, skus: Sequence[tuple[str, int]] = (("MB-MUG-BLUE", 1),), *, paid: bool = True,
                    express: bool = False, business: bool = False, vat_id: str | None = None,
                    market: str = "acme-de", fulfilled_by: str = "seller") -> str:
        """A buyer orders demo-catalogue SKUs (with quantities); returns the Acme order id."""
        now = self.clock.now()
        with self.lock:
            order_id = f"ACM-{next(self._ids)}"
            items = [_item(f"{order_id}-{n}", sku, quantity) for n, (sku, quantity) in enumerate(skus, start=1)]
            shipping = {"method": "Express" if express else "Standard", "price_cents": 490, "tax_cents": 78}
            self.orders[order_id] = {
                "id": order_id, "market": market, "status": "ready_to_ship" if paid else "awaiting_payment",
                "fulfilled_by": fulfilled_by, "created_at": iso(now), "updated_at": iso(now), "currency": "EUR",
                "express": express, "business": business, "vat_id": vat_id,
                "ship_by": iso(now + timedelta(days=0 if express else 2)),
                "buyer": {"name": ADDRESS["name"], "email": f"{order_id.lower()}@relay.acme-market.example"},
                "delivery_address": dict(ADDRESS) if paid else None,
                "items": items, "shipping": shipping,
                "total_cents": sum(i["unit_price_cents"] * i["quantity"] - i["discount_cents"] for i in items)
                + shipping["price_cents"],
            }
        return order_id

    def pay(self, order_id: str) -> None:
        """The buyer's payment arrives: the order becomes ready to ship and shows its address."""
        self.change(order_id, status="ready_to_ship", delivery_address=dict(ADDRESS))

    def cancel(self, order_id: str) -> None:
        """The buyer cancels on Acme's side."""
        self.change(order_id, status="cancelled")

    def change(self, order_id: str, **fields: Any) -> None:
        """Change an order's fields (any value, documented or not); its ``updated_at`` moves to now."""
        with self.lock:
            self.orders[order_id].update(fields, updated_at=iso(self.clock.now()))

    # -- the API ------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        @app.before_request
        def gate() -> ResponseReturnValue | None:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return error(401, "unauthorized", "The API token is missing, wrong or revoked.")
            wait = self.bucket.take()
            if wait:
                return error(429, "rate_limited", "Slow down: 5 requests per second per token.",
                             {"Retry-After": str(max(1, math.ceil(wait)))})
            return None

        @app.get("/v1/account")
        def account() -> ResponseReturnValue:
            return jsonify({"seller_id": "S-4711", "name": "Demo Seller", "scopes": self.scopes,
                            "markets": MARKETS})

        @app.get("/v1/orders")
        def list_orders() -> ResponseReturnValue:
            args = request.args
            try:
                start = datetime.fromisoformat(args["updated_from"])
                end = datetime.fromisoformat(args["updated_to"])
                limit = int(args.get("limit", 50))
                offset = int(args.get("page_token", "0"))
            except (KeyError, ValueError):
                return error(400, "invalid_query", "updated_from, updated_to, limit or page_token is not valid.")
            if not 1 <= limit <= PAGE_SIZE:
                return error(400, "invalid_query", f"limit must be between 1 and {PAGE_SIZE}.")
            open_only = args.get("status", "any") == "open"
            with self.lock:
                found = sorted((o for o in self.orders.values()
                                if o["market"] == args.get("market")
                                and o["fulfilled_by"] == args.get("fulfilled_by", "seller")
                                and start <= datetime.fromisoformat(o["updated_at"]) <= end
                                and (not open_only or o["status"] in OPEN_STATUSES)),
                               key=lambda o: (o["updated_at"], o["id"]))
                page = found[offset:offset + limit]
                more = offset + limit < len(found)
                return jsonify({"orders": page, "next_page_token": str(offset + limit) if more else None})

        @app.get("/v1/orders/<order_id>")
        def get_order(order_id: str) -> ResponseReturnValue:
            with self.lock:
                order = self.orders.get(order_id)
                return jsonify(order) if order else error(404, "not_found", f"No order {order_id}.")

        @app.get("/v1/orders/<order_id>/shipments")
        def list_shipments(order_id: str) -> ResponseReturnValue:
            with self.lock:
                if order_id not in self.orders:
                    return error(404, "not_found", f"No order {order_id}.")
                return jsonify({"shipments": [s for s in self.shipments if s["order_id"] == order_id]})

        @app.post("/v1/orders/<order_id>/shipments")
        def create_shipment(order_id: str) -> ResponseReturnValue:
            key, body = request.headers.get("Idempotency-Key", ""), request.get_json()
            with self.lock:
                if key in self.replies:
                    return jsonify(self.replies[key]), 200
                order = self.orders.get(order_id)
                if order is None:
                    return error(404, "not_found", f"No order {order_id}.")
                refusal = self._shipment_refusal(order, body)
                if refusal is not None:
                    return error(*refusal)
                shipment = {"id": f"SH-{len(self.shipments) + 1}", "order_id": order_id,
                            "reference": body.get("reference"), "carrier": body["carrier"],
                            "carrier_name": body.get("carrier_name"), "tracking_number": body["tracking_number"],
                            "shipped_at": body["shipped_at"], "lines": body["lines"]}
                self.shipments.append(shipment)
                self.replies[key] = shipment
                shipped_all = all(self._open_quantity(order, item["id"]) == 0 for item in order["items"])
                self.change(order_id, status="shipped" if shipped_all else "partially_shipped")
                return jsonify(shipment), 201

        @app.post("/v1/orders/<order_id>/cancellation")
        def cancel_order(order_id: str) -> ResponseReturnValue:
            key = request.headers.get("Idempotency-Key", "")
            with self.lock:
                if key in self.replies:
                    return jsonify(self.replies[key]), 200
                order = self.orders.get(order_id)
                if order is None:
                    return error(404, "not_found", f"No order {order_id}.")
                if order["status"] in ("partially_shipped", "shipped"):
                    return error(409, "already_shipped", "A shipped order cannot be cancelled.")
                self.change(order_id, status="cancelled")
                self.replies[key] = dict(order)
                return jsonify(order), 200

        @app.put("/v1/stock")
        def update_stock() -> ResponseReturnValue:
            items = request.get_json()["items"]
            if len(items) > STOCK_BATCH:
                return error(422, "too_many_items", f"At most {STOCK_BATCH} items per call.")
            listed = {product.sku for product in DEMO_PRODUCTS}
            results = []
            with self.lock:
                for item in items:
                    if item["sku"] in listed:
                        self.stock[item["sku"]] = item["quantity"]
                        results.append({"sku": item["sku"], "status": "updated", "message": None})
                    else:
                        results.append({"sku": item["sku"], "status": "rejected",
                                        "message": "No Acme listing has this SKU."})
            return jsonify({"results": results})

    def _open_quantity(self, order: dict[str, Any], item_id: str) -> int:
        ordered = sum(i["quantity"] for i in order["items"] if i["id"] == item_id)
        shipped = sum(line["quantity"] for s in self.shipments if s["order_id"] == order["id"]
                      for line in s["lines"] if line["item_id"] == item_id)
        return ordered - shipped

    def _shipment_refusal(self, order: dict[str, Any], body: dict[str, Any]) -> tuple[int, str, str] | None:
        if order["status"] == "cancelled":
            return 409, "order_cancelled", "The order is cancelled."
        if order["status"] == "awaiting_payment":
            return 409, "order_not_paid", "The order is not paid yet."
        if body["carrier"] not in CARRIERS or (body["carrier"] == "OTHER" and not body.get("carrier_name")):
            return 422, "invalid_carrier", "Unknown carrier, or OTHER without a carrier_name."
        for line in body["lines"]:
            if line["quantity"] > self._open_quantity(order, line["item_id"]):
                return 422, "invalid_lines", f"Item {line['item_id']} has fewer units left to ship."
        return None


def _item(item_id: str, sku: str, quantity: int) -> dict[str, Any]:
    """An order item priced from the demo catalogue (unknown SKUs cost 10.00 at 19 % VAT)."""
    product = next((p for p in DEMO_PRODUCTS if p.sku == sku), None)
    price = product.price if product else Decimal("10.00")
    rate = product.tax_rate if product else Decimal("19")
    gross = price * quantity
    tax = (gross * rate / (100 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"id": item_id, "sku": sku, "ean": product.ean if product else None,
            "title": product.name if product else sku, "quantity": quantity,
            "unit_price_cents": int(price * 100), "tax_cents": int(tax * 100), "tax_rate": f"{rate:.2f}",
            "discount_cents": 0}
