"""An example shop platform: a tiny JSON API (emulator) and its shop adapter.

The API: ``X-Api-Key`` header auth; ``GET /products?field=sku&values=a,b``;
``GET /orders?external_ref=…``; ``POST /orders`` (422 for unknown or disabled
products); ``GET /statuses``; ``POST /orders/<id>/status``;
``GET /changes?after=<seq>`` and ``GET /stock/changes?after=<seq>`` (event
logs with sequence numbers); ``GET /stock?ids=…``.
"""
from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any, Sequence

from flask import Flask, jsonify, request

from marketbridge import hookimpl
from marketbridge.adapters import (
    ChangePage,
    CheckResult,
    DemoSetup,
    FieldKind,
    Money,
    OrderDraft,
    ProductIdentifier,
    SettingField,
    Shipped,
    ShippedLine,
    ShopAdapter,
    ShopOrderRef,
    ShopProduct,
    ShopStatus,
    StatusChanged,
    StockLevel,
    StockPage,
)
from marketbridge.errors import AuthenticationFailed, OrderRejected, TemporaryFailure
from marketbridge.http import json_body, raise_for_status, transport_errors
from marketbridge.testing import Emulator
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

STATUSES = [("open", "Open"), ("processing", "In progress"), ("shipped", "Shipped"), ("cancelled", "Cancelled"),
            ("ready", "Ready for pickup"), ("collected", "Collected")]


