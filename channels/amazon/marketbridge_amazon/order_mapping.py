"""Orders 2026-01-01 ``Order`` → canonical order dict (pure functions, no I/O).

Field sources (``orders_2026-01-01.json`` definitions):

* status: ``fulfillment.fulfillmentStatus`` (PENDING_AVAILABILITY and PENDING
  wait, UNFULFILLABLE counts as cancelled); the raw value is kept.
* lines: ``orderItems[]`` – ``orderItemId`` (line id for confirmShipment),
  ``product.sellerSku``/``product.asin``, ``product.price.unitPrice`` (unit
  price), ``proceeds.breakdowns`` TAX/DISCOUNT/SHIPPING with their
  ``detailedBreakdowns`` subtypes ITEM/SHIPPING.
* flags: ``programs`` (PRIME, PREMIUM, IN_STORE_PICK_UP, AMAZON_BUSINESS,
  PREORDER) and ``associatedOrders`` (REPLACEMENT_ORIGINAL_ID).
* promise: ``fulfillment.shipByWindow`` / ``deliverByWindow``.
* address: ``recipient.deliveryAddress``; for in-store pickup orders this is
  the store, matched to a supply source code by the caller's resolver.
* buyer: ``buyer.buyerName``/``buyerCompanyName`` and the buyer's VAT number;
  ``buyer.buyerEmail`` is never read (O8).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from marketbridge.order import OrderStatus

MARKETPLACE = "amazon"
PRIME_TAG = "Amazon Prime Order"  #: O5
PICKUP_TAG = "Amazon Click & Collect"  #: O2 badge for C&C orders
BUSINESS_TAG = "Amazon Business"

STATUS_MAP: dict[str, OrderStatus] = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.CANCELLED,
}

SERVICE_LEVELS = {
    "EXPEDITED": "Expedited", "FREE_ECONOMY": "FreeEconomy", "NEXT_DAY": "NextDay", "PRIORITY": "Priority",
    "SAME_DAY": "SameDay", "SECOND_DAY": "SecondDay", "SCHEDULED": "Scheduled", "STANDARD": "Standard",
}

#: Returns the supply source code of the store at an address, or ``None``.
StoreResolver = Callable[[Mapping[str, Any]], str | None]


class Unmappable(Exception):
    """The order cannot become a canonical order; ``reason`` tells the merchant why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MappingRules:
    """What the mapping needs to know about the connection."""

    currency: str  #: the marketplace's currency, used when an order carries no amount at all
    prices_include_tax: bool
    resolve_store: StoreResolver  #: may refresh the store index from Amazon
    known_store: StoreResolver | None = None  #: index lookup only (no calls), for report rows


