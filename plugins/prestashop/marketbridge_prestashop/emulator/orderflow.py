"""The shop logic behind ``POST /api/orders`` and state changes, as PrestaShop 8 runs it.

* ``Order::addWs()`` → ``PaymentModule::validateOrder(id_cart, PS_OS_WS_PAYMENT, total_paid, payment)``:
  the order is priced from the cart (catalogue prices, the carrier's cost),
  cart rows whose product no longer exists are dropped, disabled products
  are ordered like any other, the state is "Remote payment accepted" (11)
  unless ``total_paid`` differs from the cart total, then "Payment error" (8);
  stock is taken unless the state is an error; a product short of stock
  switches the order to "On backorder" (9 paid / 12 not paid). A cart that
  already became an order, or does not exist, makes PHP ``die()`` with a
  plain-text message (HTTP 200, not XML).
* ``OrderHistory::changeIdOrderState()``: the new state, ``valid``, ``date_upd``,
  a history row; stock returns when an order is cancelled and is taken again
  when it leaves "Canceled"/"Payment error".
"""
from __future__ import annotations

import json
import random
import string
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketbridge_prestashop.emulator.query import ApiError
from marketbridge_prestashop.emulator.store import Record, Store

WS_PAYMENT, PAYMENT_ERROR, CANCELED = 11, 8, 6
BACKORDER_PAID, BACKORDER_UNPAID = 9, 12
_SIX = Decimal("0.000001")
_CENT = Decimal("0.01")


class PlainTextDie(Exception):
    """PHP ``die($message)``: the Webservice answers HTTP 200 with this text instead of XML."""


def _d(value: Any) -> Decimal:
    return Decimal(str(value or "0"))


def _six(value: Decimal) -> str:
    return str(value.quantize(_SIX, rounding=ROUND_HALF_UP))


def state_flags(store: Store, state_id: int) -> Record:
    state = store.get("order_states", state_id)
    if state is None:
        raise ApiError(500, 0, "Can't load Order status")
    return state


def adjust_stock(store: Store, product_id: int, attribute: int, delta: int) -> None:
    """Change a combination's quantity and its product's sum row, as ``StockAvailable::updateQuantity``."""
    rows = store.where("stock_availables", id_product=product_id, id_product_attribute=attribute)
    if attribute:
        rows += store.where("stock_availables", id_product=product_id, id_product_attribute=0)
    for row in rows:
        row["quantity"] = str(int(row["quantity"]) + delta)


def _stock_of(store: Store, product_id: int, attribute: int) -> int:
    rows = store.where("stock_availables", id_product=product_id, id_product_attribute=attribute)
    return int(rows[0]["quantity"]) if rows else 0


def change_state(store: Store, order: Record, state_id: int, employee: int = 0) -> Record:
    """Move ``order`` to ``state_id`` and write the history row (``OrderHistory::changeIdOrderState``)."""
    new = state_flags(store, state_id)
    old_id = int(order.get("current_state") or 0)
    if store.internals.stock_management and old_id:
        leaving_void = old_id in (CANCELED, PAYMENT_ERROR) and state_id not in (CANCELED, PAYMENT_ERROR)
        entering_cancel = state_id == CANCELED and old_id not in (CANCELED, PAYMENT_ERROR)
        if leaving_void or entering_cancel:
            sign = -1 if leaving_void else 1
            for detail in store.where("order_details", id_order=order["id"]):
                adjust_stock(store, int(detail["product_id"]), int(detail["product_attribute_id"]),
                             sign * int(detail["product_quantity"]))
    order["current_state"] = str(state_id)
    order["valid"] = new["logable"]
    store.touch(order)
    return store.insert("order_histories", {"id_employee": str(employee), "id_order_state": str(state_id),
                                            "id_order": order["id"]})


def _price_incl(store: Store, product: Record, combination: Record | None) -> tuple[Decimal, Decimal]:
    net = _d(product["price"]) + (_d(combination["price"]) if combination else Decimal(0))
    rate = store.internals.tax_rates.get(int(product.get("id_tax_rules_group") or 0), Decimal(0))
    return net, (net * (1 + rate / 100)).quantize(_SIX, rounding=ROUND_HALF_UP)


