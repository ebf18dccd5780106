"""The store's order statuses as the store has them, custom ones included (S1).

``GET /profile/order_statuses`` (scope ``read_store_profile``; docs
"Search order statuses") lists every payment and fulfilment status with
``enabled``; custom statuses (``CUSTOM_*``) carry the ``name`` the merchant gave
them. Built-in statuses have no name in the answer and get Ecwid's admin label.

``initial`` (O3) is true only for statuses a new marketplace order can start
with (:data:`~marketbridge_ecwid.vocabulary.INITIAL_STATUSES`): ``PAID`` and the
fulfilment statuses of an order not yet sent, custom fulfilment statuses
included. Payment statuses other than PAID would leave Ecwid's stock untouched,
and SHIPPED/DELIVERED/RETURNED… would report a shipment that never happened.
"""
from __future__ import annotations

from marketbridge.adapters import ShopStatus

from marketbridge_ecwid.client import EcwidClient, page_items
from marketbridge_ecwid.vocabulary import (
    FULFILLMENT_STATUSES,
    NOT_AN_ORDER_STATUS,
    PAYMENT_STATUSES,
    can_start_an_order,
    group_of,
)


def list_statuses(client: EcwidClient) -> list[ShopStatus]:
    """Enabled statuses, payment ones first, in Ecwid's order; INCOMPLETE (abandoned carts) left out."""
    body = client.read("/profile/order_statuses", operation="list_statuses", what="read the order statuses")
    statuses = []
    for item in page_items(body, client.what):
        code = item.get("statusId")
        if not isinstance(code, str):
            continue
        group = group_of(code)
        if group is None or code == NOT_AN_ORDER_STATUS or item.get("enabled") is False:
            continue
        default = PAYMENT_STATUSES.get(code) or FULFILLMENT_STATUSES.get(code)
        label = str(item.get("name") or default)
        statuses.append(ShopStatus(code=code, label=label, group=group, initial=can_start_an_order(code)))
    statuses.sort(key=lambda s: 0 if s.group == "payment" else 1)
    return statuses
