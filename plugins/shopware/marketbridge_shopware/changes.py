"""Status changes and shipments of Marketbridge orders (S2, S3).

Every transition in Shopware writes a ``state_machine_history`` row (``StateMachineRegistry::transition``).
Polling pages through those rows by ``createdAt`` with a 5-minute overlap
(``POST /api/search/state-machine-history``, ``searchStateMachineHistory``), so each
change is reported with the history row's id as its stable event id, whether it
is found by polling or after a webhook (:func:`events_for_orders`).

* A transition of ``order``, ``order_delivery`` or ``order_transaction`` is a
  :class:`StatusChanged` with code ``<entity>.<state>``.
* A delivery's ``ship``/``ship_partially`` transition is also a :class:`Shipped`
  carrying the delivery's tracking codes and shipping method (the carrier as the
  shop names it). Merchants often type tracking codes after changing the status,
  so deliveries in a shipped state whose ``updatedAt`` moved are re-read too
  (``POST /api/search/order-delivery``). A shipment is reported only once it has a
  tracking code: the engine keeps one message per ``shipment_id``, so a shipment
  reported without one could never be completed later. A shipment whose tracking
  codes changed is reported again with a new event id and the same ``shipment_id``.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Iterable

from marketbridge.adapters import ChangePage, Shipped, ShippedLine, ShopEvent, ShopOrderRef, StatusChanged

from marketbridge_shopware import custom_fields as cf
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.cursor import Cursor
from marketbridge_shopware.lookups import Lookups
from marketbridge_shopware.queries import equals_any, parse_time, since

PAGE_SIZE = 100
OVERLAP = timedelta(minutes=5)
ENTITIES = ["order", "order_delivery", "order_transaction"]
SHIP_ACTIONS = ["ship", "ship_partially"]
_SORT_CREATED = [{"field": "createdAt", "order": "ASC"}, {"field": "id", "order": "ASC"}]
_ORDER_ASSOCIATIONS = {"deliveries": {"associations": {"shippingMethod": {},
                                                       "positions": {"associations": {"orderLineItem": {}}}}},
                       "transactions": {}}


def changes_since(api: AdminApi, lookups: Lookups, cursor: str | None) -> ChangePage:
    """One page of events since ``cursor``; ``None`` starts from now."""
    now = api.context.clock.now()
    if cursor is None:
        return ChangePage(events=(), cursor=Cursor(now, 1, now).dump())
    position = Cursor.load(cursor, now)
    window = position.since - OVERLAP
    history = api.search("state-machine-history", {
        "page": position.page, "limit": PAGE_SIZE, "total-count-mode": "none", "sort": _SORT_CREATED,
        "filter": [equals_any("entityName", ENTITIES), since("createdAt", window)],
    }, "searchStateMachineHistory")
    touched = api.search("order-delivery", {
        "page": position.page, "limit": PAGE_SIZE, "total-count-mode": "none",
        "sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "id", "order": "ASC"}],
        "filter": [since("updatedAt", window),
                   equals_any("stateMachineState.technicalName", ["shipped", "shipped_partially"])],
    }, "searchOrderDelivery")
    events = _build(api, lookups, history, [str(d["id"]) for d in touched if isinstance(d.get("id"), str)])
    more = len(history) >= PAGE_SIZE or len(touched) >= PAGE_SIZE
    return ChangePage(events=events, cursor=position.next(more).dump(), more=more)


def events_for_orders(api: AdminApi, lookups: Lookups, order_ids: Iterable[str], after: datetime) -> tuple[ShopEvent, ...]:
    """The events of specific orders since ``after`` (what a webhook announced), with polling's ids."""
    ids = [i for i in dict.fromkeys(order_ids) if i]
    if not ids:
        return ()
    orders = api.search("order", {"ids": ids, "limit": len(ids), "associations": {"deliveries": {}, "transactions": {}}},
                        "searchOrder")
    referenced = list(ids)
    for order in orders:
        for key in ("deliveries", "transactions"):
            referenced += [str(r["id"]) for r in order.get(key) or [] if isinstance(r, dict) and r.get("id")]
    history = api.search("state-machine-history", {
        "limit": 500, "total-count-mode": "none", "sort": _SORT_CREATED,
        "filter": [equals_any("referencedId", referenced), since("createdAt", after - OVERLAP)],
    }, "searchStateMachineHistory")
    delivery_ids = [r for r in referenced if r not in ids]
    return _build(api, lookups, history, delivery_ids)


def _digest(codes: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(codes)).encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): r for r in rows if isinstance(r.get("id"), str)}


