"""Where the merchant's work in the shop turns into messages for the marketplace.

Status changes and shipments arrive from the shop — pushed by a plugin's
webhook endpoint through :func:`ingest_shop_events`, or polled by
:func:`poll_shop_changes` as a safety net. Each becomes an outbox message
with an idempotency key derived from the shop's own event, so a change seen
twice (webhook and poll, overlapping windows) is recorded once. The policies
decide what to send: ``map_status`` turns a shop status into a marketplace
status (S1, S2), ``detect_carrier`` finds the marketplace carrier code (S4).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

import sqlalchemy as sa

from marketbridge.adapters import ChannelAdapter, Shipped, ShippedLine, ShopEvent, ShopOrderRef, StatusChanged
from marketbridge.clock import utc
from marketbridge.engine import history, labels, problems
from marketbridge.engine.checkpoints import checkpoint
from marketbridge.engine.dbutil import insert_ignore
from marketbridge.engine.failures import handle_stream_failure
from marketbridge.engine.leases import is_due, lease
from marketbridge.errors import AdapterError
from marketbridge.host import Host
from marketbridge.models import (
    Connection,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    OutboxMessage,
    OutboxState,
    Shop,
    ShopOrderClaim,
    db,
)
from marketbridge.order import load_order
from marketbridge.plugins import PolicyError, call_policy

DEFAULT_POLL_SECONDS = 60
#: Shops that push webhooks are polled this rarely, as a safety net only.
WEBHOOK_SAFETY_POLL_SECONDS = 600


@dataclass
class RecordOutcome:
    """What recording a batch of shop events produced."""

    queued: int = 0
    ignored: int = 0
    connections: set[int] = field(default_factory=set)


def poll_shop_changes(host: Host, shop_id: int, *, owner: str | None = None, force: bool = False) -> RecordOutcome:
    """Poll the shop for status changes and shipments since the stored cursor."""
    shop = db.session.get(Shop, shop_id)
    outcome = RecordOutcome()
    if shop is None or shop.auth_problem:
        return outcome
    with lease("shop", shop_id, "changes", host.clock, owner=owner) as cursor:
        if not force and not is_due(cursor, host.clock.now()):
            return outcome
        adapter = host.shop_adapter(shop)
        for _ in range(20):
            try:
                page = adapter.changes_since(cursor.value)
            except AdapterError as exc:
                handle_stream_failure(cursor, exc, host.clock.now(), shop=shop, what="reading changes from the shop")
                db.session.commit()
                return outcome
            result = record_events(host, shop, page.events)
            outcome.queued += result.queued
            outcome.ignored += result.ignored
            outcome.connections |= result.connections
            cursor.value = page.cursor
            cursor.failures, cursor.last_error, cursor.last_success_at = 0, None, host.clock.now()
            checkpoint("changes.before_commit")
            db.session.commit()
            if not page.more:
                break
        interval = WEBHOOK_SAFETY_POLL_SECONDS if adapter.pushes_changes else int(
            (shop.settings or {}).get("poll_seconds", DEFAULT_POLL_SECONDS))
        cursor.not_before = host.clock.now() + timedelta(seconds=interval)
        db.session.commit()
    return outcome


def ingest_shop_events(host: Host, shop_id: int, events: Iterable[ShopEvent]) -> RecordOutcome:
    """Record events a plugin received by webhook (after verifying its signature) and commit.

    This is the function plugin webhook endpoints call. Returns which
    connections got new outbox messages, so the caller can trigger delivery
    at once (``marketbridge.jobs.enqueue_delivery``).
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return RecordOutcome()
    outcome = record_events(host, shop, list(events))
    db.session.commit()
    return outcome


