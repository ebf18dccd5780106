"""An example marketplace: a tiny JSON API (emulator) and its channel adapter.

The API: ``Authorization: Bearer <token>``; ``GET /orders?after=<seq>&limit=``
(orders in change order, with their own field names); ``GET /orders/<id>``;
``POST /orders/<id>/shipments``; ``POST /orders/<id>/status``; ``POST /stock``
(per-SKU results). A token bucket answers 429 with ``Retry-After`` when the
quota is spent.
"""
from __future__ import annotations

import base64
import itertools
import math
from decimal import Decimal
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from flask import Flask, jsonify, request

from marketbridge import hookimpl
from marketbridge.adapters import (
    BoughtLabel,
    ChannelAdapter,
    CheckResult,
    DemoSetup,
    FetchRequest,
    LabelQuote,
    LabelRate,
    LabelRequest,
    MarketplaceChoice,
    MarketplaceStatus,
    Money,
    OrderPage,
    RejectedOrder,
    SettingField,
    FieldKind,
    ShipmentNotice,
    StatusNotice,
    StockResult,
    StockSubmission,
    StockUpdate,
    Store,
)
from marketbridge.errors import DeliveryRejected, RateLimited
from marketbridge.http import json_body, raise_for_status, transport_errors
from marketbridge.ratelimit import TokenBucket
from marketbridge.testing import Emulator
from marketbridge.testing.demo_catalogue import by_sku

CARRIERS = frozenset({"DHL", "UPS", "DPD", "Other"})
#: Label services of the example marketplace: (rate id, service, days to deliver, price).
LABEL_SERVICES = (("dhl-std", "Paket", 3, "4.99"), ("dhl-exp", "Express", 1, "12.90"))
LABEL_QUOTE_LIFE = timedelta(minutes=10)


def _valid_price(price: Any) -> bool:
    """An offer price the example marketplace accepts: ``{"amount": "12.34", "currency": "EUR"}``, not negative."""
    try:
        return isinstance(price, dict) and price.get("currency") == "EUR" and Decimal(price["amount"]) >= 0
    except (KeyError, ArithmeticError, TypeError, ValueError):
        return False


