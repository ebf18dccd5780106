"""The emulated store's data and rules: catalogue, MSI, carts, orders, shipments.

Behaviour follows specs/magento/NOTES.md and ``order-statuses.json``:

* Products hold ``price`` and, as custom attributes (strings, like Magento's
  EAV values), ``special_price``, ``special_from_date`` and ``special_to_date``.
  The final price is ``min(price, special_price)`` while the store's local date
  (``timezone``) lies in the dates, both days included, either end open.
* Checkout (``carts`` → ``items`` → ``shipping-information`` → ``order``) uses
  the final catalogue prices, refuses unknown, disabled, configurable-without-options and
  unsalable products, validates address fields, needs an enabled carrier and
  payment method, and places an MSI reservation (``-qty``) on the website's stock.
* ``POST /V1/orders`` with ``entity_id`` saves only the fields sent (the
  partial-save pattern); without it stores the order as given, with no reservation.
* Statuses belong to states; a comment may only set a status of the current
  state; invoices and shipments drive ``processing``/``complete``; ``complete``
  and ``closed`` are never set directly.
* A shipment deducts its source and places the compensating reservation
  (``+qty``); salable quantity = source quantities of the stock − reservations.
* Every change stamps ``updated_at`` from the clock, so polling sees it.
"""
from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from datetime import date
from importlib import resources
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from marketbridge.clock import Clock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_magento.search import magento_time

NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
PRODUCT_NOT_FOUND = "The product that was requested doesn't exist. Verify the product and try again."
REQUIRED = '"%fieldName" is required. Enter and try again.'
NOT_AVAILABLE = "Product that you are trying to add is not available."
QTY_NOT_AVAILABLE = "The requested qty is not available"
FLAT_RATE = Decimal("5.00")
STATE_OF_DEFAULT = "new"


