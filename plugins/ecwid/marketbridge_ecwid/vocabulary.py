"""Ecwid's order status vocabulary (``specs/ecwid/statuses.json``) and its English labels.

An Ecwid order has two independent statuses with no enforced transitions:
``paymentStatus`` and ``fulfillmentStatus``. Their values never overlap, so a
raw value is a unique status code for Marketbridge; :func:`group_of` says which
field it belongs to.
"""
from __future__ import annotations

PAYMENT = "payment"
FULFILLMENT = "fulfillment"

#: ``paymentStatus`` values with the labels Ecwid's admin shows for the built-in ones.
PAYMENT_STATUSES: dict[str, str] = {
    "AWAITING_PAYMENT": "Awaiting payment",
    "PAID": "Paid",
    "CANCELLED": "Cancelled",
    "REFUNDED": "Refunded",
    "PARTIALLY_REFUNDED": "Partially refunded",
    "INCOMPLETE": "Incomplete (unfinished checkout)",
    "CUSTOM_PAYMENT_STATUS_1": "Custom payment status 1",
    "CUSTOM_PAYMENT_STATUS_2": "Custom payment status 2",
    "CUSTOM_PAYMENT_STATUS_3": "Custom payment status 3",
}

#: ``fulfillmentStatus`` values with their admin labels.
FULFILLMENT_STATUSES: dict[str, str] = {
    "AWAITING_PROCESSING": "Awaiting processing",
    "PROCESSING": "Processing",
    "SHIPPED": "Shipped",
    "DELIVERED": "Delivered",
    "WILL_NOT_DELIVER": "Will not deliver",
    "RETURNED": "Returned",
    "READY_FOR_PICKUP": "Ready for pickup",
    "OUT_FOR_DELIVERY": "Out for delivery",
    "CUSTOM_FULFILLMENT_STATUS_1": "Custom fulfillment status 1",
    "CUSTOM_FULFILLMENT_STATUS_2": "Custom fulfillment status 2",
    "CUSTOM_FULFILLMENT_STATUS_3": "Custom fulfillment status 3",
}

#: Fulfilment statuses that mean the parcel has left (a shipment to report, S3).
SHIPPED_STATUSES = frozenset({"SHIPPED", "OUT_FOR_DELIVERY", "DELIVERED"})

#: Marks abandoned checkouts, not orders: never offered for mapping or as initial status.
NOT_AN_ORDER_STATUS = "INCOMPLETE"

#: Every order Marketbridge creates is paid: the marketplace collected the money, and
#: Ecwid moves stock for API orders only when they are created as PAID.
CREATE_PAYMENT_STATUS = "PAID"
DEFAULT_FULFILLMENT_STATUS = "AWAITING_PROCESSING"

#: Fulfilment statuses that say nothing left the warehouse yet: fine for a new order (O3).
#: Custom fulfilment statuses count too (the merchant names them, e.g. "Packing").
UNSENT_FULFILLMENT_STATUSES = frozenset({"AWAITING_PROCESSING", "PROCESSING", "READY_FOR_PICKUP"})


def group_of(code: str) -> str | None:
    """``"payment"`` or ``"fulfillment"`` for a known status value, else ``None``."""
    if code in PAYMENT_STATUSES:
        return PAYMENT
    if code in FULFILLMENT_STATUSES:
        return FULFILLMENT
    return None


def field_of(code: str) -> str | None:
    """The order field that holds ``code``: ``paymentStatus`` or ``fulfillmentStatus``."""
    group = group_of(code)
    if group is None:
        return None
    return "paymentStatus" if group == PAYMENT else "fulfillmentStatus"


def can_start_an_order(code: str) -> bool:
    """Whether a new marketplace order may be created with status ``code`` (``ShopStatus.initial``).

    ``PAID`` (then AWAITING_PROCESSING), the unsent fulfilment statuses and the
    custom fulfilment statuses. Never another payment status (Ecwid would not
    move stock) nor a shipped/delivered/returned one (a shipment would be reported).
    """
    return code == CREATE_PAYMENT_STATUS or code in UNSENT_FULFILLMENT_STATUSES or (
        code.startswith("CUSTOM_FULFILLMENT_STATUS_") and code in FULFILLMENT_STATUSES)
