"""The emulator's orders: a status timeline evaluated on the injected clock.

An :class:`EmulatedOrder` knows its status history as ``(time, status)``
events, so its state "as of" any instant is computed, never stored: an order
placed at 10:00 that stays Pending for 40 minutes is Unshipped at 10:40 and
its ``lastUpdatedTime`` moves to 10:40 – exactly what searchOrders windows and
report snapshots need. Shipment confirmations and pickup updates append events.

Shapes follow ``orders_2026-01-01.json`` (``Order``) and, for the naive
benchmark baseline, ``ordersV0.json`` (``Order``/``OrderItem``).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

CENT = Decimal("0.01")
OPEN = ("UNSHIPPED", "PARTIALLY_SHIPPED")
V0_STATUS = {"PENDING_AVAILABILITY": "PendingAvailability", "PENDING": "Pending", "UNSHIPPED": "Unshipped",
             "PARTIALLY_SHIPPED": "PartiallyShipped", "SHIPPED": "Shipped", "CANCELLED": "Canceled",
             "UNFULFILLABLE": "Unfulfillable"}


def at(moment: datetime) -> str:
    """Amazon's ISO 8601 form (UTC, ``Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT, ROUND_HALF_UP)), "currencyCode": currency}


@dataclass
class Item:
    order_item_id: str
    sku: str | None
    asin: str
    title: str
    quantity: int
    unit_price: Decimal  #: gross where prices include tax, net otherwise
    tax_rate: Decimal
    shipped: int = 0

    def tax(self, include: bool) -> Decimal:
        total = self.unit_price * self.quantity
        value = total * self.tax_rate / (100 + self.tax_rate) if include else total * self.tax_rate / 100
        return value.quantize(CENT, ROUND_HALF_UP)


