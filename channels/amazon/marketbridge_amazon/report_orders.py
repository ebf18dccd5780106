"""Two order reports joined into canonical orders: the backlog import route.

No single order report carries everything a shop order needs, so the
backlog route reads two documents (Amazon "Order Reports" and "Order Tracking
Reports" attribute lists, developer-docs.amazon.com/sp-api/docs/order-reports-attributes
and …/order-tracking-reports-attributes):

* **Unshipped Orders Report** ``GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING``
  (restricted, RDT; MFN; "Contains only orders that are not confirmed as
  shipped"; dates select when orders became *eligible for fulfilment*, so it
  never lists Pending orders). It gives the open lines with ``order-item-id``,
  quantities, the recipient's address, ``is-prime`` and ``is-business-order``,
  but no prices.
* **All Orders Report by last update** ``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL``
  (not restricted). It gives ``order-status``, ``currency``, ``item-price``,
  ``item-tax``, ``shipping-price``, ``shipping-tax``, promotion discounts and
  ``asin`` per (order, SKU) – "aggregates of the quantity, not unit prices" –
  but no order item ids and no names or street addresses.

Rows are joined on (order id, SKU). An open order missing from the tracking
document (the reports are generated minutes apart) or with a line that cannot
be priced is not guessed: its id goes to the re-check list (getOrder).
Cancelled orders of the tracking document are re-checked as well, so the
engine learns about cancellations. Flags the reports cannot carry
(replacement, pre-order) stay false on this route; the optional ``is-ispu``
column (Seller Central → Order Reports → add columns) and the store index
mark pickup orders.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from marketbridge.adapters import RejectedOrder

from marketbridge_amazon.order_mapping import (BUSINESS_TAG, MARKETPLACE, PICKUP_TAG, PRIME_TAG, MappingRules,
                                               Unmappable, iso)

UNSHIPPED_REPORT = "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING"
TRACKING_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
RESTRICTED_REPORTS = frozenset({UNSHIPPED_REPORT})

#: Columns of the Unshipped Orders Report, in Amazon's documented order.
UNSHIPPED_COLUMNS = (
    "order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "promise-date",
    "days-past-promise", "buyer-email", "buyer-phone-number", "sku", "product-name", "quantity-purchased",
    "quantity-shipped", "quantity-to-ship", "ship-service-level", "recipient-name", "ship-address-1",
    "ship-address-2", "ship-address-3", "ship-city", "ship-state", "ship-postal-code", "ship-country",
    "is-business-order", "purchase-order-number", "price-designation", "is-prime",
)
#: Columns of the All Orders Report by last update, in Amazon's documented order.
TRACKING_COLUMNS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
    "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
    "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
)

_STATUSES = {"pending": "pending", "unshipped": "unshipped", "partiallyshipped": "partially_shipped",
             "shipped": "shipped", "canceled": "cancelled", "cancelled": "cancelled"}
_OPEN = {"unshipped", "partially_shipped"}


@dataclass
class JoinedReports:
    """What the two documents yield."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedOrder] = field(default_factory=list)
    recheck: list[str] = field(default_factory=list)  #: ids to read with getOrder


def _yes(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("true", "yes", "y", "1")


def _amount(row: Mapping[str, str], column: str, order_id: str) -> Decimal:
    text = (row.get(column) or "").strip()
    if not text:
        return Decimal("0")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Unmappable(f"Order {order_id}: column {column} is not an amount ({text!r})") from None
    if not value.is_finite():
        raise Unmappable(f"Order {order_id}: column {column} is not an amount ({text!r})")
    return value


def status_of(text: str | None) -> str | None:
    """Canonical status of a tracking report ``order-status`` value (``None`` when unknown)."""
    return _STATUSES.get(str(text or "").replace(" ", "").replace("_", "").lower())


def join_reports(unshipped: Sequence[Mapping[str, str]], tracking: Sequence[Mapping[str, str]],
                 rules: MappingRules, *, created_since: str | None = None) -> JoinedReports:
    """Join the two documents into canonical orders (see the module docstring).

    ``created_since`` (ISO) marks an activation backfill (C3): open orders
    purchased earlier are dropped, and cancelled orders are not re-checked
    (the connection never imported them; orders it saw while Pending are
    re-checked by the engine through ``refresh_orders``).
    """
    result = JoinedReports()
    priced: dict[str, dict[str, list[Mapping[str, str]]]] = defaultdict(lambda: defaultdict(list))
    statuses: dict[str, str | None] = {}
    for row in tracking:
        order_id = row.get("amazon-order-id") or ""
        priced[order_id][row.get("sku") or ""].append(row)
        statuses[order_id] = status_of(row.get("order-status"))
    open_rows: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    for row in unshipped:
        open_rows[row.get("order-id") or ""].append(row)

    since = iso(created_since, "created since") if created_since else None
    for order_id, rows in open_rows.items():
        if not order_id:
            continue
        purchased = iso(rows[0].get("purchase-date"), "purchase-date") if rows[0].get("purchase-date") else None
        if since and purchased and purchased < since:
            continue
        if statuses.get(order_id) not in _OPEN:
            result.recheck.append(order_id)
            continue
        try:
            result.orders.append(_order(order_id, rows, priced[order_id], statuses[order_id] or "unshipped", rules))
        except _NeedsRecheck:
            result.recheck.append(order_id)
        except Unmappable as exc:
            result.rejected.append(RejectedOrder(order_id, _scrub(rows), exc.reason))
    if created_since is None:
        for order_id, status in statuses.items():
            if status == "cancelled" and order_id not in result.recheck:
                result.recheck.append(order_id)
    return result


class _NeedsRecheck(Exception):
    pass


def _scrub(rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "buyer-email"} for row in rows]


