"""Build Ecwid's own order (``POST /orders`` body) from a canonical :class:`OrderDraft` (O1–O3).

Field choices (``specs/ecwid/NOTES.md``, "create order" and "Idempotency and
external order reference"):

* **Amounts as the marketplace charged them.** Ecwid's create call "does not
  calculate any order details" and stores totals as sent. Item ``price`` is
  the canonical unit price, item ``tax`` the line's tax, ``pricesIncludeTax``
  follows the canonical order; ``subtotal``/``tax`` are sums of those amounts,
  ``total`` is the marketplace's total. Decimals are sent as exact JSON numbers.
* **Stock moves inside Ecwid, once.** Orders are created ``PAID`` with
  ``productId`` (and ``combinationId`` for variations): Ecwid then decrements
  stock itself in the same step (docs: "Orders placed with API calls
  automatically change product stock if … placed with the PAID payment status
  … contains valid product and/or combination IDs"). Orders the marketplace
  fulfilled itself (C4, FBA) carry no product ids, so the shop's stock is left
  alone: those goods left the marketplace's warehouse.
* **The reference.** ``externalTransactionId`` = ``draft.external_ref`` (found
  again with ``keywords``); ``refererId`` marks every Marketbridge order for
  polling. ``externalOrderId`` is not used: it requires
  ``externalFulfillment: true``, which hides fulfilment editing from the merchant.
* **The marker (O2).** ``paymentMethod`` shows the marketplace in Ecwid's order
  list ("Amazon", "Amazon Click & Collect"); order extra fields show
  marketplace, marketplace order number and pickup store in the order
  details; the private admin note repeats it all with tags and test flags.
* **Initial status (O3)** sets ``fulfillmentStatus``; ``paymentStatus`` is PAID.
* Customers are not notified by Ecwid (``disableAllCustomerNotifications``):
  the marketplace talks to its buyers, and Amazon forbids using their e-mail (O8).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping

from marketbridge.adapters import Marker, OrderDraft, PlannedLine
from marketbridge.errors import OrderRejected
from marketbridge.order import Address, FulfilmentChannel, Order

from marketbridge_ecwid.products import parse_product_id
from marketbridge_ecwid.profile import StoreProfile
from marketbridge_ecwid.vocabulary import (
    CREATE_PAYMENT_STATUS,
    DEFAULT_FULFILLMENT_STATUS,
    FULFILLMENT,
    NOT_AN_ORDER_STATUS,
    PAYMENT,
    group_of,
)

#: ``refererId`` of every order Marketbridge creates (a documented search filter).
REFERER_ID = "marketbridge"
#: Ecwid caps an extra field's value at 255 characters.
EXTRA_FIELD_MAX = 255
EXTRA_FIELD_SECTION = "order_comments"


def money(amount: Decimal) -> int | float:
    """An exact JSON number for ``amount``; raises ``OrderRejected`` if a float cannot carry it."""
    if amount == amount.to_integral_value():
        return int(amount)
    value = float(amount)
    if Decimal(repr(value)) != amount:
        raise OrderRejected(f"The amount {amount} cannot be sent to Ecwid exactly; the order is held so no "
                            "amount is changed. Please report this to Marketbridge.", code="ecwid_amount")
    return value


def ecwid_date(when: datetime) -> str:
    """Ecwid's date format: ``2015-09-20 19:59:43 +0000`` (UTC)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


def initial_statuses(code: str | None) -> tuple[str, str]:
    """``(paymentStatus, fulfillmentStatus)`` for a new order whose configured status is ``code`` (O3).

    ``None`` or ``PAID`` → PAID + AWAITING_PROCESSING; any fulfilment status is
    taken as it is. Other payment statuses are refused with a reason: Ecwid
    moves stock only for orders created as PAID.
    """
    if code is None or code == CREATE_PAYMENT_STATUS:
        return CREATE_PAYMENT_STATUS, DEFAULT_FULFILLMENT_STATUS
    group = group_of(code)
    if group == FULFILLMENT:
        return CREATE_PAYMENT_STATUS, code
    if group == PAYMENT and code != NOT_AN_ORDER_STATUS:
        raise OrderRejected(
            f"The connection's status for new orders is the payment status {code}. Marketplace orders are paid, "
            "and Ecwid only reserves stock for orders created as Paid, so choose a fulfilment status (for example "
            "Awaiting processing) as the status for new orders in the connection settings.",
            code="ecwid_initial_status", status=code)
    raise OrderRejected(
        f"The connection's status for new orders, {code!r}, is not an Ecwid order status. Choose one of the "
        "store's fulfilment statuses in the connection settings.", code="ecwid_initial_status", status=code)