def _build(api: AdminApi, lookups: Lookups, history: list[dict[str, Any]], shipped_deliveries: list[str]) -> tuple[ShopEvent, ...]:
    delivery_ids = {str(h.get("referencedId")) for h in history if h.get("entityName") == "order_delivery"}
    delivery_ids |= set(shipped_deliveries)
    transaction_ids = {str(h.get("referencedId")) for h in history if h.get("entityName") == "order_transaction"}
    owners: dict[str, str] = {}
    for entity, wanted in (("order-delivery", delivery_ids), ("order-transaction", transaction_ids)):
        if wanted:
            rows = api.search(entity, {"ids": sorted(wanted), "limit": len(wanted)},
                              "searchOrderDelivery" if entity == "order-delivery" else "searchOrderTransaction")
            owners.update({str(r["id"]): str(r.get("orderId")) for r in rows if isinstance(r.get("id"), str)})
    order_ids = {str(h.get("referencedId")) for h in history if h.get("entityName") == "order"} | set(owners.values())
    if not order_ids:
        return ()
    orders = _by_id(api.search("order", {"ids": sorted(order_ids), "limit": len(order_ids),
                                         "associations": _ORDER_ASSOCIATIONS}, "searchOrder"))
    ours = {oid: o for oid, o in orders.items() if ((o.get("customFields") or {}).get(cf.EXTERNAL_REF))}
    deliveries = {str(d["id"]): (oid, d) for oid, o in ours.items() for d in o.get("deliveries") or []
                  if isinstance(d, dict) and d.get("id")}
    events: dict[str, ShopEvent] = {}
    ship_rows = [h for h in history if h.get("entityName") == "order_delivery"
                 and h.get("transitionActionName") in SHIP_ACTIONS]
    late = sorted(d for d in shipped_deliveries if d in deliveries
                  and not any(h.get("referencedId") == d for h in ship_rows))
    if late:
        latest = api.search("state-machine-history", {
            "limit": 500, "total-count-mode": "none", "sort": [{"field": "createdAt", "order": "DESC"}],
            "filter": [equals_any("referencedId", late), equals_any("transitionActionName", SHIP_ACTIONS)],
        }, "searchStateMachineHistory")
        seen: set[str] = set()
        for row in latest:
            if row.get("referencedId") not in seen:
                seen.add(str(row.get("referencedId")))
                ship_rows.append(row)
    for row in history:
        entity = row.get("entityName")
        order_id = str(row.get("referencedId")) if entity == "order" else owners.get(str(row.get("referencedId")))
        state = lookups.state_by_id(row.get("toStateId"))
        changed_at = parse_time(row.get("createdAt"))
        if order_id not in ours or state is None or changed_at is None or not isinstance(row.get("id"), str):
            continue
        events[row["id"]] = StatusChanged(event_id=row["id"], order=_ref(ours[order_id]), status=state.code,
                                          changed_at=changed_at)
    for row in ship_rows:
        found = deliveries.get(str(row.get("referencedId")))
        shipped_at = parse_time(row.get("createdAt"))
        if found is None or shipped_at is None or not isinstance(row.get("id"), str):
            continue
        if not [c for c in found[1].get("trackingCodes") or [] if c]:
            continue  # reported once the merchant types the tracking code (the delivery's updatedAt moves)
        shipment = _shipment(row, shipped_at, ours[found[0]], found[1])
        events[shipment.event_id] = shipment
    return tuple(sorted(events.values(), key=lambda e: (_when(e), e.event_id)))


def _when(event: ShopEvent) -> datetime:
    return event.changed_at if isinstance(event, StatusChanged) else event.shipped_at


def _ref(order: dict[str, Any]) -> ShopOrderRef:
    return ShopOrderRef(order_id=str(order["id"]), number=order.get("orderNumber"))


def _shipment(history: dict[str, Any], shipped_at: datetime, order: dict[str, Any], delivery: dict[str, Any]) -> Shipped:
    codes = [str(c) for c in delivery.get("trackingCodes") or [] if c]
    method = delivery.get("shippingMethod") if isinstance(delivery.get("shippingMethod"), dict) else {}
    whole = history.get("transitionActionName") == "ship" and len(order.get("deliveries") or []) == 1
    lines: tuple[ShippedLine, ...] = ()
    if not whole:
        items = []
        for position in delivery.get("positions") or []:
            item = position.get("orderLineItem") if isinstance(position.get("orderLineItem"), dict) else {}
            if item.get("type", "product") != "product":
                continue
            payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
            items.append(ShippedLine(quantity=int(position.get("quantity") or item.get("quantity") or 0),
                                     product_id=item.get("productId"), sku=payload.get("productNumber")))
        lines = tuple(items)
    return Shipped(
        event_id=f"{history['id']}:{_digest(codes)}", order=_ref(order), shipment_id=str(history["id"]),
        tracking_numbers=tuple(codes), shipped_at=shipped_at,
        carrier=(method.get("translated") or {}).get("name") or method.get("name"),
        shipping_method=method.get("technicalName"), lines=lines)