class ExampleShopEmulator(Emulator):
    """The example shop's API with its data in memory."""

    name = "example-shop"
    api_key = "shop-key-123456"

    def __init__(self, **kwargs: Any) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.stock_events: list[dict[str, Any]] = []
        self._ids = itertools.count(1001)
        super().__init__(**kwargs)
        for i, product in enumerate(DEMO_PRODUCTS, start=1):
            self.products[str(i)] = {"id": str(i), "sku": product.sku, "ean": product.ean, "name": product.name,
                                     "weight": None if product.weight is None else str(product.weight),
                                     "stock": product.stock, "active": product.active, "price": str(product.price)}

    # -- merchant actions ---------------------------------------------------
    def product_by_sku(self, sku: str) -> dict[str, Any]:
        return next(p for p in self.products.values() if p["sku"] == sku)

    def set_stock(self, sku: str, quantity: int) -> None:
        with self.lock:
            product = self.product_by_sku(sku)
            product["stock"] = quantity
            self.stock_events.append({"seq": len(self.stock_events) + 1, "product_id": product["id"]})

    def set_price(self, sku: str, price: str) -> None:
        """The merchant edits a product's selling price (a stock event, as the shop reports both together)."""
        with self.lock:
            product = self.product_by_sku(sku)
            product["price"] = price
            self.stock_events.append({"seq": len(self.stock_events) + 1, "product_id": product["id"]})

    def set_status(self, order_id: str, status: str) -> None:
        with self.lock:
            self.orders[order_id]["status"] = status
            self._event({"type": "status", "order_id": order_id, "status": status})

    def ship(self, order_id: str, tracking: str, carrier: str | None = "DHL", lines: list[dict[str, Any]] | None = None) -> None:
        with self.lock:
            order = self.orders[order_id]
            shipment_id = f"S{len(order['shipments']) + 1}"
            order["shipments"].append({"id": shipment_id, "tracking": tracking, "carrier": carrier})
            self._event({"type": "shipment", "order_id": order_id, "shipment_id": shipment_id, "tracking": tracking,
                         "carrier": carrier, "lines": lines or []})

    def _event(self, event: dict[str, Any]) -> None:
        event["seq"] = len(self.events) + 1
        event["at"] = self.clock.now().isoformat()
        self.events.append(event)

    # -- API ------------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        @app.before_request
        def auth() -> Any:
            if request.headers.get("X-Api-Key") != self.api_key:
                return jsonify({"error": "invalid api key"}), 401
            return None

        @app.get("/products")
        def products() -> Any:
            field, values = request.args["field"], set(request.args.get("values", "").split(","))
            key = "id" if field == "product_id" else field
            return jsonify([p for p in self.products.values() if p[key] in values])

        @app.get("/orders")
        def find_orders() -> Any:
            ref = request.args.get("external_ref")
            return jsonify([o for o in self.orders.values() if o["external_ref"] == ref])

        @app.post("/orders")
        def create_order() -> Any:
            body = request.get_json()
            for line in body["lines"]:
                product = self.products.get(line["product_id"])
                if product is None or not product["active"]:
                    return jsonify({"error": f"product {line['product_id']} cannot be sold"}), 422
            with self.lock:
                order_id = str(next(self._ids))
                self.orders[order_id] = {**body, "id": order_id, "number": f"EX-{order_id}",
                                         "status": body.get("status") or "open", "shipments": []}
                for line in body["lines"]:
                    product = self.products[line["product_id"]]
                    product["stock"] -= line["quantity"]
                    self.stock_events.append({"seq": len(self.stock_events) + 1, "product_id": product["id"]})
            return jsonify({"id": order_id, "number": f"EX-{order_id}"}), 201

        @app.get("/statuses")
        def statuses() -> Any:
            return jsonify([{"code": c, "label": label} for c, label in STATUSES])

        @app.post("/orders/<order_id>/status")
        def set_status(order_id: str) -> Any:
            self.set_status(order_id, request.get_json()["status"])
            return "", 204

        @app.get("/changes")
        def changes() -> Any:
            after = int(request.args.get("after", 0))
            page = [e for e in self.events if e["seq"] > after][:50]
            return jsonify({"events": page, "last": page[-1]["seq"] if page else after,
                            "more": len([e for e in self.events if e["seq"] > after]) > 50})

        @app.get("/stock")
        def stock() -> Any:
            ids = request.args.get("ids", "").split(",")
            return jsonify([self._offer(i) for i in ids if i in self.products])

        @app.get("/stock/changes")
        def stock_changes() -> Any:
            after = int(request.args.get("after", 0))
            page = [e for e in self.stock_events if e["seq"] > after][:100]
            ids = list(dict.fromkeys(e["product_id"] for e in page))
            return jsonify({"products": [self._offer(i) for i in ids],
                            "last": page[-1]["seq"] if page else after})


    def _offer(self, product_id: str) -> dict[str, Any]:
        product = self.products[product_id]
        return {"id": product_id, "sku": product["sku"], "stock": product["stock"], "price": product.get("price"),
                "currency": "EUR"}