class ExampleMarketplaceEmulator(Emulator):
    """The example marketplace's API with its data in memory."""

    name = "example-marketplace"
    token = "mp-token-abcdef"

    def __init__(self, rate: float = 100.0, burst: float = 100.0, **kwargs: Any) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.changes: list[str] = []  # order ids in the order they changed
        self.shipments: list[dict[str, Any]] = []
        self.status_calls: list[dict[str, Any]] = []
        self.stock: dict[str, int] = {}
        self.prices: dict[str, dict[str, str]] = {}  #: SKU → the offer price last accepted (P2)
        self.stock_calls: list[list[dict[str, Any]]] = []
        self.drop_next_shipment = False
        self.quotes: dict[str, dict[str, Any]] = {}  #: label quote token → order id, rates, expiry (L1)
        self.labels: dict[str, dict[str, Any]] = {}  #: idempotency key → the label sold under it (L2)
        self._ids = itertools.count(1)
        super().__init__(**kwargs)
        self.bucket = TokenBucket(rate, burst, self.clock)

    def add_order(self, *, skus: Sequence[tuple[str, int]] = (("MB-MUG-BLUE", 1),), state: str = "paid",
                  order_id: str | None = None, prime: bool = False, broken: bool = False) -> str:
        """Place an order as a buyer would; returns its id."""
        with self.lock:
            order_id = order_id or f"EX-{next(self._ids):06d}"
            lines = [{"item": f"{order_id}-{i}", "sku": sku, "qty": qty, "title": by_sku(sku).name if sku.startswith("MB-") and sku != "MB-UNKNOWN" else sku,
                      "price": str(by_sku(sku).price) if sku.startswith("MB-") and sku != "MB-UNKNOWN" else "10.00"}
                     for i, (sku, qty) in enumerate(skus, start=1)]
            self.orders[order_id] = {
                "id": order_id, "state": state, "placed": self.clock.now().isoformat(), "prime": prime,
                "lines": lines, "shipping": "4.90", "currency": "EUR" if not broken else "euro",
                "buyer": {"name": "Anna Schmidt", "street": "Hauptstr. 5", "zip": "10115", "city": "Berlin",
                          "country": "DE", "email": "anna@example.org"},
            }
            self.changes.append(order_id)
        return order_id

    def set_state(self, order_id: str, state: str) -> None:
        with self.lock:
            self.orders[order_id]["state"] = state
            self.changes.append(order_id)

    def routes(self, app: Flask) -> None:
        @app.before_request
        def gate() -> Any:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify({"error": "unauthorized"}), 401
            wait = self.bucket.take()
            if wait:
                return jsonify({"error": "quota"}), 429, {"Retry-After": str(max(1, math.ceil(wait)))}
            return None

        @app.get("/orders")
        def orders() -> Any:
            after, limit = int(request.args.get("after", 0)), int(request.args.get("limit", 50))
            window = self.changes[after:after + limit]
            seen: dict[str, dict[str, Any]] = {oid: self.orders[oid] for oid in window}
            return jsonify({"orders": list(seen.values()), "next": after + len(window),
                            "more": after + len(window) < len(self.changes), "total": len(self.changes)})

        @app.get("/orders/<order_id>")
        def order(order_id: str) -> Any:
            found = self.orders.get(order_id)
            if found is None:
                return jsonify({"error": "not found"}), 404
            return jsonify({**found, "shipments": [s for s in self.shipments if s["order_id"] == order_id],
                            "statuses": [s for s in self.status_calls if s["order_id"] == order_id]})

        @app.post("/orders/<order_id>/shipments")
        def ship(order_id: str) -> Any:
            body = request.get_json()
            if body["carrier"] not in CARRIERS:
                return jsonify({"error": f"unknown carrier {body['carrier']}"}), 400
            if self.drop_next_shipment:
                self.drop_next_shipment = False
                return "", 204
            self.shipments.append({**body, "order_id": order_id})
            return "", 204

        @app.post("/labels/rates")
        def label_rates() -> Any:
            body = request.get_json()
            order = self.orders.get(body.get("order_id"))
            if order is None:
                return jsonify({"error": "unknown order"}), 400
            now = self.clock.now()
            promised = datetime.fromisoformat(order["placed"]) + timedelta(days=2 if order["prime"] else 5)
            rates = []
            for rate_id, service, days, price in LABEL_SERVICES:
                delivery = now + timedelta(days=days)
                late = delivery > promised
                rates.append({"id": rate_id, "carrier": "DHL", "service": service, "price": price,
                              "delivery_by": delivery.isoformat(), "eligible": not late,
                              "reason": "arrives after the delivery date promised to the buyer" if late else None})
            token = f"Q-{next(self._ids):06d}"
            self.quotes[token] = {"order_id": order["id"], "rates": rates, "expires": now + LABEL_QUOTE_LIFE}
            return jsonify({"token": token, "expires": (now + LABEL_QUOTE_LIFE).isoformat(), "rates": rates})

        @app.post("/labels")
        def buy_label() -> Any:
            key = request.headers.get("Idempotency-Key", "")
            if key in self.labels:
                return jsonify(self.labels[key])
            body = request.get_json()
            quote = self.quotes.get(body.get("token"))
            if quote is None or quote["expires"] < self.clock.now():
                return jsonify({"error": "the rates expired; ask for rates again"}), 400
            rate = next((r for r in quote["rates"] if r["id"] == body.get("rate_id")), None)
            if rate is None or not rate["eligible"]:
                return jsonify({"error": f"service not available: {rate['reason'] if rate else 'unknown rate'}"}), 400
            tracking = f"00340434{next(self._ids):012d}"
            label = {"label_id": f"L-{tracking[-6:]}", "tracking": tracking, "carrier": rate["carrier"],
                     "service": rate["service"], "price": rate["price"],
                     "document": base64.b64encode(b"%PDF-1.4 label " + tracking.encode()).decode()}
            self.labels[key] = label
            order = self.orders[quote["order_id"]]
            self.shipments.append({"order_id": order["id"], "carrier": rate["carrier"], "tracking": tracking,
                                   "key": f"label:{key}", "via_label": True,
                                   "lines": [{"item": line["item"], "qty": line["qty"]} for line in order["lines"]]})
            return jsonify(label)

        @app.post("/orders/<order_id>/status")
        def status(order_id: str) -> Any:
            self.status_calls.append({**request.get_json(), "order_id": order_id})
            return "", 204

        @app.post("/stock")
        def stock() -> Any:
            items = request.get_json()["items"]
            self.stock_calls.append(items)
            results = []
            for item in items:
                ok = not item["sku"].startswith("BAD")
                if ok and "price" in item and not _valid_price(item["price"]):
                    ok = False
                if ok:
                    self.stock[item["sku"]] = item["quantity"]
                    if "price" in item:
                        self.prices[item["sku"]] = item["price"]
                results.append({"sku": item["sku"], "ok": ok, "error": None if ok else "unknown listing",
                                **({"store": item["store"]} if "store" in item else {})})
            return jsonify({"results": results})


