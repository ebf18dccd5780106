"""Where shipments, statuses and stock leave for the marketplace.

Every message was written to the outbox before this runs. Delivery marks a
message ``sending`` and commits *before* calling the channel; if the worker
dies after the call, the next run finds it still ``sending`` and asks the
channel :meth:`~marketbridge.adapters.ChannelAdapter.was_delivered` instead of
sending it again. Temporary failures retry with exponential backoff and
jitter, quota answers wait the advised delay, permanent refusals become
failed messages with a sync problem the merchant can act on.

Messages of one order go out in the order they were written: a later message
waits while an earlier one of the same order is retrying.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketbridge.adapters import ChannelAdapter, NoticeLine, ShipmentNotice, StatusNotice
from marketbridge.clock import utc
from marketbridge.engine import history, problems
from marketbridge.engine.checkpoints import checkpoint
from marketbridge.engine.leases import lease
from marketbridge.engine.retry import MAX_ATTEMPTS, next_attempt
from marketbridge.engine.stock_delivery import deliver_stock
from marketbridge.engine.stores import DONE_STATUSES, notice_for
from marketbridge.errors import AdapterError, AuthenticationFailed, DeliveryRejected, RateLimited
from marketbridge.host import Host
from marketbridge.models import Connection, Order, OutboxMessage, OutboxState, Store, db

BATCH = 100


@dataclass
class DeliveryOutcome:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    stopped: str | None = None


def deliver(host: Host, connection_id: int, *, owner: str | None = None, limit: int = BATCH) -> DeliveryOutcome:
    """Deliver due outbox messages of one connection (shipments and statuses first, then stock)."""
    outcome = DeliveryOutcome()
    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.account.auth_problem:
        outcome.stopped = "authorisation"
        return outcome
    with lease("connection", connection_id, "outbox", host.clock, owner=owner):
        now = host.clock.now()
        due = list(db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.connection_id == connection_id,
                   OutboxMessage.kind.in_(("shipment", "status", "store")),
                   OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
            .order_by(OutboxMessage.id).limit(limit)).scalars())
        stock_due = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.connection_id == connection_id, OutboxMessage.kind == "stock",
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING, OutboxState.SUBMITTED)),
            OutboxMessage.next_attempt_at <= now)).scalar_one()
        if not due and not stock_due:
            return outcome
        channel = host.channel_adapter(connection)
        blocked: set[int | None] = set()
        for message in due:
            if message.order_id in blocked:
                continue
            if message.next_attempt_at > now:
                blocked.add(message.order_id)
                continue
            if not _deliver_one(host, connection, channel, message, outcome):
                blocked.add(message.order_id)
            if outcome.stopped:
                return outcome
        if stock_due:
            deliver_stock(host, connection, channel, outcome)
    return outcome


def _deliver_one(host: Host, connection: Connection, channel: ChannelAdapter, message: OutboxMessage,
                 outcome: DeliveryOutcome) -> bool:
    """Send one message; ``False`` when it did not go through (later ones of the order must wait)."""
    if message.kind == "store":
        return _deliver_store(host, connection, channel, message, outcome)
    notice = build_notice(message)
    order = db.session.get(Order, message.order_id) if message.order_id else None
    try:
        if message.state == OutboxState.SENDING:
            already = channel.was_delivered(notice)
            if already:
                _delivered(host, message, order, outcome, "confirmed by the marketplace after an interruption")
                return True
        message.state = OutboxState.SENDING
        message.attempts += 1
        db.session.commit()
        checkpoint("outbox.before_send")
        if isinstance(notice, ShipmentNotice):
            channel.confirm_shipment(notice)
        else:
            channel.push_status(notice)
        checkpoint("outbox.after_send")
    except AdapterError as exc:
        return _failed(host, connection, message, order, exc, outcome)
    _delivered(host, message, order, outcome, None)
    return True


def _deliver_store(host: Host, connection: Connection, channel: ChannelAdapter, message: OutboxMessage,
                   outcome: DeliveryOutcome) -> bool:
    """Create, update or archive a pickup store (K1); upserts are idempotent, so no recovery check is needed."""
    store = db.session.get(Store, message.payload["store_id"])
    if store is None:
        message.state = OutboxState.SUPERSEDED
        db.session.commit()
        return True
    message.state = OutboxState.SENDING
    message.attempts += 1
    db.session.commit()
    try:
        if message.payload.get("action") == "archive":
            if store.remote_id:
                channel.archive_store(store.remote_id)
        else:
            store.remote_id = channel.upsert_store(notice_for(store), store.remote_id)
    except AdapterError as exc:
        return _failed(host, connection, message, None, exc, outcome)
    now = host.clock.now()
    store.synced_at = now
    message.state, message.delivered_at, message.last_error = OutboxState.DELIVERED, now, None
    problems.resolve(now, connection_id=connection.id, subject=f"store:{store.code}")
    db.session.commit()
    outcome.delivered += 1
    return True


def _delivered(host: Host, message: OutboxMessage, order: Order | None, outcome: DeliveryOutcome,
               note: str | None) -> None:
    now = host.clock.now()
    message.state, message.delivered_at, message.last_error = OutboxState.DELIVERED, now, None
    if order is not None:
        if message.kind == "shipment":
            shipped = {line["line_id"]: line["quantity"] for line in message.payload.get("lines", [])}
            for line in order.lines:
                line.quantity_shipped = min(line.quantity, line.quantity_shipped + shipped.get(line.line_id, 0))
            order.shipped_at = order.shipped_at or utc(datetime.fromisoformat(message.payload["shipped_at"]))
            history.record(order, now, "shipment_sent", "Shipment {tracking} confirmed to the marketplace{note}.",
                           tracking=message.payload.get("tracking_number"), note=f" ({note})" if note else "")
        else:
            history.record(order, now, "status_sent", "Status {status} sent to the marketplace{note}.",
                           status=message.payload.get("status"), note=f" ({note})" if note else "")
        done = ("pickup_overdue",) if message.payload.get("status") in DONE_STATUSES else ()
        problems.resolve(now, order_id=order.id, codes=("delivery_failed", "delivery_rejected", *done))
    checkpoint("outbox.before_commit")
    db.session.commit()
    checkpoint("outbox.after_commit")
    outcome.delivered += 1


def _failed(host: Host, connection: Connection, message: OutboxMessage, order: Order | None, exc: AdapterError,
            outcome: DeliveryOutcome) -> bool:
    now = host.clock.now()
    message.last_error = exc.message
    if isinstance(exc, AuthenticationFailed):
        connection.account.auth_problem = exc.message
        problems.report(now, code="authentication_failed", account_id=connection.account_id,
                        connection_id=connection.id, message="{error} Syncing is paused until this is fixed.",
                        params={"error": exc.message})
        message.next_attempt_at = now + timedelta(minutes=5)
        outcome.stopped = "authorisation"
    elif isinstance(exc, DeliveryRejected) or message.attempts >= MAX_ATTEMPTS:
        message.state = OutboxState.FAILED
        if message.kind == "store":
            store = db.session.get(Store, message.payload["store_id"])
            code = store.code if store is not None else "?"
            problems.report(now, code="store_rejected", connection_id=connection.id, subject=f"store:{code}",
                            message="The marketplace did not accept the store {store}: {error}",
                            params={"store": code, "error": exc.message})
        else:
            code = "delivery_rejected" if isinstance(exc, DeliveryRejected) else "delivery_failed"
            problems.report(now, code=code, connection_id=connection.id, order_id=order.id if order else None,
                            subject=message.idempotency_key,
                            message="The marketplace did not accept the {kind} for order {order}: {error}",
                            params={"kind": message.kind, "order": message.payload.get("marketplace_order_id"),
                                    "error": exc.message})
        if order is not None:
            history.record(order, now, f"{message.kind}_failed", "The marketplace refused the {kind}: {error}",
                           kind=message.kind, error=exc.message)
        outcome.failed += 1
    else:
        retry_after = getattr(exc, "retry_after", None)
        message.next_attempt_at = next_attempt(now, message.attempts, retry_after)
        if isinstance(exc, RateLimited):
            message.state = OutboxState.PENDING
            message.attempts -= 1  # waiting for quota is not a failed attempt
            outcome.stopped = "rate limited"
        outcome.retrying += 1
    db.session.commit()
    return False


def build_notice(message: OutboxMessage) -> ShipmentNotice | StatusNotice:
    """The channel notice an outbox row stands for."""
    payload: dict[str, Any] = message.payload
    lines = tuple(NoticeLine(line["line_id"], int(line["quantity"])) for line in payload.get("lines", []))
    if message.kind == "shipment":
        return ShipmentNotice(
            key=message.idempotency_key,
            marketplace_order_id=payload["marketplace_order_id"],
            lines=lines,
            carrier_code=payload.get("carrier_code", ""),
            carrier_name=payload.get("carrier_name"),
            tracking_number=payload.get("tracking_number", ""),
            shipped_at=utc(datetime.fromisoformat(payload["shipped_at"])),
            package_ref=payload.get("package_ref", "1"),
            shipping_method=payload.get("shipping_method"),
            ship_from_store=payload.get("ship_from_store"),
        )
    return StatusNotice(key=message.idempotency_key, marketplace_order_id=payload["marketplace_order_id"],
                        status=payload["status"], lines=lines, reason=payload.get("reason"))