def iso(value: Any, what: str) -> str | None:
    """Normalise an ISO 8601 time to aware UTC ISO text; ``Unmappable`` when it is not one."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Unmappable(f"{what} is not a date and time ({value!r})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat()


class _Amounts:
    """Collects money values and insists on one currency."""

    def __init__(self, fallback_currency: str) -> None:
        self.currency: str | None = None
        self.fallback = fallback_currency

    def read(self, money: Any, what: str) -> Decimal | None:
        if not isinstance(money, Mapping):
            return None
        currency, amount = money.get("currencyCode"), money.get("amount")
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            raise Unmappable(f"{what} is not an amount ({amount!r})") from None
        if not value.is_finite():
            raise Unmappable(f"{what} is not an amount ({amount!r})")
        if not isinstance(currency, str) or len(currency) != 3:
            raise Unmappable(f"{what} has no valid currency ({currency!r})")
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            raise Unmappable(f"{what} is in {currency}, other amounts of the order are in {self.currency}")
        return value

    def money(self, value: Decimal) -> dict[str, str]:
        return {"amount": str(value), "currency": self.currency or self.fallback}


def _breakdowns(item: Mapping[str, Any], amounts: _Amounts, item_id: str) -> dict[str, Decimal]:
    """Item proceeds as ``{item, tax_item, tax_shipping, shipping, discount_item, discount_shipping}``."""
    out = {k: Decimal("0") for k in ("item", "tax_item", "tax_shipping", "shipping", "discount_item",
                                      "discount_shipping")}
    proceeds = item.get("proceeds") or {}
    for entry in proceeds.get("breakdowns") or ():
        kind = entry.get("type")
        subtotal = amounts.read(entry.get("subtotal"), f"line {item_id} {kind} amount") or Decimal("0")
        details = [(d.get("subtype"), amounts.read(d.get("value"), f"line {item_id} {kind} detail"))
                   for d in entry.get("detailedBreakdowns") or ()]
        if kind == "ITEM":
            out["item"] += subtotal
        elif kind == "SHIPPING":
            out["shipping"] += subtotal
        elif kind in ("TAX", "DISCOUNT"):
            prefix = "tax" if kind == "TAX" else "discount"
            if details:
                for subtype, value in details:
                    target = "shipping" if subtype == "SHIPPING" else "item"
                    out[f"{prefix}_{target}"] += abs(value or Decimal("0"))
            else:
                out[f"{prefix}_item"] += abs(subtotal)
    return out


def _address(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or not raw.get("addressLine1"):
        return None
    name = raw.get("name") or raw.get("companyName")
    if not name or not raw.get("city") or not raw.get("countryCode"):
        return None
    return {
        "name": str(name),
        "line1": str(raw["addressLine1"]),
        "line2": raw.get("addressLine2") or None,
        "line3": raw.get("addressLine3") or None,
        "company": raw.get("companyName") or None,
        "city": str(raw["city"]),
        "postal_code": str(raw.get("postalCode") or ""),
        "region": raw.get("stateOrRegion") or None,
        "country_code": str(raw["countryCode"]).upper(),
        "phone": raw.get("phone") or None,
    }


def map_order(raw: Mapping[str, Any], rules: MappingRules) -> dict[str, Any]:
    """Turn one ``Order`` of searchOrders/getOrder into a canonical order dict.

    Raises :class:`Unmappable` with a plain reason when the data cannot make
    a valid order (the caller keeps the raw order as a rejected one).
    """
    order_id = raw.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise Unmappable("Amazon sent an order without an order id")
    fulfillment = raw.get("fulfillment") or {}
    raw_status = fulfillment.get("fulfillmentStatus")
    if raw_status not in STATUS_MAP:
        raise Unmappable(f"Order {order_id} has an unknown or missing fulfilment status ({raw_status!r})")
    status = STATUS_MAP[raw_status]
    programs = set(raw.get("programs") or ())
    amounts = _Amounts(rules.currency)

    lines: list[dict[str, Any]] = []
    ship_price = ship_tax = ship_discount = Decimal("0")
    for item in raw.get("orderItems") or ():
        item_id = str(item.get("orderItemId") or "")
        product = item.get("product") or {}
        sku, asin = product.get("sellerSku") or None, product.get("asin") or None
        if not item_id:
            raise Unmappable(f"Order {order_id} has a line without an order item id")
        if not sku and not asin:
            raise Unmappable(f"Line {item_id} of order {order_id} has neither a SKU nor an ASIN")
        quantity = item.get("quantityOrdered")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise Unmappable(f"Line {item_id} of order {order_id} has no valid quantity ({quantity!r})")
        if quantity == 0:
            continue
        parts = _breakdowns(item, amounts, item_id)
        unit = amounts.read((product.get("price") or {}).get("unitPrice"), f"line {item_id} unit price")
        if unit is None:
            unit = parts["item"] / quantity if parts["item"] else Decimal("0")
        ship_price += parts["shipping"]
        ship_tax += parts["tax_shipping"]
        ship_discount += parts["discount_shipping"]
        lines.append({
            "line_id": item_id,
            "title": str(product.get("title") or sku or asin),
            "quantity": quantity,
            "unit_price": abs(unit),
            "tax": parts["tax_item"],
            "discount": parts["discount_item"],
            "sku": sku,
            "marketplace_product_id": asin,
        })
    if not lines:
        raise Unmappable(f"Order {order_id} has no line with a quantity")

    grand_total = amounts.read((raw.get("proceeds") or {}).get("grandTotal"), "order total")
    if grand_total is None:
        grand_total = sum((line["unit_price"] * line["quantity"] - line["discount"]
                           + (Decimal("0") if rules.prices_include_tax else line["tax"]) for line in lines),
                          Decimal("0")) + ship_price - ship_discount + (
                              Decimal("0") if rules.prices_include_tax else ship_tax)
    for line in lines:
        for key in ("unit_price", "tax", "discount"):
            line[key] = amounts.money(line[key])

    recipient = raw.get("recipient") or {}
    address = _address(recipient.get("deliveryAddress"))
    pickup = "IN_STORE_PICK_UP" in programs
    store_code = None
    if pickup:
        store_code = rules.resolve_store(recipient.get("deliveryAddress") or {})
        if store_code is None:
            where = (recipient.get("deliveryAddress") or {}).get("postalCode") or "unknown"
            raise Unmappable(
                f"Order {order_id} is an in-store pickup order, but its pickup address (postal code {where}) "
                "matches none of your pickup stores. Add or update the store under Stores, then re-check the order.")
    if status.importable and address is None:
        raise Unmappable(
            f"Amazon sent order {order_id} without a complete shipping address. The SP-API app needs the "
            "Direct-to-Consumer Delivery (Restricted) role to read addresses; add it and authorise again.")

    buyer_raw = raw.get("buyer") or {}
    vat = None
    for registration in (raw.get("tax") or {}).get("taxRegistrations") or ():
        if registration.get("entityType") == "BUYER" and registration.get("taxRegistrationNumber"):
            vat = str(registration["taxRegistrationNumber"])
    associated = raw.get("associatedOrders") or ()
    replaced = [a.get("orderId") for a in associated if a.get("associationType") == "REPLACEMENT_ORIGINAL_ID"]
    sales_channel = raw.get("salesChannel") or {}
    ship_window = fulfillment.get("shipByWindow") or {}
    delivery_window = fulfillment.get("deliverByWindow") or {}
    level = fulfillment.get("fulfillmentServiceLevel")

    tags = []
    if "PRIME" in programs:
        tags.append(PRIME_TAG)
    if pickup:
        tags.append(PICKUP_TAG)
    if "AMAZON_BUSINESS" in programs:
        tags.append(BUSINESS_TAG)
    notes: dict[str, str] = {}
    if replaced and replaced[0]:
        notes["replaces_order"] = str(replaced[0])
    if buyer_raw.get("buyerPurchaseOrderNumber"):
        notes["purchase_order_number"] = str(buyer_raw["buyerPurchaseOrderNumber"])
    for alias in raw.get("orderAliases") or ():
        if alias.get("aliasType") == "SELLER_ORDER_ID" and alias.get("aliasId"):
            notes["seller_order_id"] = str(alias["aliasId"])

    return {
        "marketplace": MARKETPLACE,
        "marketplace_order_id": order_id,
        "status": status.value,
        "marketplace_status": str(raw_status),
        "purchased_at": iso(raw.get("createdTime"), "createdTime") or _missing(order_id, "createdTime"),
        "updated_at": iso(raw.get("lastUpdatedTime"), "lastUpdatedTime") or _missing(order_id, "lastUpdatedTime"),
        "currency": amounts.currency or rules.currency,
        "lines": lines,
        "shipping": {
            "method": SERVICE_LEVELS.get(str(level), str(level or "Standard")),
            "price": amounts.money(ship_price),
            "tax": amounts.money(ship_tax),
            "discount": amounts.money(ship_discount),
            "service_level": SERVICE_LEVELS.get(str(level)) if level else None,
        },
        "total": amounts.money(grand_total),
        "fulfilment_channel": "marketplace" if fulfillment.get("fulfilledBy") == "AMAZON" else "merchant",
        "prices_include_tax": rules.prices_include_tax,
        "sales_channel": sales_channel.get("marketplaceName") or sales_channel.get("marketplaceId"),
        "buyer": {"name": buyer_raw.get("buyerName") or None, "email": None,
                  "company": buyer_raw.get("buyerCompanyName") or None, "vat_number": vat},
        "shipping_address": address,
        "flags": {
            "prime": "PRIME" in programs,
            "premium": "PREMIUM" in programs,
            "pickup": pickup,
            "business": "AMAZON_BUSINESS" in programs,
            "replacement": bool(replaced),
            "preorder": "PREORDER" in programs or raw_status == "PENDING_AVAILABILITY",
        },
        "pickup_store_code": store_code,
        "promise": {key: value for key, value in {
            "earliest_ship": iso(ship_window.get("earliestDateTime"), "shipByWindow"),
            "latest_ship": iso(ship_window.get("latestDateTime"), "shipByWindow"),
            "earliest_delivery": iso(delivery_window.get("earliestDateTime"), "deliverByWindow"),
            "latest_delivery": iso(delivery_window.get("latestDateTime"), "deliverByWindow"),
        }.items() if value},
        "tags": tags,
        "notes": notes,
    }


def _missing(order_id: str, what: str) -> str:
    raise Unmappable(f"Order {order_id} has no {what}")