def record_events(host: Host, shop: Shop, events: Iterable[ShopEvent]) -> RecordOutcome:
    """Turn shop events into outbox messages (joins the current transaction)."""
    outcome = RecordOutcome()
    events = list(events)
    if not events:
        return outcome
    claims = {
        c.shop_order_id: c.order_id for c in db.session.execute(
            sa.select(ShopOrderClaim).where(ShopOrderClaim.shop_id == shop.id,
                                            ShopOrderClaim.shop_order_id.in_({e.order.order_id for e in events}))
        ).scalars()
    }
    channels: dict[int, ChannelAdapter] = {}
    for event in events:
        order_id = claims.get(event.order.order_id)
        order = db.session.get(Order, order_id) if order_id else None
        if order is None or order.state != OrderState.CREATED:
            outcome.ignored += 1
            continue
        if order.is_test:
            history.record(order, host.clock.now(), "not_sent", "Test order: the change is not sent to the marketplace.")
            outcome.ignored += 1
            continue
        connection = order.connection
        if isinstance(event, Shipped):
            channel = channels.get(connection.id) or channels.setdefault(connection.id, host.channel_adapter(connection))
            queued = _record_shipment(host, connection, order, event, channel)
        else:
            queued = _record_status(host, connection, order, event)
        if queued:
            outcome.queued += 1
            outcome.connections.add(connection.id)
    return outcome


def _record_status(host: Host, connection: Connection, order: Order, event: StatusChanged) -> bool:
    now = host.clock.now()
    canonical = load_order(order.payload or {})
    try:
        decision = call_policy(host.pm, "map_status", connection=host.connection_info(connection),
                               shop_status=event.status, order=canonical)
    except PolicyError as exc:
        problems.report(now, code="plugin_error", connection_id=connection.id, order_id=order.id, plugin=exc.plugin,
                        message="The plugin {plugin} failed while mapping a status: {error}",
                        params={"plugin": exc.plugin, "error": str(exc.error)})
        return False
    if decision is None or decision.marketplace_status is None:
        _note_once(order, now, event.event_id, "Shop status {status} is not mapped: nothing sent.",
                   status=event.status)
        return False
    channel_cls = host.registry.channel(connection.account.kind)
    target = next((s for s in channel_cls.statuses if s.code == decision.marketplace_status), None)
    if target is not None and target.needs_tracking:
        _note_once(order, now, event.event_id,
                   "Shop status {status} means \u201c{target}\u201d, which is sent with the shipment and its "
                   "tracking number.", status=event.status, target=target.label)
        return False
    return enqueue_status(now, connection, order, decision.marketplace_status, shop_status=event.status)


def enqueue_status(now: datetime, connection: Connection, order: Order, status: str, *, shop_status: str | None,
                   reason: str | None = None, lines: list[dict[str, Any]] | None = None,
                   retry_failed: bool = False) -> bool:
    """Queue a status for the marketplace, once per order, status and set of lines (joins the transaction).

    A partial change (``lines``) has its own key, so the rest can follow later.
    With ``retry_failed`` (the merchant asks again) a refused one is queued again.
    """
    payload = {"marketplace_order_id": order.marketplace_order_id, "status": status, "shop_status": shop_status,
               "reason": reason, "lines": lines or []}
    key = f"status:{order.id}:{status}"
    if lines:
        key += ":" + ",".join(f"{line['line_id']}x{line['quantity']}" for line in sorted(
            lines, key=lambda line: str(line["line_id"])))
    if retry_failed:
        failed = db.session.execute(sa.select(OutboxMessage).filter_by(idempotency_key=key,
                                                                      state=OutboxState.FAILED)).scalar_one_or_none()
        if failed is not None:
            failed.payload, failed.state, failed.attempts, failed.next_attempt_at = payload, OutboxState.PENDING, 0, now
            history.record(order, now, "status_queued", "Status {status} queued for the marketplace.", status=status)
            return True
    return _enqueue(now, connection, order, "status", key, payload,
                    "Status {status} queued for the marketplace.", status=status)


def _note_once(order: Order, now: datetime, event_id: str, message: str, **params: Any) -> None:
    """Record that a status change sends nothing, once per shop event (polls overlap; webhooks repeat)."""
    seen = db.session.execute(sa.select(OrderEvent.id).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == "status_not_sent",
        OrderEvent.data["event"].as_string() == event_id).limit(1)).first()
    if seen is None:
        history.record(order, now, "status_not_sent", message, event=event_id, **params)


#: Why a shipment can be held before it is sent; a later event (or new settings) can release it.
HELD_SHIPMENT_CODES = ("no_carrier", "unknown_carrier_code", "missing_tracking", "prime_split", "plugin_error")