def marker_label(marker: Marker) -> str:
    """What the order list shows as payment method: ``"Amazon"``, ``"Amazon Click & Collect"``, ``"TEST · Amazon"``."""
    return f"TEST · {marker.label}" if marker.test else marker.label


def _person(address: Address, phone: str | None) -> dict[str, Any]:
    street = "\n".join(part for part in (address.line1, address.line2, address.line3) if part)
    person = {
        "name": address.name, "companyName": address.company, "street": street, "city": address.city,
        "countryCode": address.country_code, "postalCode": address.postal_code,
        "stateOrProvinceCode": address.region, "phone": address.phone or phone,
    }
    return {k: v for k, v in person.items() if v}


def _extra_field(field_id: str, title: str, value: str) -> dict[str, Any]:
    return {"id": field_id, "title": title, "value": value[:EXTRA_FIELD_MAX], "customerInputType": "",
            "orderDetailsDisplaySection": EXTRA_FIELD_SECTION, "showInNotifications": False,
            "showInInvoice": False}


def _extra_fields(draft: OrderDraft) -> list[dict[str, Any]]:
    order = draft.order
    fields = [
        _extra_field("marketbridge_marketplace", "Marketplace", marker_label(draft.marker)),
        _extra_field("marketbridge_order", "Marketplace order", order.marketplace_order_id),
    ]
    if order.flags.pickup and order.pickup_store_code:
        fields.append(_extra_field("marketbridge_pickup_store", "Pickup store", order.pickup_store_code))
    tags = list(dict.fromkeys([*draft.tags, *order.tags]))
    if tags:
        fields.append(_extra_field("marketbridge_tags", "Marketbridge tags", ", ".join(tags)))
    return fields


def admin_note(draft: OrderDraft) -> str:
    """The private admin note: where the order comes from, in the merchant's words."""
    order = draft.order
    lines = [f"Imported by Marketbridge from {draft.marker.label}: order {order.marketplace_order_id} "
             f"(reference {draft.external_ref}, connection \"{draft.connection_name}\")."]
    if draft.marker.test or order.is_test:
        lines.append("TEST ORDER: created by Marketbridge for a test, do not ship.")
    if order.sales_channel:
        lines.append(f"Sales channel: {order.sales_channel}.")
    if order.fulfilment_channel is FulfilmentChannel.MARKETPLACE:
        lines.append("Fulfilled by the marketplace: do not ship; shop stock was not changed.")
    if order.flags.pickup and order.pickup_store_code:
        lines.append(f"Click & Collect: pickup in store {order.pickup_store_code}.")
    if order.promise.latest_ship:
        lines.append(f"Ship by {ecwid_date(order.promise.latest_ship)}.")
    tags = list(dict.fromkeys([*draft.tags, *order.tags]))
    if tags:
        lines.append("Tags: " + ", ".join(tags) + ".")
    lines.extend(f"{key}: {value}" for key, value in order.notes.items())
    return "\n".join(lines)


def _variation(product: Mapping[str, Any], combination_id: int) -> Mapping[str, Any] | None:
    for combination in product.get("combinations") or ():
        if isinstance(combination, dict) and combination.get("id") == combination_id:
            return combination
    return None


def _item(planned: PlannedLine, products: Mapping[int, Mapping[str, Any]], order: Order) -> dict[str, Any]:
    line, product = planned.line, planned.product
    ref = parse_product_id(product.product_id)
    raw = products.get(ref.product_id) if ref else None
    combination = _variation(raw, ref.combination_id) if raw is not None and ref and ref.combination_id else None
    if ref is None or raw is None or (ref.combination_id and combination is None):
        raise OrderRejected(
            f"The Ecwid product \"{product.name}\" ({product.sku or product.product_id}) matched for line "
            f"\"{line.title}\" no longer exists in the store. Restore it or correct the product's identifier; "
            "the order is imported once it matches.", code="ecwid_product_gone", product=product.product_id)
    item: dict[str, Any] = {
        "name": str(raw.get("name") or product.name),
        "quantity": line.quantity,
        "price": money(line.unit_price.amount),
        "productPrice": money(line.unit_price.amount),
        "tax": money(line.tax.amount),
        "isShippingRequired": True,
    }
    sku = (combination or raw).get("sku") or product.sku or line.sku
    if sku:
        item["sku"] = sku
    weight = (combination or {}).get("weight") or raw.get("weight")
    if isinstance(weight, (int, float)) and weight > 0:
        item["weight"] = weight
    if line.tax_rate is not None or line.tax.amount > 0:
        tax: dict[str, Any] = {"name": "VAT", "total": money(line.tax.amount),
                               "includeInPrice": order.prices_include_tax}
        if line.tax_rate is not None:
            tax["value"] = money(line.tax_rate)
        item["taxes"] = [tax]
    if combination is not None:
        item["selectedOptions"] = [
            {"name": str(o["name"]), "value": str(o["value"]), "type": "CHOICE"}
            for o in combination.get("options") or () if isinstance(o, dict) and o.get("name") and o.get("value")]
    if order.fulfilment_channel is FulfilmentChannel.MERCHANT:
        item["productId"] = ref.product_id
        if combination is not None:
            item["combinationId"] = ref.combination_id
    return item