@dataclass
class EmulatedOrder:
    order_id: str
    seller_id: str
    marketplace_id: str
    marketplace_name: str
    currency: str
    prices_include_tax: bool
    fulfilled_by: str  #: MERCHANT or AMAZON
    created: datetime
    items: list[Item]
    events: list[tuple[datetime, str]]  #: (when, fulfillmentStatus), sorted
    address: dict[str, str]
    buyer: dict[str, str] = field(default_factory=dict)
    programs: list[str] = field(default_factory=list)
    service_level: str = "STANDARD"
    shipping: Decimal = Decimal("0")  #: on the first line
    shipping_tax_rate: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")  #: promotion on the first line
    replaced_order_id: str | None = None
    malformed: bool = False  #: spec-valid but unmappable (a line without SKU and ASIN)
    packages: list[dict[str, Any]] = field(default_factory=list)
    touches: list[datetime] = field(default_factory=list)  #: other updates (pickup statuses …)
    pickup_updates: list[dict[str, Any]] = field(default_factory=list)

    # -- timeline ----------------------------------------------------------
    def exists(self, now: datetime) -> bool:
        return self.created <= now

    def status_at(self, now: datetime) -> str:
        status = self.events[0][1]
        for when, value in self.events:
            if when <= now:
                status = value
        return status

    def updated_at(self, now: datetime) -> datetime:
        times = [when for when, _ in self.events if when <= now] + [t for t in self.touches if t <= now]
        return max(times) if times else self.created

    def eligible_at(self) -> datetime | None:
        """When the order left Pending (the date order reports filter on)."""
        for when, value in self.events:
            if value not in ("PENDING", "PENDING_AVAILABILITY"):
                return when
        return None

    def add_event(self, when: datetime, status: str) -> None:
        self.events.append((when, status))
        self.events.sort(key=lambda e: e[0])

    def event_times(self) -> Iterable[datetime]:
        yield from (when for when, _ in self.events)
        yield from self.touches

    def latest_delivery(self) -> datetime:
        """The delivery promised to the buyer (``deliverByWindow.latestDateTime``); Buy Shipping enforces it."""
        return self.created + timedelta(days=4)

    # -- money ---------------------------------------------------------------
    def shipping_tax(self) -> Decimal:
        if self.prices_include_tax:
            value = self.shipping * self.shipping_tax_rate / (100 + self.shipping_tax_rate)
        else:
            value = self.shipping * self.shipping_tax_rate / 100
        return value.quantize(CENT, ROUND_HALF_UP)

    def grand_total(self) -> Decimal:
        total = sum((i.unit_price * i.quantity for i in self.items), Decimal("0")) + self.shipping - self.discount
        if not self.prices_include_tax:
            total += sum((i.tax(False) for i in self.items), Decimal("0")) + self.shipping_tax()
        return total.quantize(CENT, ROUND_HALF_UP)

    # -- Orders 2026-01-01 -------------------------------------------------------
    def to_api(self, now: datetime, included: set[str]) -> dict[str, Any]:
        status = self.status_at(now)
        pending = status in ("PENDING", "PENDING_AVAILABILITY")
        order: dict[str, Any] = {
            "orderId": self.order_id,
            "createdTime": at(self.created),
            "lastUpdatedTime": at(self.updated_at(now)),
            "programs": list(self.programs),
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": self.marketplace_id,
                             "marketplaceName": self.marketplace_name},
            "orderItems": [self._item(i, n, status, included) for n, i in enumerate(self.items)],
        }
        if self.replaced_order_id:
            order["associatedOrders"] = [{"orderId": self.replaced_order_id,
                                          "associationType": "REPLACEMENT_ORIGINAL_ID"}]
        if "BUYER" in included and not pending:
            buyer = {k: v for k, v in self.buyer.items() if k != "buyerEmail" or self.fulfilled_by == "MERCHANT"}
            order["buyer"] = buyer
        if "RECIPIENT" in included and not pending:
            order["recipient"] = {"deliveryAddress": dict(self.address)}
        if "PROCEEDS" in included and not pending:
            order["proceeds"] = {"grandTotal": money(self.grand_total(), self.currency)}
        if "FULFILLMENT" in included:
            fulfillment: dict[str, Any] = {"fulfillmentStatus": status, "fulfilledBy": self.fulfilled_by,
                                           "fulfillmentServiceLevel": self.service_level}
            if self.fulfilled_by == "MERCHANT":
                fulfillment["shipByWindow"] = {"earliestDateTime": at(self.created),
                                               "latestDateTime": at(self.created + timedelta(days=2))}
                if not pending and status != "CANCELLED":
                    fulfillment["deliverByWindow"] = {"earliestDateTime": at(self.created + timedelta(days=2)),
                                                      "latestDateTime": at(self.latest_delivery())}
            order["fulfillment"] = fulfillment
        if "PACKAGES" in included and self.fulfilled_by == "MERCHANT":
            order["packages"] = [{k: v for k, v in p.items() if not k.startswith("_")}
                                 for p in self.packages if p["_at"] <= now]
        if "TAX" in included and self.buyer.get("_vat"):
            order["tax"] = {"taxRegistrations": [{"entityType": "BUYER", "taxRegistrationType": "VAT",
                                                  "taxRegistrationNumber": self.buyer["_vat"]}]}
        if "buyer" in order:
            order["buyer"].pop("_vat", None)
        return order

    def _item(self, item: Item, index: int, status: str, included: set[str]) -> dict[str, Any]:
        product: dict[str, Any] = {} if (self.malformed and index == 0) else {
            "asin": item.asin, "title": item.title, "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
            "price": {"unitPrice": money(item.unit_price, self.currency)}}
        if item.sku and product:
            product["sellerSku"] = item.sku
        if "AMAZON_BUSINESS" in self.programs and product:
            product["price"]["priceDesignation"] = "BUSINESS_PRICE"
        data: dict[str, Any] = {"orderItemId": item.order_item_id, "quantityOrdered": item.quantity,
                                "product": product}
        pending = status in ("PENDING", "PENDING_AVAILABILITY")
        if "PROCEEDS" in included and not pending:
            breakdowns: list[dict[str, Any]] = [
                {"type": "ITEM", "subtotal": money(item.unit_price * item.quantity, self.currency)}]
            tax_details = [{"subtype": "ITEM", "value": money(item.tax(self.prices_include_tax), self.currency)}]
            total = item.unit_price * item.quantity
            if index == 0 and self.shipping:
                breakdowns.append({"type": "SHIPPING", "subtotal": money(self.shipping, self.currency)})
                tax_details.append({"subtype": "SHIPPING", "value": money(self.shipping_tax(), self.currency)})
                total += self.shipping
            tax_sum = sum((Decimal(d["value"]["amount"]) for d in tax_details), Decimal("0"))
            breakdowns.append({"type": "TAX", "subtotal": money(tax_sum, self.currency),
                               "detailedBreakdowns": tax_details})
            if not self.prices_include_tax:
                total += tax_sum
            if index == 0 and self.discount:
                breakdowns.append({"type": "DISCOUNT", "subtotal": money(-self.discount, self.currency),
                                   "detailedBreakdowns": [{"subtype": "ITEM",
                                                           "value": money(-self.discount, self.currency)}]})
                total -= self.discount
            data["proceeds"] = {"proceedsTotal": money(total, self.currency), "breakdowns": breakdowns}
        if "FULFILLMENT" in included:
            data["fulfillment"] = {"quantityFulfilled": item.shipped,
                                   "quantityUnfulfilled": item.quantity - item.shipped}
        return data

    # -- Orders v0 (naive baseline) -------------------------------------------
    def to_v0(self, now: datetime) -> dict[str, Any]:
        status = self.status_at(now)
        order: dict[str, Any] = {
            "AmazonOrderId": self.order_id, "PurchaseDate": at(self.created),
            "LastUpdateDate": at(self.updated_at(now)), "OrderStatus": V0_STATUS[status],
            "FulfillmentChannel": "MFN" if self.fulfilled_by == "MERCHANT" else "AFN",
            "SalesChannel": self.marketplace_name, "MarketplaceId": self.marketplace_id,
            "IsPrime": "PRIME" in self.programs, "IsBusinessOrder": "AMAZON_BUSINESS" in self.programs,
            "IsISPU": "IN_STORE_PICK_UP" in self.programs, "IsReplacementOrder": bool(self.replaced_order_id),
            "NumberOfItemsShipped": sum(i.shipped for i in self.items),
            "NumberOfItemsUnshipped": sum(i.quantity - i.shipped for i in self.items),
        }
        if status not in ("PENDING", "PENDING_AVAILABILITY"):
            order["OrderTotal"] = {"CurrencyCode": self.currency, "Amount": str(self.grand_total())}
        return order

    def items_v0(self) -> list[dict[str, Any]]:
        out = []
        for index, item in enumerate(self.items):
            entry: dict[str, Any] = {"ASIN": item.asin, "OrderItemId": item.order_item_id,
                                     "QuantityOrdered": item.quantity, "QuantityShipped": item.shipped,
                                     "Title": item.title,
                                     "ItemPrice": {"CurrencyCode": self.currency,
                                                   "Amount": str(item.unit_price * item.quantity)},
                                     "ItemTax": {"CurrencyCode": self.currency,
                                                 "Amount": str(item.tax(self.prices_include_tax))}}
            if item.sku:
                entry["SellerSKU"] = item.sku
            if index == 0:
                entry["ShippingPrice"] = {"CurrencyCode": self.currency, "Amount": str(self.shipping)}
            out.append(entry)
        return out