def _record_shipment(host: Host, connection: Connection, order: Order, event: Shipped, channel: ChannelAdapter) -> bool:
    """Queue a shipment once per shop shipment; a held one is re-evaluated when the shop reports it again."""
    now = host.clock.now()
    key = f"shipment:{order.id}:{event.shipment_id}"
    existing = db.session.execute(sa.select(OutboxMessage).filter_by(idempotency_key=key)).scalar_one_or_none()
    if existing is not None and not (existing.state == OutboxState.FAILED
                                      and existing.last_error in HELD_SHIPMENT_CODES):
        return False
    if labels.label_bought(order.id):
        # L2: the label's purchase told the marketplace; the shop's own record of it is not sent again
        return _enqueue(now, connection, order, "shipment", key, {"shipment_id": event.shipment_id},
                        "The shop's shipment {tracking} was not sent: the marketplace already knows the shipment "
                        "from the label bought through it.", state=OutboxState.SUPERSEDED,
                        tracking=event.tracking_numbers[0] if event.tracking_numbers else "—")
    lines = _shipped_lines(order, event)
    base: dict[str, Any] = {
        "marketplace_order_id": order.marketplace_order_id,
        "shipment_id": event.shipment_id,
        "tracking_number": event.tracking_numbers[0] if event.tracking_numbers else "",
        "extra_tracking_numbers": list(event.tracking_numbers[1:]),
        "shipped_at": event.shipped_at.isoformat(),
        "shop_carrier": event.carrier,
        "shipping_method": event.shipping_method,
        "lines": lines,
        "package_ref": existing.payload["package_ref"] if existing is not None else str(_package_number(order)),
    }
    failure = _carrier_failure(host, connection, order, event, channel, base)
    if order.prime and _partial(order, lines):
        failure = ("prime_split", "Prime order {order} must ship complete in one package (O6); this shipment holds "
                   "only some of its items. Ship all items together.", {"order": order.marketplace_order_id})
    if not base["tracking_number"]:
        failure = ("missing_tracking", "The shipment of order {order} has no tracking number. Add it in the shop; "
                   "the marketplace needs it to confirm the shipment.", {"order": order.marketplace_order_id})
    if failure is not None:
        code, message, params = failure
        problems.report(now, code=code, connection_id=connection.id, order_id=order.id, message=message, params=params)
        if existing is not None:
            existing.payload, existing.last_error = base, code
            return False
        return _enqueue(now, connection, order, "shipment", key, base, "Shipment held: {reason}",
                        state=OutboxState.FAILED, error=code, reason=_filled(message, params), reason_code=code,
                        reason_params=params)
    problems.resolve(now, order_id=order.id, codes=HELD_SHIPMENT_CODES)
    if existing is not None:
        existing.payload, existing.state, existing.last_error = base, OutboxState.PENDING, None
        existing.attempts, existing.next_attempt_at = 0, now
        history.record(order, now, "shipment_queued", "Shipment {tracking} ({carrier}) released and queued.",
                       tracking=base["tracking_number"], carrier=base["carrier_code"])
        return True
    return _enqueue(now, connection, order, "shipment", key, base,
                    "Shipment {tracking} ({carrier}) queued for the marketplace.",
                    tracking=base["tracking_number"], carrier=base["carrier_code"])


def release_held_shipments(host: Host, connection_id: int) -> int:
    """Re-evaluate shipments held for a carrier reason after the merchant changed the carrier settings (S4).

    Returns how many were released to the outbox; commits.
    """
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        return 0
    held = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.connection_id == connection_id, OutboxMessage.kind == "shipment",
        OutboxMessage.state == OutboxState.FAILED, OutboxMessage.last_error.in_(HELD_SHIPMENT_CODES))).scalars().all()
    if not held:
        return 0
    channel = host.channel_adapter(connection)
    released = 0
    for message in held:
        order = db.session.get(Order, message.order_id)
        payload = message.payload
        if order is None or not payload.get("shipment_id"):
            continue
        event = Shipped(
            event_id=f"release:{message.id}", order=ShopOrderRef(order.shop_order_id or ""),
            shipment_id=payload["shipment_id"],
            tracking_numbers=tuple(t for t in [payload.get("tracking_number"), *payload.get("extra_tracking_numbers", [])]
                                   if t),
            shipped_at=utc(datetime.fromisoformat(payload["shipped_at"])), carrier=payload.get("shop_carrier"),
            shipping_method=payload.get("shipping_method"), lines=_shop_lines(order, payload.get("lines", [])))
        released += int(_record_shipment(host, connection, order, event, channel))
    db.session.commit()
    return released