class ExampleChannel(ChannelAdapter):
    """Adapter for the example marketplace API."""

    kind = "example_channel"
    label = "Example Marketplace"
    account_fields = (SettingField("url", "API address", FieldKind.URL),
                      SettingField("token", "API token", FieldKind.SECRET))
    statuses = (
        MarketplaceStatus("shipped", "Shipped", needs_tracking=True),
        MarketplaceStatus("cancelled", "Cancelled"),
        MarketplaceStatus("ready_for_pickup", "Ready for pickup", pickup=True),
        MarketplaceStatus("picked_up", "Picked up", pickup=True),
    )
    stock_batch_size = 20
    syncs_prices = True
    buys_labels = True

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.context.settings["url"].rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.context.secrets.get('token', '')}", **kwargs.pop("headers", {})}
        with transport_errors("the example marketplace"):
            response = self.context.http.request(method, url, headers=headers, **kwargs)
        if response.status_code == 429:
            raise RateLimited("The example marketplace quota is used up",
                              retry_after=float(response.headers.get("Retry-After", "1")))
        raise_for_status(response, "The example marketplace", auth_hint="Renew the API token.")
        if response.status_code == 400:
            raise DeliveryRejected(json_body(response, "The example marketplace").get("error", "refused"))
        if response.status_code == 204:
            return None
        return json_body(response, "The example marketplace")

    def check_connection(self) -> CheckResult:
        self._call("GET", "/orders", params={"after": 0, "limit": 1})
        return CheckResult()

    def marketplaces(self) -> list[MarketplaceChoice]:
        return [MarketplaceChoice("A1PA6795UKMFR9", "Example.de", "DE", "EUR")]

    def fetch_orders(self, request: FetchRequest) -> OrderPage:
        """``GET /orders?after=<seq>``; the cursor is the change sequence number."""
        page = self._call("GET", "/orders", params={"after": request.cursor or 0, "limit": 50})
        orders, rejected = [], []
        for raw in page["orders"]:
            try:
                orders.append(self.to_canonical(raw))
            except (KeyError, ValueError) as exc:
                rejected.append(RejectedOrder(raw.get("id"), raw, f"cannot read the order: {exc}"))
        return OrderPage(tuple(orders), str(page["next"]), more=page["more"], rejected=tuple(rejected),
                         total=page["total"])

    def refresh_orders(self, marketplace_order_ids: Sequence[str]) -> OrderPage:
        """``GET /orders/<id>`` for each id."""
        return OrderPage(tuple(self.to_canonical(self._call("GET", f"/orders/{i}")) for i in marketplace_order_ids),
                         None)

    def to_canonical(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Map the marketplace's order to a canonical order dict."""
        status = {"pending": "pending", "paid": "unshipped", "shipped": "shipped", "cancelled": "cancelled"}[raw["state"]]
        placed = datetime.fromisoformat(raw["placed"])
        money = lambda amount: {"amount": str(amount), "currency": raw["currency"]}  # noqa: E731
        buyer = raw["buyer"]
        return {
            "marketplace": self.kind, "marketplace_order_id": raw["id"], "status": status,
            "marketplace_status": raw["state"], "purchased_at": placed.isoformat(),
            "updated_at": (placed + timedelta(minutes=1)).isoformat(), "currency": raw["currency"],
            "lines": [{"line_id": line["item"], "sku": line["sku"], "title": line["title"], "quantity": line["qty"],
                       "unit_price": money(line["price"]), "tax": money("0"), "discount": money("0")}
                      for line in raw["lines"]],
            "shipping": {"method": "Standard", "price": money(raw["shipping"]), "tax": money("0"),
                         "discount": money("0")},
            "total": money(sum(Decimal(line["price"]) * line["qty"] for line in raw["lines"]) + Decimal(raw["shipping"])),
            "buyer": {"name": buyer["name"]},
            "shipping_address": {"name": buyer["name"], "line1": buyer["street"], "postal_code": buyer["zip"],
                                 "city": buyer["city"], "country_code": buyer["country"]},
            "flags": {"prime": raw["prime"]},
            "tags": ["Example Prime"] if raw["prime"] else [],
        }

    def confirm_shipment(self, notice: ShipmentNotice) -> None:
        """``POST /orders/<id>/shipments``."""
        self._call("POST", f"/orders/{notice.marketplace_order_id}/shipments", json={
            "carrier": notice.carrier_code, "tracking": notice.tracking_number, "key": notice.key,
            "lines": [{"item": line.line_id, "qty": line.quantity} for line in notice.lines]})

    def push_status(self, notice: StatusNotice) -> None:
        """``POST /orders/<id>/status``."""
        self._call("POST", f"/orders/{notice.marketplace_order_id}/status",
                   json={"status": notice.status, "key": notice.key})

    def was_delivered(self, notice: ShipmentNotice | StatusNotice) -> bool | None:
        """Read the order back and look for the notice's key."""
        order = self._call("GET", f"/orders/{notice.marketplace_order_id}")
        records = order["shipments"] if isinstance(notice, ShipmentNotice) else order["statuses"]
        return any(r.get("key") == notice.key for r in records)

    def label_rates(self, request: LabelRequest) -> LabelQuote:
        """``POST /labels/rates`` for the order's one parcel (L1)."""
        answer = self._call("POST", "/labels/rates", json={
            "order_id": request.marketplace_order_id, "weight_grams": request.parcel.weight_grams,
            "ship_from": dict(request.ship_from)})
        return LabelQuote(answer["token"], tuple(
            LabelRate(r["id"], r["carrier"], r["service"], Money(Decimal(r["price"]), "EUR"),
                      datetime.fromisoformat(r["delivery_by"]), r["eligible"],
                      None if r["eligible"] else f"This service {r['reason']}; choose a faster one.")
            for r in answer["rates"]), datetime.fromisoformat(answer["expires"]))

    def buy_label(self, token: str, rate_id: str, key: str) -> BoughtLabel:
        """``POST /labels`` with the host's key as ``Idempotency-Key`` (L2)."""
        answer = self._call("POST", "/labels", json={"token": token, "rate_id": rate_id},
                            headers={"Idempotency-Key": key})
        return BoughtLabel(answer["label_id"], answer["tracking"], answer["carrier"], answer["service"],
                           base64.b64decode(answer["document"]), carrier_code=answer["carrier"],
                           price=Money(Decimal(answer["price"]), "EUR"))

    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """``POST /stock`` with every update in one call."""
        answer = self._call("POST", "/stock", json={"items": [
            {"sku": u.sku, "quantity": u.quantity, **({"store": u.store_code} if u.store_code else {}),
             **({"price": {"amount": str(u.price.amount), "currency": u.price.currency}} if u.price else {})}
            for u in updates]})
        return StockSubmission(tuple(StockResult(r["sku"], r["ok"], store_code=r.get("store"), message=r["error"])
                                     for r in answer["results"]))

    def stock_results(self, pending_id: str) -> tuple[StockResult, ...] | None:
        raise DeliveryRejected("The example marketplace answers stock updates synchronously")

    def carrier_codes(self) -> frozenset[str] | None:
        return CARRIERS

    def upsert_store(self, store: Store, remote_id: str | None) -> str:
        raise DeliveryRejected("The example marketplace has no pickup stores")

    def archive_store(self, remote_id: str) -> None:
        raise DeliveryRejected("The example marketplace has no pickup stores")


def _demo(cls: type[ExampleChannel], clock: Any) -> DemoSetup:
    emulator = ExampleMarketplaceEmulator(clock=clock)
    return DemoSetup(emulator=emulator, settings=lambda url: {"url": url},
                     secrets={"token": ExampleMarketplaceEmulator.token},
                     step=lambda now: emulator.add_order(skus=[("MB-CANDLE", 1)]),
                     marketplace="A1PA6795UKMFR9", default_carrier="DHL")


ExampleChannel.demo = classmethod(_demo)  # type: ignore[method-assign,assignment]


@hookimpl
def register_channels() -> list[type[ChannelAdapter]]:
    return [ExampleChannel]