def _shipping_tax_rate(order: Order) -> Decimal | None:
    rates = {line.tax_rate for line in order.lines}
    return rates.pop() if len(rates) == 1 else None


def build_order(draft: OrderDraft, products: Mapping[int, Mapping[str, Any]], profile: StoreProfile) -> dict[str, Any]:
    """The ``POST /orders`` body for ``draft``.

    ``products`` are the live Ecwid products of the draft's lines (by product
    id). Raises ``OrderRejected`` when the order's currency is not the store's,
    a matched product disappeared, or the configured initial status cannot be used.
    """
    order = draft.order
    if profile.currency and order.currency != profile.currency:
        raise OrderRejected(
            f"The order is in {order.currency}, but the Ecwid store keeps all orders in {profile.currency}. "
            f"Ecwid cannot store another currency, so the order is held. Connect this marketplace to a store in "
            f"{order.currency}, or release the order after importing it by hand.", code="ecwid_currency",
            currency=order.currency)
    if order.shipping_address is None:
        raise OrderRejected("The order has no shipping address yet, so it cannot be created in Ecwid.",
                            code="ecwid_no_address")
    payment_status, fulfillment_status = initial_statuses(draft.initial_status)
    items = [_item(planned, products, order) for planned in draft.lines]
    subtotal = sum((line.unit_price.amount * line.quantity for line in order.lines), Decimal("0"))
    tax = sum((line.tax.amount for line in order.lines), order.shipping.tax.amount)
    discount = sum((line.discount.amount for line in order.lines), order.shipping.discount.amount)
    pickup = order.flags.pickup
    shipping_option: dict[str, Any] = {
        "shippingMethodName": order.shipping.method,
        "shippingRate": money(order.shipping.price.amount),
        "fulfillmentType": "PICKUP" if pickup else "SHIPPING",
        "isPickup": pickup,
    }
    body: dict[str, Any] = {
        "subtotal": money(subtotal),
        "total": money(order.total.amount),
        "tax": money(tax),
        "email": order.buyer.email or "",
        "paymentMethod": marker_label(draft.marker),
        "paymentStatus": payment_status,
        "fulfillmentStatus": fulfillment_status,
        "createDate": ecwid_date(order.purchased_at),
        "pricesIncludeTax": order.prices_include_tax,
        "items": items,
        "shippingPerson": _person(order.shipping_address, order.buyer.phone),
        "billingPerson": _person(order.billing_address or order.shipping_address, order.buyer.phone),
        "shippingOption": shipping_option,
        "externalTransactionId": draft.external_ref,
        "refererId": REFERER_ID,
        "privateAdminNotes": admin_note(draft),
        "orderExtraFields": _extra_fields(draft),
        "disableAllCustomerNotifications": True,
        "externalFulfillment": False,
        "acceptMarketing": False,
    }
    if order.buyer.vat_number:
        body["customerTaxId"] = order.buyer.vat_number
    if discount > 0:
        body["discount"] = money(discount)
        body["discountInfo"] = [{"value": money(discount), "type": "ABS", "base": "ON_TOTAL"}]
    if order.shipping.tax.amount > 0:
        shipping_tax: dict[str, Any] = {"name": "VAT", "total": money(order.shipping.tax.amount)}
        rate = _shipping_tax_rate(order)
        if rate is not None:
            shipping_tax["value"] = money(rate)
        body["taxesOnShipping"] = [shipping_tax]
    return body