def _shop_lines(order: Order, lines: list[dict[str, Any]]) -> tuple[ShippedLine, ...]:
    by_line = {line.line_id: line for line in order.lines}
    return tuple(ShippedLine(item["quantity"], product_id=by_line[item["line_id"]].shop_product_id,
                             sku=by_line[item["line_id"]].sku)
                 for item in lines if item["line_id"] in by_line)


def _carrier_failure(host: Host, connection: Connection, order: Order, event: Shipped, channel: ChannelAdapter,
                     base: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """Fill ``carrier_code``/``carrier_name`` into ``base``; return a problem when no valid code exists (S4)."""
    accepted = channel.carrier_codes()
    try:
        choice = call_policy(host.pm, "detect_carrier", connection=host.connection_info(connection), shipment=event,
                             order=load_order(order.payload or {}), carrier_codes=accepted)
    except PolicyError as exc:
        return ("plugin_error", "The plugin {plugin} failed while choosing the carrier: {error}",
                {"plugin": exc.plugin, "error": str(exc.error)})
    if choice is None:
        return ("no_carrier", "No carrier matched tracking number {tracking} and the connection has no default "
                "carrier, so the tracking number is not sent. Set a default carrier for the connection.",
                {"tracking": base["tracking_number"]})
    if accepted is not None and choice.code not in accepted:
        return ("unknown_carrier_code", "The marketplace does not accept the carrier code \u201c{code}\u201d (from "
                "{source}). Correct the carrier rule or the default carrier.", {"code": choice.code,
                                                                                "source": choice.source})
    base["carrier_code"] = choice.code
    base["carrier_name"] = choice.name or event.carrier
    base["carrier_source"] = choice.source
    if choice.note:
        history.record(order, host.clock.now(), "carrier_note", "Carrier {code} ({source}): {note}",
                       code=choice.code, source=choice.source, note=choice.note)
    return None


def _shipped_lines(order: Order, event: Shipped) -> list[dict[str, Any]]:
    """Marketplace line ids and quantities of a shipment; empty shop lines mean everything not yet shipped."""
    lines: list[OrderLine] = list(order.lines)
    if not event.lines:
        return [{"line_id": line.line_id, "quantity": line.quantity - line.quantity_shipped}
                for line in lines if line.quantity > line.quantity_shipped]
    result = []
    for shipped in event.lines:
        for line in lines:
            if (shipped.product_id and shipped.product_id == line.shop_product_id) or (
                    shipped.sku and shipped.sku == line.sku):
                result.append({"line_id": line.line_id, "quantity": min(shipped.quantity, line.quantity)})
                break
    return result


def _filled(message: str, params: dict[str, Any]) -> str:
    try:
        return message.format(**params)
    except (KeyError, IndexError, ValueError):
        return message


def _partial(order: Order, lines: list[dict[str, Any]]) -> bool:
    shipped = {line["line_id"]: line["quantity"] for line in lines}
    return any(shipped.get(line.line_id, 0) < line.quantity - line.quantity_shipped for line in order.lines)


def _package_number(order: Order) -> int:
    count = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.order_id == order.id, OutboxMessage.kind == "shipment")).scalar_one()
    return int(count) + 1


def _enqueue(now: datetime, connection: Connection, order: Order, kind: str, key: str, payload: dict[str, Any],
             message: str, /, *, state: OutboxState = OutboxState.PENDING, error: str | None = None,
             **params: Any) -> bool:
    inserted = insert_ignore(OutboxMessage, [{
        "connection_id": connection.id, "order_id": order.id, "kind": kind, "idempotency_key": key,
        "payload": payload, "state": state, "attempts": 0, "next_attempt_at": now, "created_at": now,
        "last_error": error,
    }], ["idempotency_key"])
    if inserted:
        history.record(order, now, f"{kind}_queued" if state == OutboxState.PENDING else f"{kind}_held", message,
                       **params)
    return bool(inserted) and state == OutboxState.PENDING