def _order(order_id: str, rows: Sequence[Mapping[str, str]], priced: Mapping[str, list[Mapping[str, str]]],
           status: str, rules: MappingRules) -> dict[str, Any]:
    remaining = {sku: list(candidates) for sku, candidates in priced.items()}
    lines = []
    currency = None
    ship_price = ship_tax = ship_discount = Decimal("0")
    updated = None
    sales_channel = None
    for row in rows:
        sku = row.get("sku") or ""
        candidates = remaining.get(sku) or []
        if not candidates:
            raise _NeedsRecheck()
        price_row = candidates.pop(0)
        currency = currency or price_row.get("currency")
        if price_row.get("currency") != currency:
            raise Unmappable(f"Order {order_id} mixes currencies")
        quantity_text = row.get("quantity-purchased") or ""
        if not quantity_text.isdigit() or int(quantity_text) < 1:
            raise Unmappable(f"Order {order_id}: line {row.get('order-item-id')} has no valid quantity")
        quantity = int(quantity_text)
        item_total = _amount(price_row, "item-price", order_id)
        ship_price += _amount(price_row, "shipping-price", order_id)
        ship_tax += _amount(price_row, "shipping-tax", order_id)
        ship_discount += abs(_amount(price_row, "ship-promotion-discount", order_id))
        updated = updated or price_row.get("last-updated-date")
        sales_channel = sales_channel or price_row.get("sales-channel")
        lines.append({
            "line_id": row.get("order-item-id") or "",
            "title": row.get("product-name") or sku,
            "quantity": quantity,
            "unit_price": (item_total / quantity).quantize(Decimal("0.01")),
            "tax": _amount(price_row, "item-tax", order_id),
            "discount": abs(_amount(price_row, "item-promotion-discount", order_id)),
            "sku": sku or None,
            "marketplace_product_id": price_row.get("asin") or None,
        })
    currency = currency or rules.currency
    total = sum((line["unit_price"] * line["quantity"] - line["discount"]
                 + (Decimal("0") if rules.prices_include_tax else line["tax"]) for line in lines), Decimal("0"))
    total += ship_price - ship_discount + (Decimal("0") if rules.prices_include_tax else ship_tax)

    def money(value: Decimal) -> dict[str, str]:
        return {"amount": str(value), "currency": currency}

    for line in lines:
        for key in ("unit_price", "tax", "discount"):
            line[key] = money(line[key])
    first = rows[0]
    address_raw = {"name": first.get("recipient-name"), "addressLine1": first.get("ship-address-1"),
                   "addressLine2": first.get("ship-address-2"), "addressLine3": first.get("ship-address-3"),
                   "city": first.get("ship-city"), "stateOrRegion": first.get("ship-state"),
                   "postalCode": first.get("ship-postal-code"), "countryCode": first.get("ship-country")}
    store_code = rules.known_store(address_raw) if rules.known_store else None
    if store_code is None and _yes(first.get("is-ispu")):
        store_code = rules.resolve_store(address_raw)
    pickup = _yes(first.get("is-ispu")) or store_code is not None
    if pickup and store_code is None:
        raise Unmappable(f"Order {order_id} is an in-store pickup order whose store is unknown; add the store "
                         "under Stores, then re-check the order.")
    prime = _yes(first.get("is-prime"))
    business = _yes(first.get("is-business-order"))
    tags = [tag for tag, on in ((PRIME_TAG, prime), (PICKUP_TAG, pickup), (BUSINESS_TAG, business)) if on]
    notes = {"import_route": "order reports"}
    if first.get("purchase-order-number"):
        notes["purchase_order_number"] = first["purchase-order-number"]
    level = first.get("ship-service-level") or "Standard"
    return {
        "marketplace": MARKETPLACE,
        "marketplace_order_id": order_id,
        "status": status,
        "marketplace_status": {"unshipped": "UNSHIPPED", "partially_shipped": "PARTIALLY_SHIPPED"}[status],
        "purchased_at": iso(first.get("purchase-date"), "purchase-date"),
        "updated_at": iso(updated or first.get("purchase-date"), "last-updated-date"),
        "currency": currency,
        "lines": lines,
        "shipping": {"method": level, "price": money(ship_price), "tax": money(ship_tax),
                     "discount": money(ship_discount), "service_level": level},
        "total": money(total),
        "fulfilment_channel": "merchant",
        "prices_include_tax": rules.prices_include_tax,
        "sales_channel": sales_channel,
        "buyer": {"name": None, "email": None, "company": None, "vat_number": None},
        "shipping_address": {
            "name": first.get("recipient-name") or "", "line1": first.get("ship-address-1") or "",
            "line2": first.get("ship-address-2") or None, "line3": first.get("ship-address-3") or None,
            "city": first.get("ship-city") or "", "postal_code": first.get("ship-postal-code") or "",
            "region": first.get("ship-state") or None, "country_code": (first.get("ship-country") or "").upper(),
            "phone": first.get("buyer-phone-number") or None,
        },
        "flags": {"prime": prime, "pickup": pickup, "business": business},
        "pickup_store_code": store_code,
        "promise": {"latest_ship": iso(first.get("promise-date"), "promise-date")} if first.get("promise-date") else {},
        "tags": tags,
        "notes": notes,
    }