def _carrier_for(store: Store, cart: Record) -> Record | None:
    try:
        option = json.loads(cart.get("delivery_option") or "{}")
        wanted = int(str(option.get(str(cart["id_address_delivery"]), "")).strip(",") or 0)
    except (ValueError, AttributeError):
        wanted = 0
    carrier = store.get("carriers", wanted)
    if carrier is not None and carrier["active"] == "1" and carrier["deleted"] == "0":
        return carrier
    live = [c for c in store.rows("carriers") if c["active"] == "1" and c["deleted"] == "0"]
    return min(live, key=lambda c: int(c["position"] or 0)) if live else None


def _reference(order_id: int) -> str:
    rng = random.Random(order_id * 7919)  # Order::generateReference(): 9 random capitals, here repeatable
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(9))


def place_order(store: Store, posted: Record) -> Record:
    """``POST /api/orders``: create the order from its cart; returns the new order record."""
    module = str(posted.get("module", ""))
    if module not in store.internals.payment_modules:
        raise ApiError(500, 2, "[PHP Error #1] Call to a member function validateOrder() on bool "
                               "(classes/order/Order.php, line 1480)")
    cart = store.get("carts", posted.get("id_cart", 0))
    if cart is None or int(cart["id"]) in store.internals.cart_orders:
        raise PlainTextDie("Cart cannot be loaded or an order has already been placed using this cart")
    customer = store.get("customers", cart["id_customer"])
    if customer is None or customer["secure_key"] != cart["secure_key"]:
        raise PlainTextDie("Fatal error")
    lines = []
    for row in cart.get("associations", {}).get("cart_rows", []):
        product = store.get("products", row.get("id_product", 0))
        attribute = int(row.get("id_product_attribute") or 0)
        combination = store.get("combinations", attribute) if attribute else None
        if product is None or (attribute and (combination is None or combination["id_product"] != product["id"])):
            continue  # Cart::getProducts() joins the catalogue: rows of vanished products disappear
        lines.append((product, combination, int(row.get("quantity") or 0)))
    if not lines:
        raise ApiError(500, 46, "Unable to save resource")
    carrier = _carrier_for(store, cart)
    shipping_incl = Decimal(0) if carrier is None or carrier["is_free"] == "1" else \
        store.internals.carrier_prices.get(int(carrier["id"]), Decimal(0))
    carrier_rate = store.internals.tax_rates.get(int(carrier["id_tax_rules_group"] or 0), Decimal(0)) if carrier \
        else Decimal(0)
    shipping_excl = (shipping_incl / (1 + carrier_rate / 100)).quantize(_SIX, rounding=ROUND_HALF_UP)
    priced = [(product, combination, qty, *_price_incl(store, product, combination))
              for product, combination, qty in lines]
    products_excl = sum((net * qty for _, _, qty, net, _ in priced), Decimal(0))
    products_incl = sum((gross * qty for _, _, qty, _, gross in priced), Decimal(0))
    cart_total = (products_incl + shipping_incl).quantize(_CENT, rounding=ROUND_HALF_UP)
    amount_paid = _d(posted.get("total_paid")).quantize(_CENT, rounding=ROUND_HALF_UP)
    state = WS_PAYMENT if cart_total == amount_paid else PAYMENT_ERROR
    currency = store.get("currencies", cart["id_currency"])
    order = store.insert("orders", {
        "id_address_delivery": cart["id_address_delivery"], "id_address_invoice": cart["id_address_invoice"],
        "id_cart": cart["id"], "id_currency": cart["id_currency"], "id_lang": cart["id_lang"],
        "id_customer": cart["id_customer"], "id_carrier": carrier["id"] if carrier else "0", "current_state": "0",
        "module": module, "invoice_number": "0", "invoice_date": "0000-00-00 00:00:00", "delivery_number": "0",
        "delivery_date": "0000-00-00 00:00:00", "valid": "0", "shipping_number": "", "note": "",
        "id_shop_group": cart.get("id_shop_group") or "1", "id_shop": cart.get("id_shop") or "1",
        "secure_key": cart["secure_key"], "payment": str(posted.get("payment", "")),
        "recyclable": cart.get("recyclable") or "0", "gift": cart.get("gift") or "0",
        "gift_message": cart.get("gift_message", ""), "mobile_theme": "0",
        "total_discounts": "0.000000", "total_discounts_tax_incl": "0.000000", "total_discounts_tax_excl": "0.000000",
        "total_paid": _six(products_incl + shipping_incl), "total_paid_tax_incl": _six(products_incl + shipping_incl),
        "total_paid_tax_excl": _six(products_excl + shipping_excl),
        "total_paid_real": _six(amount_paid),  # addOrderPayment: the starting state (11) is logable
        "total_products": _six(products_excl), "total_products_wt": _six(products_incl),
        "total_shipping": _six(shipping_incl), "total_shipping_tax_incl": _six(shipping_incl),
        "total_shipping_tax_excl": _six(shipping_excl), "carrier_tax_rate": str(carrier_rate.quantize(Decimal("0.001"))),
        "total_wrapping": "0.000000", "total_wrapping_tax_incl": "0.000000", "total_wrapping_tax_excl": "0.000000",
        "round_mode": "2", "round_type": "2",
        "conversion_rate": currency["conversion_rate"] if currency else "1.000000",
    })
    order["reference"] = _reference(int(order["id"]))
    store.internals.cart_orders[int(cart["id"])] = int(order["id"])
    short = False
    weight = Decimal(0)
    for product, combination, qty, net, gross in priced:
        attribute = int(combination["id"]) if combination else 0
        available = _stock_of(store, int(product["id"]), attribute)
        name = product["name"].get(str(cart["id_lang"]), "") if isinstance(product["name"], dict) else product["name"]
        line_weight = _d(product["weight"]) + (_d(combination["weight"]) if combination else Decimal(0))
        weight += line_weight * qty
        in_stock = qty
        if state != PAYMENT_ERROR and store.internals.stock_management:
            adjust_stock(store, int(product["id"]), attribute, -qty)
            if available - qty < 0:
                short, in_stock = True, max(available, 0)
        store.insert("order_details", {
            "id_order": order["id"], "product_id": product["id"], "product_attribute_id": str(attribute),
            "id_order_invoice": "0", "id_warehouse": "0", "id_shop": order["id_shop"], "id_customization": "0",
            "product_name": f"{name} - {combination['reference']}" if combination else name,
            "product_quantity": str(qty), "product_quantity_in_stock": str(in_stock),
            "product_quantity_return": "0", "product_quantity_refunded": "0", "product_quantity_reinjected": "0",
            "product_price": _six(net), "reduction_percent": "0.00", "reduction_amount": "0.000000",
            "reduction_amount_tax_incl": "0.000000", "reduction_amount_tax_excl": "0.000000",
            "product_ean13": (combination or product)["ean13"], "product_reference": (combination or product)["reference"],
            "product_weight": _six(line_weight), "tax_computation_method": "0",
            "id_tax_rules_group": product["id_tax_rules_group"], "unit_price_tax_incl": _six(gross),
            "unit_price_tax_excl": _six(net), "total_price_tax_incl": _six(gross * qty),
            "total_price_tax_excl": _six(net * qty), "original_product_price": _six(net),
        })
    if carrier is not None:
        store.insert("order_carriers", {"id_order": order["id"], "id_carrier": carrier["id"], "id_order_invoice": "0",
                                        "weight": _six(weight), "shipping_cost_tax_excl": _six(shipping_excl),
                                        "shipping_cost_tax_incl": _six(shipping_incl), "tracking_number": ""})
    change_state(store, order, state)
    if short and store.internals.stock_management:
        change_state(store, order, BACKORDER_PAID if order["valid"] == "1" else BACKORDER_UNPAID)
    return order