class ExampleShop(ShopAdapter):
    """Adapter for the example shop API."""

    kind = "example_shop"
    label = "Example Shop"
    settings_fields = (
        SettingField("url", "Shop address", FieldKind.URL),
        SettingField("api_key", "API key", FieldKind.SECRET),
    )
    batch_size = 50

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.context.settings["url"].rstrip("/") + path
        headers = {"X-Api-Key": self.context.secrets.get("api_key", "")}
        with transport_errors("the example shop"):
            response = self.context.http.request(method, url, headers=headers, **kwargs)
        raise_for_status(response, "The example shop", auth_hint="Check the API key in the shop settings.")
        if response.status_code == 422:
            raise OrderRejected(json_body(response, "The example shop").get("error", "rejected"), code="shop_refused")
        if response.status_code == 204:
            return None
        return json_body(response, "The example shop")

    def check_connection(self) -> CheckResult:
        """Try an authenticated read (``GET /statuses``)."""
        try:
            self._call("GET", "/statuses")
        except AuthenticationFailed as exc:
            return CheckResult((exc.message,))
        return CheckResult()

    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """``GET /orders?external_ref=…``."""
        found = self._call("GET", "/orders", params={"external_ref": external_ref})
        return ShopOrderRef(found[0]["id"], found[0]["number"]) if found else None

    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """``POST /orders`` with the marketplace's prices as given."""
        body = {
            "external_ref": draft.external_ref,
            "marker": draft.marker.label,
            "status": draft.initial_status,
            "currency": draft.order.currency,
            "total": str(draft.order.total.amount),
            "lines": [{"product_id": p.product.product_id, "quantity": p.line.quantity,
                       "unit_price": str(p.line.unit_price.amount)} for p in draft.lines],
            "tags": list(draft.tags),
            "test": draft.marker.test,
        }
        created = self._call("POST", "/orders", json=body)
        if not isinstance(created, dict) or "id" not in created:
            raise TemporaryFailure("The example shop answered a create without an order id", code="malformed_response")
        return ShopOrderRef(created["id"], created["number"])

    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """``GET /products?field=…&values=…``."""
        rows = self._call("GET", "/products", params={"field": identifier.value, "values": ",".join(values)})
        key = "id" if identifier is ProductIdentifier.PRODUCT_ID else identifier.value
        return {row[key]: ShopProduct(product_id=row["id"], name=row["name"], sku=row["sku"], ean=row["ean"],
                                      active=row["active"], stock=row["stock"],
                                      weight=Decimal(row["weight"]) if row["weight"] else None) for row in rows}

    def list_statuses(self) -> list[ShopStatus]:
        """``GET /statuses``."""
        return [ShopStatus(s["code"], s["label"]) for s in self._call("GET", "/statuses")]

    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """``POST /orders/<id>/status``."""
        self._call("POST", f"/orders/{order.order_id}/status", json={"status": status})

    def changes_since(self, cursor: str | None) -> ChangePage:
        """``GET /changes?after=<seq>``; the cursor is the last sequence number seen."""
        page = self._call("GET", "/changes", params={"after": cursor or 0})
        events: list[StatusChanged | Shipped] = []
        for e in page["events"]:
            ref = ShopOrderRef(e["order_id"])
            at = datetime.fromisoformat(e["at"])
            if e["type"] == "status":
                events.append(StatusChanged(f"status-{e['seq']}", ref, e["status"], at))
            else:
                events.append(Shipped(f"ship-{e['seq']}", ref, e["shipment_id"], (e["tracking"],), at,
                                      carrier=e["carrier"],
                                      lines=tuple(ShippedLine(l["quantity"], sku=l["sku"]) for l in e["lines"])))
        return ChangePage(tuple(events), str(page["last"]), more=page["more"])

    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """``GET /stock?ids=…``."""
        rows = self._call("GET", "/stock", params={"ids": ",".join(product_ids)})
        return [_level(r) for r in rows]

    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """``GET /stock/changes?after=<seq>``."""
        page = self._call("GET", "/stock/changes", params={"after": cursor or 0})
        return StockPage(tuple(_level(r) for r in page["products"]), str(page["last"]))


def _level(row: dict[str, Any]) -> StockLevel:
    """A stock row of the example shop, with its gross price (P2)."""
    price = Money(Decimal(row["price"]), row["currency"]) if row.get("price") is not None else None
    return StockLevel(row["id"], row["stock"], sku=row["sku"], price=price)


def _merchant_step(emulator: ExampleShopEmulator) -> Any:
    """The demo merchant ships every order that is not shipped yet."""
    def step(now: datetime) -> None:
        for order_id, order in list(emulator.orders.items()):
            if not order["shipments"]:
                emulator.ship(order_id, f"00340434{int(order_id):012d}", carrier="DHL")
    return step


def _demo(cls: type[ExampleShop], clock: Any) -> DemoSetup:
    emulator = ExampleShopEmulator(clock=clock)
    return DemoSetup(emulator=emulator, settings=lambda url: {"url": url},
                     secrets={"api_key": ExampleShopEmulator.api_key}, step=_merchant_step(emulator),
                     status_mapping={"cancelled": "cancelled"})


ExampleShop.demo = classmethod(_demo)  # type: ignore[method-assign,assignment]


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    return [ExampleShop]