class OrderBook:
    """The orders of the emulator with an index of event times for window queries."""

    def __init__(self) -> None:
        self.by_id: dict[str, EmulatedOrder] = {}
        self._events: list[tuple[datetime, str]] = []  #: (event time, order id), sorted

    def add(self, order: EmulatedOrder) -> EmulatedOrder:
        self.by_id[order.order_id] = order
        for when in order.event_times():
            bisect.insort(self._events, (when, order.order_id))
        return order

    def extend(self, orders: Iterable[EmulatedOrder]) -> None:
        for order in orders:
            self.by_id[order.order_id] = order
            self._events.extend((when, order.order_id) for when in order.event_times())
        self._events.sort()

    def touched(self, order: EmulatedOrder, when: datetime) -> None:
        """Index a new event of ``order`` (status change or other update)."""
        bisect.insort(self._events, (when, order.order_id))

    def with_events_between(self, start: datetime, end: datetime) -> list[EmulatedOrder]:
        """Orders with at least one event in ``[start, end]`` (candidates for update windows)."""
        lo = bisect.bisect_left(self._events, (start, ""))
        hi = bisect.bisect_right(self._events, (end, "\uffff"))
        seen: dict[str, EmulatedOrder] = {}
        for _, order_id in self._events[lo:hi]:
            seen.setdefault(order_id, self.by_id[order_id])
        return list(seen.values())
