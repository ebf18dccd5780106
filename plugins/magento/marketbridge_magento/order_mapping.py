"""Canonical order → Magento payloads (quote flow, then the amounts the marketplace charged).

Pure functions, no HTTP. The create flow (:mod:`.ordering`) sends:

1. ``POST /V1/carts/{id}/items`` bodies from :func:`cart_item`,
2. ``POST /V1/carts/{id}/shipping-information`` from :func:`shipping_information`,
3. ``POST /V1/orders`` (partial save of the placed order) from :func:`final_amounts`:
   the marketplace's prices, taxes, discounts and total replace the catalogue
   figures Magento computed during checkout, and ``ext_order_id`` is written.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from marketbridge.adapters import Marker, OrderDraft
from marketbridge.order import Address, Order, OrderLine

from marketbridge_magento.settings import MagentoSettings

FOUR_PLACES = Decimal("0.0001")
PICKUP_CARRIER = "instore"
PICKUP_METHOD = "pickup"


def synthetic_email(external_ref: str, domain: str) -> str:
    """The order's e-mail address, derived from the marketplace reference.

    Marketplaces (Amazon) do not share buyer e-mails (O8), and Magento requires
    one. Deriving it from ``external_ref`` also makes it the key that finds an
    order placed by a checkout whose answer was lost, before ``ext_order_id``
    could be written (exactly-once, O1/C9).
    """
    local = re.sub(r"[^a-z0-9]+", "-", external_ref.lower()).strip("-")
    if len(local) > 64:
        local = local[:52] + "-" + hashlib.sha256(external_ref.encode()).hexdigest()[:11]
    return f"{local}@{domain}"


def split_name(name: str) -> tuple[str, str]:
    """Magento wants first and last name: the last word is the last name."""
    words = name.split()
    if not words:
        return "-", "-"
    if len(words) == 1:
        return words[0], "-"
    return " ".join(words[:-1]), words[-1]


def quote_address(address: Address, *, email: str, phone: str, pickup_location: str | None = None) -> dict[str, Any]:
    """A ``quote-data-address-interface`` for the shipping or billing address."""
    first, last = split_name(address.name)
    street = [part for part in (address.line1, address.line2, address.line3) if part]
    body: dict[str, Any] = {
        "firstname": first,
        "lastname": last,
        "company": address.company or "",
        "street": street,
        "city": address.city,
        "postcode": address.postal_code,
        "country_id": address.country_code,
        "region": address.region or "",
        "region_id": 0,
        "region_code": "",
        "telephone": address.phone or phone,
        "email": email,
    }
    if pickup_location:
        body["extension_attributes"] = {"pickup_location_code": pickup_location}
    return body


def cart_item(cart_id: int, sku: str, quantity: int) -> dict[str, Any]:
    """Body of ``POST /V1/carts/{quoteId}/items``."""
    return {"cartItem": {"sku": sku, "qty": quantity, "quote_id": str(cart_id)}}


def shipping_information(draft: OrderDraft, settings: MagentoSettings, email: str) -> dict[str, Any]:
    """Body of ``POST /V1/carts/{cartId}/shipping-information``.

    Pickup orders (K1–K6) use Magento's in-store pickup (``instore_pickup``) with
    the marketplace's supply source code as ``pickup_location_code``.
    """
    order = draft.order
    if order.shipping_address is None:
        raise ValueError("an importable order has a shipping address")
    phone = order.buyer.phone or settings.phone_placeholder
    pickup = order.pickup_store_code if order.flags.pickup else None
    shipping = quote_address(order.shipping_address, email=email, phone=phone, pickup_location=pickup)
    billing = quote_address(order.billing_address or order.shipping_address, email=email, phone=phone)
    carrier, method = (PICKUP_CARRIER, PICKUP_METHOD) if pickup else (settings.carrier_code, settings.method_code)
    return {"addressInformation": {
        "shipping_address": shipping,
        "billing_address": billing,
        "shipping_carrier_code": carrier,
        "shipping_method_code": method,
    }}


@dataclass(frozen=True)
class LineAmounts:
    """One line in Magento's terms: net and gross unit prices and rows, tax, discount."""

    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    row_total_incl_tax: Decimal
    tax: Decimal
    discount: Decimal


def line_amounts(line: OrderLine, prices_include_tax: bool) -> LineAmounts:
    """Split a canonical line into Magento's net/gross fields without changing any amount charged."""
    quantity = Decimal(line.quantity)
    tax = line.tax.amount
    if prices_include_tax:
        gross_row = line.unit_price.amount * quantity
        net_row = gross_row - tax
        return LineAmounts(_q(net_row / quantity), line.unit_price.amount, net_row, gross_row, tax,
                           line.discount.amount)
    net_row = line.unit_price.amount * quantity
    return LineAmounts(line.unit_price.amount, _q((net_row + tax) / quantity), net_row, net_row + tax, tax,
                       line.discount.amount)