class ApiError(Exception):
    """An error answer: ``{"message": …, "parameters": …}`` with an HTTP status."""

    def __init__(self, status: int, message: str, parameters: list[Any] | dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        return body


def required(body: Any, name: str) -> Any:
    """The parameter ``name`` of a wrapped request body, or Magento's 400."""
    if not isinstance(body, Mapping) or body.get(name) is None:
        raise ApiError(400, REQUIRED, {"fieldName": name})
    return body[name]


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def stock_item(product_id: int, qty: float, in_stock: bool) -> dict[str, Any]:
    """A complete ``catalog-inventory-data-stock-item-interface`` (legacy single stock view)."""
    return {
        "item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": qty, "is_in_stock": in_stock,
        "is_qty_decimal": False, "show_default_notification_message": False, "use_config_min_qty": True,
        "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1, "use_config_max_sale_qty": True,
        "max_sale_qty": 10000, "use_config_backorders": True, "backorders": 0, "use_config_notify_stock_qty": True,
        "notify_stock_qty": 1, "use_config_qty_increments": True, "qty_increments": 0,
        "use_config_enable_qty_inc": True, "enable_qty_increments": False, "use_config_manage_stock": True,
        "manage_stock": True, "low_stock_date": "", "is_decimal_divided": False, "stock_status_changed_auto": 0,
    }


@dataclass
class StatusDef:
    code: str
    label: str
    state: str


class MagentoShop:
    """All data of one emulated Magento installation (one website, one store view)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.products: dict[str, dict[str, Any]] = {}
        self.tax_rates: dict[str, Decimal] = {}
        self.sources: dict[str, dict[str, Any]] = {
            "default": {"source_code": "default", "name": "Default Source", "enabled": True, "country_id": "DE",
                        "postcode": "10115", "city": "Berlin",
                        "extension_attributes": {"is_pickup_location_active": False}},
        }
        self.stock_sources: dict[int, list[str]] = {1: ["default"]}
        self.source_items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reservations: list[dict[str, Any]] = []
        self.carts: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.statuses: list[StatusDef] = _default_statuses()
        self.carriers: dict[str, set[str]] = {"flatrate": {"flatrate"}, "instore": {"pickup"}}
        self.payment_methods: dict[str, str] = {"checkmo": "Check / Money order"}
        self.telephone_required = True
        self.base_currency = "EUR"
        self.weight_unit = "kgs"
        self.timezone = "Europe/Berlin"
        self._ids = {name: itertools.count(1) for name in
                     ("product", "cart", "cart_item", "order", "order_item", "history", "shipment", "track", "ship_item")}

    # -- time and ids -------------------------------------------------------------
    def now(self) -> str:
        return magento_time(self.clock.now())

    def next_id(self, name: str) -> int:
        return next(self._ids[name])

    # -- catalogue ----------------------------------------------------------------
    def add_product(self, sku: str, name: str, price: Decimal, *, weight: Decimal | None, tax_rate: Decimal,
                    enabled: bool = True, type_id: str = "simple", ean: str | None = None,
                    quantities: Mapping[str, float] | None = None) -> dict[str, Any]:
        """Create a product with source quantities (``{source_code: qty}``)."""
        product_id = self.next_id("product")
        now = self.now()
        product: dict[str, Any] = {
            "id": product_id, "sku": sku, "name": name, "attribute_set_id": 4, "price": float(price),
            "status": 1 if enabled else 2, "visibility": 4, "type_id": type_id,
            "created_at": now, "updated_at": now,
            "extension_attributes": {"website_ids": [1]},
            "custom_attributes": [{"attribute_code": "tax_class_id", "value": "2"}],
        }
        if weight is not None:
            product["weight"] = float(weight)
        if ean:
            product["custom_attributes"].append({"attribute_code": "ean", "value": ean})
        self.products[sku] = product
        self.tax_rates[sku] = tax_rate
        if type_id == "simple":
            for code, qty in (quantities or {"default": 0}).items():
                self.source_items[(sku, code)] = {"sku": sku, "source_code": code, "quantity": float(qty),
                                                  "status": 1 if qty > 0 else 0}
        return product

    def set_price(self, sku: str, price: Decimal, *, special_price: Decimal | None = None,
                  special_from: str | None = None, special_to: str | None = None) -> None:
        """Save the product's price and special price (dates ``YYYY-MM-DD``) as the admin's product form does.

        ``special_price=None`` removes the special price and its dates.
        """
        product = self.product(sku)
        product["price"] = float(price)
        codes = ("special_price", "special_from_date", "special_to_date")
        attributes = [a for a in product["custom_attributes"] if a["attribute_code"] not in codes]
        if special_price is not None:
            attributes.append({"attribute_code": "special_price", "value": f"{Decimal(special_price):.6f}"})
            for code, day in (("special_from_date", special_from), ("special_to_date", special_to)):
                if day:
                    attributes.append({"attribute_code": code, "value": f"{day} 00:00:00"})
        product["custom_attributes"] = attributes
        product["updated_at"] = self.now()

    def final_price(self, product: Mapping[str, Any]) -> float:
        """What the storefront charges for one unit: ``min(price, special_price)`` while the special price is on."""
        price = Decimal(str(product["price"]))
        special = self.product_field(product, "special_price")
        if special in (None, ""):
            return float(price)
        today = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        start, end = (self.product_field(product, code) for code in ("special_from_date", "special_to_date"))
        if start and today < date.fromisoformat(str(start)[:10]):
            return float(price)
        if end and today > date.fromisoformat(str(end)[:10]):
            return float(price)
        return float(min(price, Decimal(str(special))))

    def link_children(self, parent_sku: str, child_skus: Iterable[str]) -> None:
        """Make ``parent_sku`` a configurable product of its children (as the admin does)."""
        ids = [self.products[s]["id"] for s in child_skus]
        self.products[parent_sku]["extension_attributes"]["configurable_product_links"] = ids

    def product(self, sku: str) -> dict[str, Any]:
        for key, product in self.products.items():
            if key.lower() == sku.lower():
                return product
        raise ApiError(404, PRODUCT_NOT_FOUND)

    def product_view(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """The product as ``GET /V1/products`` shows it, with its stock item (default source)."""
        view = copy.deepcopy(dict(product))
        if view["type_id"] == "simple":
            item = self.source_items.get((view["sku"], "default"), {"quantity": 0, "status": 0})
            view["extension_attributes"]["stock_item"] = stock_item(view["id"], item["quantity"], item["status"] == 1)
        return view

    @staticmethod
    def product_field(row: Mapping[str, Any], name: str) -> Any:
        if name == "entity_id":
            return row.get("id")
        if name in row:
            return row[name]
        for attribute in row.get("custom_attributes") or []:
            if attribute.get("attribute_code") == name:
                return attribute.get("value")
        return None

    # -- inventory ------------------------------------------------------------------
    def salable(self, sku: str, stock_id: int = 1) -> float:
        """Source quantities of the stock's in-stock sources minus the stock's reservations."""
        product = self.product(sku)
        if product["type_id"] != "simple":
            raise ApiError(400, "Product type is not supported")
        total = sum(item["quantity"] for (s, code), item in self.source_items.items()
                    if s == product["sku"] and code in self.stock_sources.get(stock_id, []) and item["status"] == 1)
        total += sum(r["quantity"] for r in self.reservations if r["sku"] == product["sku"] and r["stock_id"] == stock_id)
        return max(total, 0.0)

    def reserve(self, sku: str, quantity: float, event: str, object_id: int) -> None:
        self.reservations.append({"sku": sku, "stock_id": 1, "quantity": quantity, "event": event, "object_id": object_id})

    def deduct_source(self, sku: str, source_code: str, quantity: float) -> None:
        item = self.source_items.setdefault((sku, source_code), {"sku": sku, "source_code": source_code,
                                                                 "quantity": 0.0, "status": 0})
        item["quantity"] -= quantity
        if item["quantity"] <= 0:
            item["status"] = 0

    # -- statuses -------------------------------------------------------------------
    def status(self, code: str) -> StatusDef | None:
        return next((s for s in self.statuses if s.code == code), None)

    def default_status(self, state: str) -> str:
        return next(s.code for s in self.statuses if s.state == state)

    def statuses_of(self, state: str) -> set[str]:
        return {s.code for s in self.statuses if s.state == state}

    # -- carts ---------------------------------------------------------------------
    def cart(self, cart_id: int) -> dict[str, Any]:
        cart = self.carts.get(cart_id)
        if cart is None or not cart["active"]:
            raise ApiError(404, "No such entity with %fieldName = %fieldValue",
                           {"fieldName": "cartId", "fieldValue": cart_id})
        return cart

    def create_cart(self) -> int:
        cart_id = self.next_id("cart")
        self.carts[cart_id] = {"id": cart_id, "items": [], "active": True, "shipping": None}
        return cart_id

    def add_cart_item(self, cart_id: int, body: Any) -> dict[str, Any]:
        item = required(body, "cartItem")
        cart = self.cart(cart_id)
        sku = str(required(item, "sku"))
        qty = float(required(item, "qty"))
        product = self.product(sku)
        if product["status"] != 1:
            raise ApiError(400, NOT_AVAILABLE)
        if product["type_id"] != "simple":
            raise ApiError(400, "You need to choose options for your item.")
        already = sum(i["qty"] for i in cart["items"] if i["sku"] == product["sku"])
        if self.salable(product["sku"]) < already + qty:
            raise ApiError(400, QTY_NOT_AVAILABLE)
        line = {"item_id": self.next_id("cart_item"), "sku": product["sku"], "qty": qty, "name": product["name"],
                "price": self.final_price(product), "product_type": "simple", "quote_id": str(cart_id)}
        cart["items"].append(line)
        return line

    def save_shipping_information(self, cart_id: int, body: Any) -> dict[str, Any]:
        info = required(body, "addressInformation")
        cart = self.cart(cart_id)
        shipping = required(info, "shipping_address")
        billing = info.get("billing_address") or shipping
        for address in (shipping, billing):
            self._validate_address(address)
        carrier = str(required(info, "shipping_carrier_code"))
        method = str(required(info, "shipping_method_code"))
        if method not in self.carriers.get(carrier, set()):
            raise ApiError(400, "Carrier with such method not found: %1, %2", [carrier, method])
        pickup = ((shipping.get("extension_attributes") or {}).get("pickup_location_code"))
        if carrier == "instore":
            source = self.sources.get(str(pickup or ""))
            if source is None or not source["extension_attributes"].get("is_pickup_location_active"):
                raise ApiError(400, "The shipping information was unable to be saved. Error: \"%message\"",
                               {"message": f"Pickup location \"{pickup}\" is not available."})
        cart["shipping"] = {"shipping": copy.deepcopy(shipping), "billing": copy.deepcopy(billing),
                            "carrier": carrier, "method": method, "pickup": pickup}
        totals = self._cart_totals(cart)
        return {
            "payment_methods": [{"code": code, "title": title} for code, title in self.payment_methods.items()],
            "totals": {"grand_total": totals["grand_total"], "subtotal": totals["subtotal"],
                       "tax_amount": totals["tax_amount"], "shipping_amount": totals["shipping_amount"],
                       "quote_currency_code": self.base_currency, "weee_tax_applied_amount": 0,
                       "total_segments": [{"code": "subtotal", "value": totals["subtotal"]},
                                          {"code": "shipping", "value": totals["shipping_amount"]},
                                          {"code": "tax", "value": totals["tax_amount"]},
                                          {"code": "grand_total", "value": totals["grand_total"]}]},
        }

    def _validate_address(self, address: Any) -> None:
        if not isinstance(address, Mapping):
            raise ApiError(400, REQUIRED, {"fieldName": "shipping_address"})
        fields = ["firstname", "lastname", "street", "city", "postcode", "country_id"]
        if self.telephone_required:
            fields.append("telephone")
        for name in fields:
            value = address.get(name)
            if not value or (isinstance(value, list) and not any(value)):
                raise ApiError(400, "The shipping information was unable to be saved. Error: \"%message\"",
                               {"message": f"\"{name}\" is required. Enter and try again."})

    def _cart_totals(self, cart: Mapping[str, Any]) -> dict[str, float]:
        subtotal = tax = Decimal("0")
        for item in cart["items"]:
            gross = Decimal(str(item["price"])) * Decimal(str(item["qty"]))
            rate = self.tax_rates.get(item["sku"], Decimal("0"))
            item_tax = gross * rate / (100 + rate)
            subtotal += gross - item_tax
            tax += item_tax
        shipping = Decimal("0") if (cart.get("shipping") or {}).get("carrier") == "instore" else FLAT_RATE
        return {"subtotal": money(subtotal), "tax_amount": money(tax), "shipping_amount": money(shipping),
                "grand_total": money(subtotal + tax + shipping)}

    def place_order(self, cart_id: int, body: Any) -> int:
        cart = self.cart(cart_id)
        payment = (body or {}).get("paymentMethod") or {}
        if not cart["items"]:
            raise ApiError(400, "The cart is empty. Add items and try again.")
        if cart["shipping"] is None:
            raise ApiError(400, "The shipping method is missing. Select the shipping method and try again.")
        if payment.get("method") not in self.payment_methods:
            raise ApiError(400, "The requested Payment Method is not available.")
        for item in cart["items"]:
            if self.salable(item["sku"]) < item["qty"]:
                raise ApiError(400, QTY_NOT_AVAILABLE)
        order = self._order_from_cart(cart)
        cart["active"] = False
        for item in order["items"]:
            self.reserve(item["sku"], -item["qty_ordered"], "order_placed", order["entity_id"])
        return int(order["entity_id"])

    def _order_from_cart(self, cart: Mapping[str, Any]) -> dict[str, Any]:
        info = cart["shipping"]
        order_id = self.next_id("order")
        now = self.now()
        totals = self._cart_totals(cart)
        items = []
        for line in cart["items"]:
            rate = self.tax_rates.get(line["sku"], Decimal("0"))
            gross = Decimal(str(line["price"]))
            qty = Decimal(str(line["qty"]))
            net = gross * 100 / (100 + rate)
            product = self.product(line["sku"])
            items.append({
                "item_id": self.next_id("order_item"), "order_id": order_id, "sku": line["sku"],
                "name": line["name"], "product_id": product["id"], "product_type": "simple",
                "qty_ordered": float(qty), "qty_invoiced": 0, "qty_shipped": 0, "qty_canceled": 0, "qty_refunded": 0,
                "price": money(net), "base_price": money(net), "price_incl_tax": money(gross),
                "original_price": money(net), "row_total": money(net * qty), "row_total_incl_tax": money(gross * qty),
                "tax_amount": money((gross - net) * qty), "tax_percent": float(rate), "discount_amount": 0,
                "weight": product.get("weight", 0), "store_id": 1, "created_at": now, "updated_at": now,
            })
        billing = _order_address(info["billing"], "billing", order_id)
        shipping = _order_address(info["shipping"], "shipping", order_id)
        method = f"{info['carrier']}_{info['method']}"
        order = {
            "entity_id": order_id, "increment_id": f"{order_id:09d}", "state": STATE_OF_DEFAULT,
            "status": self.default_status(STATE_OF_DEFAULT), "created_at": now, "updated_at": now,
            "quote_id": cart["id"], "store_id": 1, "customer_is_guest": 1, "customer_group_id": 0,
            "customer_email": info["billing"].get("email") or info["shipping"].get("email"),
            "customer_firstname": billing["firstname"], "customer_lastname": billing["lastname"],
            "order_currency_code": self.base_currency, "base_currency_code": self.base_currency,
            "global_currency_code": self.base_currency, "store_currency_code": self.base_currency,
            "subtotal": totals["subtotal"], "base_subtotal": totals["subtotal"],
            "tax_amount": totals["tax_amount"], "base_tax_amount": totals["tax_amount"],
            "shipping_amount": totals["shipping_amount"], "base_shipping_amount": totals["shipping_amount"],
            "discount_amount": 0, "grand_total": totals["grand_total"], "base_grand_total": totals["grand_total"],
            "total_due": totals["grand_total"], "total_qty_ordered": sum(i["qty_ordered"] for i in items),
            "shipping_description": "Flat Rate - Fixed" if info["carrier"] == "flatrate" else "In-Store Pickup",
            "items": items, "billing_address": billing, "status_histories": [],
            "extension_attributes": {"shipping_assignments": [
                {"shipping": {"address": shipping, "method": method}, "items": copy.deepcopy(items)}]},
        }
        if info["pickup"]:
            order["extension_attributes"]["pickup_location_code"] = info["pickup"]
        self.orders[order_id] = order
        return order

    # -- orders --------------------------------------------------------------------
    def order(self, order_id: int) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise ApiError(404, NOT_FOUND)
        return order

    def save_order(self, body: Any) -> dict[str, Any]:
        """``POST /V1/orders``: partial save with ``entity_id``, else store the order as given."""
        entity = required(body, "entity")
        for name in ("base_grand_total", "customer_email", "grand_total", "items"):
            required(entity, name)
        if entity.get("entity_id") is None:
            return self._store_given_order(entity)
        order = self.order(int(entity["entity_id"]))
        items_by_id = {i["item_id"]: i for i in order["items"]}
        for item in entity["items"]:
            target = items_by_id.get(item.get("item_id"))
            if target is None:
                raise ApiError(404, NOT_FOUND)
            target.update({k: v for k, v in item.items() if k != "item_id"})
        order.update({k: copy.deepcopy(v) for k, v in entity.items() if k not in ("items", "entity_id")})
        for assignment in order["extension_attributes"]["shipping_assignments"]:
            assignment["items"] = copy.deepcopy(order["items"])
        order["updated_at"] = self.now()
        return order

    def _store_given_order(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        order_id = self.next_id("order")
        now = self.now()
        order = copy.deepcopy(dict(entity))
        order.update({"entity_id": order_id, "increment_id": order.get("increment_id") or f"{order_id:09d}",
                      "state": order.get("state") or STATE_OF_DEFAULT, "created_at": now, "updated_at": now,
                      "status_histories": order.get("status_histories") or []})
        order["status"] = order.get("status") or self.default_status(order["state"])
        for item in order["items"]:
            item.update({"item_id": self.next_id("order_item"), "order_id": order_id})
            item.setdefault("qty_shipped", 0)
            item.setdefault("qty_invoiced", 0)
        order.setdefault("extension_attributes", {}).setdefault("shipping_assignments", [])
        self.orders[order_id] = order
        return order

    def add_comment(self, order_id: int, body: Any) -> bool:
        history = required(body, "statusHistory")
        for name in ("comment", "is_customer_notified", "is_visible_on_front", "parent_id"):
            required(history, name)
        order = self.order(order_id)
        status = history.get("status") or order["status"]
        if status != order["status"] and status not in self.statuses_of(order["state"]):
            raise ApiError(400, 'Unable to add comment: The status "%1" is not part of the order status history.',
                           [status])
        order["status"] = status
        self._history(order, str(history["comment"]), status, int(history["is_customer_notified"]))
        return True

    def _history(self, order: dict[str, Any], comment: str, status: str, notified: int = 0) -> None:
        now = self.now()
        order["status_histories"].append({
            "entity_id": self.next_id("history"), "parent_id": order["entity_id"], "comment": comment,
            "status": status, "created_at": now, "is_customer_notified": notified, "is_visible_on_front": 0,
            "entity_name": "order"})
        order["updated_at"] = now

    def cancel(self, order_id: int) -> bool:
        order = self.order(order_id)
        if order["state"] in ("complete", "closed", "canceled", "holded") or any(
                i.get("qty_shipped") or i.get("qty_invoiced") for i in order["items"]):
            return False
        for item in order["items"]:
            item["qty_canceled"] = item["qty_ordered"]
            self.reserve(item["sku"], item["qty_ordered"], "order_canceled", order_id)
        order["state"], order["status"] = "canceled", self.default_status("canceled")
        order["updated_at"] = self.now()
        return True

    def hold(self, order_id: int) -> bool:
        order = self.order(order_id)
        if order["state"] not in ("new", "processing"):
            return False
        order["hold_before_state"], order["hold_before_status"] = order["state"], order["status"]
        order["state"], order["status"] = "holded", self.default_status("holded")
        order["updated_at"] = self.now()
        return True

    def unhold(self, order_id: int) -> bool:
        order = self.order(order_id)
        if order["state"] != "holded":
            return False
        order["state"], order["status"] = order.pop("hold_before_state"), order.pop("hold_before_status")
        order["updated_at"] = self.now()
        return True

    def invoice(self, order_id: int) -> None:
        order = self.order(order_id)
        for item in order["items"]:
            item["qty_invoiced"] = item["qty_ordered"]
        self._advance_state(order)

    def _advance_state(self, order: dict[str, Any]) -> None:
        shipped = all(i.get("qty_shipped", 0) >= i["qty_ordered"] for i in order["items"])
        invoiced = all(i.get("qty_invoiced", 0) >= i["qty_ordered"] for i in order["items"])
        state = "complete" if shipped and invoiced else "processing"
        if order["state"] != state:
            order["state"], order["status"] = state, self.default_status(state)
        order["updated_at"] = self.now()

    # -- shipments ------------------------------------------------------------------
    def ship(self, order_id: int, body: Any) -> int:
        """``POST /V1/order/{orderId}/ship``: shipment document, source deduction, compensation."""
        order = self.order(order_id)
        body = body or {}
        if order["state"] in ("canceled", "closed", "complete", "holded"):
            raise ApiError(400, "Shipment Document Validation Error(s):\n%1",
                           ["The order does not allow a shipment to be created."])
        wanted = body.get("items") or [{"order_item_id": i["item_id"], "qty": i["qty_ordered"] - i.get("qty_shipped", 0)}
                                       for i in order["items"] if i["qty_ordered"] > i.get("qty_shipped", 0)]
        items_by_id = {i["item_id"]: i for i in order["items"]}
        source = ((body.get("arguments") or {}).get("extension_attributes") or {}).get("source_code") or \
            order.get("extension_attributes", {}).get("pickup_location_code") or "default"
        now = self.now()
        shipment_id = self.next_id("shipment")
        shipment_items = []
        for line in wanted:
            item = items_by_id.get(line.get("order_item_id"))
            qty = float(line.get("qty") or 0)
            if item is None or qty <= 0 or qty > item["qty_ordered"] - item.get("qty_shipped", 0):
                raise ApiError(400, "Shipment Document Validation Error(s):\n%1",
                               ["You can't create a shipment without products."])
            item["qty_shipped"] = item.get("qty_shipped", 0) + qty
            self.deduct_source(item["sku"], source, qty)
            self.reserve(item["sku"], qty, "shipment_created", shipment_id)
            shipment_items.append({"entity_id": self.next_id("ship_item"), "parent_id": shipment_id,
                                   "order_item_id": item["item_id"], "qty": qty, "sku": item["sku"],
                                   "name": item["name"], "product_id": item.get("product_id"),
                                   "price": item.get("price", 0), "weight": item.get("weight") or 0})
        tracks = [self._track(order_id, shipment_id, t, now) for t in body.get("tracks") or []]
        self.shipments[shipment_id] = {
            "entity_id": shipment_id, "increment_id": f"{shipment_id:09d}", "order_id": order_id, "store_id": 1,
            "created_at": now, "updated_at": now, "total_qty": sum(i["qty"] for i in shipment_items),
            "items": shipment_items, "tracks": tracks, "comments": [], "packages": [],
            "extension_attributes": {"source_code": source},
        }
        self._advance_state(order)
        return shipment_id

    def _track(self, order_id: int, shipment_id: int, track: Mapping[str, Any], now: str) -> dict[str, Any]:
        for name in ("track_number", "title", "carrier_code"):
            required(track, name)
        return {"entity_id": self.next_id("track"), "order_id": order_id, "parent_id": shipment_id,
                "track_number": str(track["track_number"]), "title": str(track["title"]),
                "carrier_code": str(track["carrier_code"]), "weight": 0, "qty": 0, "description": "",
                "created_at": now, "updated_at": now}

    def add_track(self, shipment_id: int, carrier_code: str, title: str, track_number: str) -> None:
        shipment = self.shipments[shipment_id]
        shipment["tracks"].append(self._track(shipment["order_id"], shipment_id, {
            "track_number": track_number, "title": title, "carrier_code": carrier_code}, self.now()))

    def notify_ready_for_pickup(self, body: Any) -> dict[str, Any]:
        """Ship each pickup order from its pickup location; report refused ones (K4)."""
        errors = []
        for order_id in required(body, "orderIds"):
            order = self.orders.get(int(order_id))
            if order is None or not order.get("extension_attributes", {}).get("pickup_location_code"):
                errors.append(f"Order {order_id} is not an in-store pickup order.")
                continue
            try:
                self.ship(int(order_id), {})
            except ApiError as exc:
                errors.append(f"Order {order_id}: {exc.message}")
        return {"successful": not errors, "errors": errors}


def _order_address(address: Mapping[str, Any], kind: str, order_id: int) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in address.items()
           if k in ("firstname", "lastname", "company", "street", "city", "postcode", "country_id", "region",
                    "telephone", "email") and v not in (None, "")}
    out.update({"address_type": kind, "parent_id": order_id})
    return out


def _default_statuses() -> list[StatusDef]:
    data = json.loads(resources.files("marketbridge_magento.emulator").joinpath("data/order-statuses.json")
                      .read_text(encoding="utf-8"))
    labels = {s["status"]: s["label"] for s in data["statuses"]}
    out: list[StatusDef] = []
    for state in data["states"]:
        for assignment in sorted(state["statuses"], key=lambda a: not a["is_default"]):
            out.append(StatusDef(assignment["status"], labels[assignment["status"]], state["state"]))
    return out


def seed_catalogue(shop: MagentoShop) -> None:
    """Load :data:`DEMO_PRODUCTS`: variants become simple children of a configurable parent."""
    children: dict[str, list[str]] = {}
    parents = {p.parent_sku for p in DEMO_PRODUCTS if p.parent_sku}
    for demo in DEMO_PRODUCTS:
        is_parent = demo.sku in parents
        shop.add_product(demo.sku, demo.name, demo.price, weight=demo.weight, tax_rate=demo.tax_rate,
                         enabled=demo.active, type_id="configurable" if is_parent else "simple", ean=demo.ean,
                         quantities={"default": demo.stock})
        if demo.parent_sku:
            children.setdefault(demo.parent_sku, []).append(demo.sku)
    for parent, skus in children.items():
        shop.link_children(parent, skus)
