"""Status changes and shipments of Marketbridge orders, read from Ecwid orders (S2, S3).

Ecwid keeps no status history and no shipment entity: an order carries its
current ``paymentStatus``, ``fulfillmentStatus`` and one ``trackingNumber``
(``specs/ecwid/NOTES.md`` "shipment / tracking"). :func:`order_events` turns
the order as it is now into events whose ids depend only on *what* happened,
so the same change seen by a webhook and by polling has the same ``event_id``:

* ``StatusChanged`` for each of the two statuses, id ``ecwid:{store}:{order}:{STATUS}``;
* ``Shipped`` once the fulfilment status is SHIPPED, OUT_FOR_DELIVERY or
  DELIVERED: one shipment per order (``shipment_id`` = the order id), event id
  ending in the tracking number, so adding or correcting the number later is a
  new event for the same shipment. Ecwid ships whole orders, so ``lines`` is
  empty ("the whole order"). Pickup orders use READY_FOR_PICKUP, a status.

Polling (:func:`changes_since`) searches ``GET /orders`` with
``updatedFrom``/``updatedTo`` windows that overlap, restricted with
``refererId`` to the orders Marketbridge created.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from marketbridge.adapters import ChangePage, Shipped, ShopEvent, ShopOrderRef, StatusChanged

from marketbridge_ecwid.client import PAGE_SIZE, EcwidClient, int_field, page_items
from marketbridge_ecwid.cursor import search_params, sweep
from marketbridge_ecwid.order_mapping import REFERER_ID
from marketbridge_ecwid.vocabulary import SHIPPED_STATUSES, group_of


def is_marketbridge_order(order: Mapping[str, Any]) -> bool:
    """Whether Marketbridge created ``order`` (it sets ``refererId`` on every order it creates)."""
    return order.get("refererId") == REFERER_ID


def _changed_at(order: Mapping[str, Any]) -> datetime:
    stamp = order.get("updateTimestamp") or order.get("createTimestamp")
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, tz=timezone.utc)
    return datetime.fromtimestamp(0, tz=timezone.utc)


def order_events(order: Mapping[str, Any], store_id: str) -> list[ShopEvent]:
    """The events describing ``order`` as it is now (see the module docstring for ids)."""
    order_id = str(order.get("id") or "")
    if not order_id:
        return []
    ref = ShopOrderRef(order_id=order_id, number=order_id)
    when = _changed_at(order)
    prefix = f"ecwid:{store_id}:{order_id}"
    events: list[ShopEvent] = []
    for name in ("paymentStatus", "fulfillmentStatus"):
        status = order.get(name)
        if isinstance(status, str) and group_of(status):
            events.append(StatusChanged(event_id=f"{prefix}:{status}", order=ref, status=status, changed_at=when))
    if order.get("fulfillmentStatus") in SHIPPED_STATUSES:
        tracking = str(order.get("trackingNumber") or "").strip()
        option: Mapping[str, Any] = order.get("shippingOption") or {}
        if not isinstance(option, dict):
            option = {}
        events.append(Shipped(
            event_id=f"{prefix}:shipment:{tracking or '-'}",
            order=ref,
            shipment_id=order_id,
            tracking_numbers=(tracking,) if tracking else (),
            shipped_at=when,
            carrier=option.get("shippingCarrierName") or None,
            shipping_method=option.get("shippingMethodName") or None,
        ))
    return events


def changes_since(client: EcwidClient, cursor: str | None) -> ChangePage:
    """One page of events of Marketbridge orders updated since ``cursor`` (``GET /orders``)."""
    def fetch(updated_from: int, updated_to: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        page = client.read("/orders", operation="search_orders", what="read changed orders",
                           params=search_params(updated_from, updated_to, offset, PAGE_SIZE,
                                                {"refererId": REFERER_ID}))
        return page_items(page, client.what), int_field(page, "total", client.what)

    result = sweep(cursor, client.context.clock.now(), fetch)
    events = tuple(event for order in result.items if is_marketbridge_order(order)
                   for event in order_events(order, client.config.store_id))
    return ChangePage(events=events, cursor=result.cursor, more=result.more)