def marker_label(marker: Marker, order: Order) -> str:
    """What the merchant sees in the order grid's *Shipping Information* column (O2)."""
    label = marker.label + (" [TEST]" if marker.test else "")
    where = f"pickup at {order.pickup_store_code}" if marker.pickup and order.pickup_store_code else order.shipping.method
    return f"{label}: {where}"


def marker_comment(draft: OrderDraft) -> str:
    """The order comment naming the marketplace and its reference (O1, O2)."""
    order = draft.order
    text = (f"{draft.marker.label} order {order.marketplace_order_id} imported by Marketbridge "
            f"(connection \"{draft.connection_name}\", reference {draft.external_ref}).")
    if draft.marker.pickup:
        text += f" Click & Collect: the buyer picks the order up at store {order.pickup_store_code}."
    if draft.marker.test:
        text += " TEST ORDER: do not ship."
    if draft.tags:
        text += " Tags: " + ", ".join(draft.tags) + "."
    return text


def final_amounts(draft: OrderDraft, placed: Mapping[str, Any], status: tuple[str, str] | None) -> dict[str, Any]:
    """Body of the ``POST /V1/orders`` partial save that makes the placed order the marketplace's order.

    Every amount is the canonical order's: line prices, taxes and discounts,
    shipping price/tax/discount and the total, never recomputed. ``placed`` is
    the order as Magento returned it (its item ids are matched by SKU);
    ``status`` is the initial ``(state, status)`` (O3) or ``None`` to keep Magento's.
    """
    order = draft.order
    items_by_sku: dict[str, list[Mapping[str, Any]]] = {}
    for item in placed.get("items") or []:
        if item.get("parent_item_id") is None:
            items_by_sku.setdefault(str(item.get("sku")), []).append(item)
    items = []
    subtotal = subtotal_incl = tax_total = discount_total = Decimal("0")
    for planned in draft.lines:
        sku = planned.product.sku or ""
        candidates = items_by_sku.get(sku) or []
        if not candidates:
            raise KeyError(sku)
        magento_item = candidates.pop(0)
        amounts = line_amounts(planned.line, order.prices_include_tax)
        subtotal += amounts.row_total
        subtotal_incl += amounts.row_total_incl_tax
        tax_total += amounts.tax
        discount_total += amounts.discount
        items.append(_money_fields({
            "item_id": magento_item["item_id"],
            "sku": sku,
            "qty_ordered": planned.line.quantity,
            "tax_percent": planned.line.tax_rate if planned.line.tax_rate is not None else _rate(amounts),
        }, {
            "price": amounts.price, "original_price": amounts.price, "price_incl_tax": amounts.price_incl_tax,
            "row_total": amounts.row_total, "row_total_incl_tax": amounts.row_total_incl_tax,
            "tax_amount": amounts.tax, "discount_amount": amounts.discount,
        }))
    ship = order.shipping
    ship_tax = ship.tax.amount
    ship_incl = ship.price.amount if order.prices_include_tax else ship.price.amount + ship_tax
    ship_excl = ship_incl - ship_tax
    discount_total += ship.discount.amount
    total = order.total.amount
    entity = _money_fields({
        "entity_id": placed["entity_id"],
        "ext_order_id": draft.external_ref,
        "customer_email": placed.get("customer_email"),
        "order_currency_code": order.currency,
        "shipping_description": marker_label(draft.marker, order),
        "items": items,
    }, {
        "subtotal": subtotal, "subtotal_incl_tax": subtotal_incl,
        "shipping_amount": ship_excl, "shipping_incl_tax": ship_incl, "shipping_tax_amount": ship_tax,
        "shipping_discount_amount": ship.discount.amount,
        "tax_amount": tax_total + ship_tax, "discount_amount": -discount_total,
        "grand_total": total, "total_due": total,
    })
    if status is not None:
        entity["state"], entity["status"] = status
    return {"entity": entity}


def _money_fields(body: dict[str, Any], amounts: Mapping[str, Decimal]) -> dict[str, Any]:
    """Add each amount and its ``base_`` twin (the store's base currency is the order's: see ordering)."""
    for name, value in amounts.items():
        body[name] = _num(value)
        body[f"base_{name}"] = _num(value)
    if "tax_percent" in body:
        body["tax_percent"] = _num(Decimal(body["tax_percent"]))
    return body


def _rate(amounts: LineAmounts) -> Decimal:
    return Decimal("0") if not amounts.row_total else _q(amounts.tax * 100 / amounts.row_total)


def _q(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> float:
    """Magento stores amounts as DECIMAL(20,4); JSON carries them as numbers."""
    return float(_q(value))
