"""Status changes and shipments the shop pushed, and how they become engine events (S2, S3).

Each pushed change is a row with the feed's next sequence number;
``changes_since`` reads them after a cursor. A shipment is stored once per
order and ``shipment_id`` (the idempotency key): a repeated push finds the
stored row and gets the same answer, and no second event exists.

Both ways to the engine build the event from the same stored row with
:func:`_event`: the push hands it over at once (``ingest_shop_events``, see
:mod:`.delivery`) and ``changes_since`` reads it again later. The event ids
(and the engine's idempotency keys derived from the order and the shipment id
or status) are therefore the same, and the second sighting queues nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import sqlalchemy as sa

from marketbridge.adapters import Shipped, ShippedLine, ShopEvent, ShopOrderRef, StatusChanged
from marketbridge.models import db

from marketbridge_http_api.feeds import next_seq
from marketbridge_http_api.tables import events, iso, orders

STATUS = "status"
SHIPMENT = "shipment"


def record_status(feed: str, order: Any, status: str, now: datetime) -> ShopEvent | None:
    """Record that the shop moved ``order`` to ``status``; returns its event, ``None`` when it already had it."""
    if order.status == status:
        if order.requested_status == status:
            db.session.execute(sa.update(orders).where(orders.c.id == order.id).values(requested_status=None))
        return None
    seq = next_seq(feed)
    db.session.execute(sa.insert(events).values(feed=feed, order_id=order.id, seq=seq, kind=STATUS, key=str(seq),
                                                payload={"status": status, "changed_at": iso(now)},
                                                created_at=now))
    requested = None if order.requested_status == status else order.requested_status
    db.session.execute(sa.update(orders).where(orders.c.id == order.id)
                       .values(status=status, requested_status=requested))
    return event_at(feed, seq)


def stored_shipment(order_id: int, shipment_id: str) -> dict[str, Any] | None:
    """The shipment already recorded under ``shipment_id`` for the order, or ``None``."""
    payload = db.session.execute(sa.select(events.c.payload).where(
        events.c.order_id == order_id, events.c.kind == SHIPMENT, events.c.key == shipment_id)).scalar()
    return dict(payload) if payload is not None else None


def record_shipment(feed: str, order: Any, shipment: Mapping[str, Any],
                    now: datetime) -> tuple[dict[str, Any], ShopEvent]:
    """Store a validated shipment (lines already resolved to products); returns the stored payload and its event."""
    payload = {
        "shipment_id": shipment["shipment_id"],
        "order_id": str(order.id),
        "tracking_number": shipment.get("tracking_number"),
        "carrier": shipment.get("carrier"),
        "service": shipment.get("service"),
        "shipped_at": iso(shipment["shipped_at"]),
        "lines": [dict(line) for line in shipment.get("lines", [])],
        "received_at": iso(now),
    }
    seq = next_seq(feed)
    db.session.execute(sa.insert(events).values(feed=feed, order_id=order.id, seq=seq, kind=SHIPMENT,
                                                key=shipment["shipment_id"], payload=payload, created_at=now))
    return payload, event_at(feed, seq)


def event_at(feed: str, seq: int) -> ShopEvent:
    """The engine event of the feed's row ``seq``, exactly as ``changes_since`` will read it."""
    return _event(db.session.execute(sa.select(events).where(events.c.feed == feed, events.c.seq == seq)).one())


def public_shipment(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a shipment push (the stored shipment without the internal product columns)."""
    return {**payload, "lines": [{"line_id": line["line_id"], "quantity": line["quantity"]}
                                 for line in payload.get("lines", [])]}


def page(feed: str, after: int, limit: int) -> tuple[list[ShopEvent], int, bool]:
    """Engine events for the rows after sequence ``after``: events, next cursor, more."""
    rows = list(db.session.execute(sa.select(events).where(events.c.feed == feed, events.c.seq > after)
                                   .order_by(events.c.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [_event(row) for row in rows], (int(rows[-1].seq) if rows else after), more


def _event(row: Any) -> ShopEvent:
    payload = row.payload
    ref = ShopOrderRef(order_id=str(row.order_id))
    if row.kind == STATUS:
        return StatusChanged(event_id=f"http_api-status-{row.id}", order=ref, status=payload["status"],
                             changed_at=_parse(payload["changed_at"]))
    tracking = payload.get("tracking_number")
    return Shipped(
        event_id=f"http_api-shipment-{row.order_id}-{row.key}", order=ref, shipment_id=row.key,
        tracking_numbers=(tracking,) if tracking else (), shipped_at=_parse(payload["shipped_at"]),
        carrier=payload.get("carrier"), shipping_method=payload.get("service"),
        lines=tuple(ShippedLine(quantity=line["quantity"], product_id=line.get("product_id"), sku=line.get("sku"))
                    for line in payload.get("lines", [])))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
