"""Click & Collect stores to the marketplace (K1), and pickups not collected in time (K6).

A store change is queued as an outbox message (the latest one for a store
replaces a pending one) and delivered by :mod:`.outbox` through the channel's
``upsert_store``/``archive_store``. Pickup orders marked ready for pickup but
neither picked up nor refused within the store's hold period are shown to the
merchant as a problem with what to do.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from marketbridge.adapters import Store as StoreNotice
from marketbridge.engine import problems
from marketbridge.host import Host
from marketbridge.models import Order, OrderState, OutboxMessage, OutboxState, Store, db

DEFAULT_HOLD_DAYS = 7
DONE_STATUSES = ("picked_up", "refused_pickup", "cancelled", "refunded")


def queue_store(store: Store, now: datetime, *, archive: bool = False) -> None:
    """Queue sending ``store`` to the marketplace (or archiving it); joins the transaction."""
    coalesce = f"store:{store.id}"
    pending = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.connection_id == store.connection_id, OutboxMessage.coalesce_key == coalesce,
        OutboxMessage.state == OutboxState.PENDING)).scalars().first()
    payload = {"store_id": store.id, "action": "archive" if archive else "upsert"}
    if pending is not None:
        pending.payload = payload
        return
    db.session.add(OutboxMessage(
        connection_id=store.connection_id, kind="store", coalesce_key=coalesce,
        idempotency_key=f"store:{store.id}:{uuid.uuid4().hex}", payload=payload, state=OutboxState.PENDING,
        attempts=0, next_attempt_at=now, created_at=now))


def notice_for(store: Store) -> StoreNotice:
    """The channel's view of a store row."""
    return StoreNotice(code=store.code, name=store.name, address=dict(store.address or {}),
                       handling_time_minutes=store.handling_time_minutes, hold_days=store.hold_days,
                       opening_hours={day: [tuple(span) for span in spans]
                                      for day, spans in (store.opening_hours or {}).items()},
                       active=store.active)


def flag_overdue_pickups(host: Host) -> int:
    """Open a ``pickup_overdue`` problem for each pickup order waiting past its store's hold period (K6)."""
    now = host.clock.now()
    ready = (sa.select(OutboxMessage.order_id, sa.func.min(OutboxMessage.delivered_at).label("ready_at"))
             .where(OutboxMessage.kind == "status", OutboxMessage.state == OutboxState.DELIVERED,
                    OutboxMessage.payload["status"].as_string() == "ready_for_pickup")
             .group_by(OutboxMessage.order_id).subquery())
    done = (sa.select(OutboxMessage.order_id).where(
        OutboxMessage.kind == "status", OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING,
                                                                 OutboxState.DELIVERED)),
        OutboxMessage.payload["status"].as_string().in_(DONE_STATUSES)))
    rows = db.session.execute(
        sa.select(Order, ready.c.ready_at).join(ready, ready.c.order_id == Order.id)
        .where(Order.pickup.is_(True), Order.state == OrderState.CREATED, Order.id.not_in(done))).all()
    flagged = 0
    for order, ready_at in rows:
        hold_days = _hold_days(order)
        if ready_at + timedelta(days=hold_days) > now:
            continue
        problems.report(now, code="pickup_overdue", connection_id=order.connection_id, order_id=order.id,
                        message="Order {order} has waited for pickup since {date} and the store's hold period of "
                                "{days} days is over. Cancel or refund it.",
                        params={"order": order.marketplace_order_id, "date": ready_at.date().isoformat(),
                                "days": hold_days})
        flagged += 1
    db.session.commit()
    return flagged


def _hold_days(order: Order) -> int:
    code = (order.payload or {}).get("pickup_store_code")
    store = db.session.execute(sa.select(Store).filter_by(connection_id=order.connection_id, code=code)
                               ).scalar_one_or_none() if code else None
    return store.hold_days if store is not None else DEFAULT_HOLD_DAYS
