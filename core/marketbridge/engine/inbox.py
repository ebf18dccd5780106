"""Where marketplace orders enter: fetch pages from the channel and upsert them.

Each page is stored in one transaction together with the channel's new
cursor, so a crash either keeps the whole page and the cursor or neither:
the next run fetches the page again and the upsert makes that harmless.
Orders that fail validation are stored as held orders with the raw data and
the reasons, never dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Mapping

import sqlalchemy as sa
from marshmallow import ValidationError

from marketbridge.adapters import FetchRequest, OrderPage, RejectedOrder
from marketbridge.engine import history, problems
from marketbridge.engine.checkpoints import checkpoint
from marketbridge.engine.failures import handle_stream_failure
from marketbridge.engine.leases import is_due, lease
from marketbridge.errors import AdapterError
from marketbridge.host import Host
from marketbridge.models import Connection, Order, OrderEvent, OrderLine, OrderState, SyncCursor, db
from marketbridge.order import OrderStatus, load_order, validation_summary
from marketbridge.order.stored import order_to_stored
from marketbridge.order.model import Order as CanonicalOrder

#: Pages fetched per run before yielding the worker to other connections.
MAX_PAGES_PER_RUN = 20
#: How often a connection's orders are fetched when nothing else says otherwise.
DEFAULT_POLL_SECONDS = 60
#: States in which a fresh copy from the marketplace sends the order through the pipeline again.
_REOPEN = (OrderState.NEW, OrderState.WAITING, OrderState.HELD, OrderState.SKIPPED)
#: The first event in the history of an order received valid.
FETCHED = "Received from the marketplace ({status})."


@dataclass
class FetchOutcome:
    """What one run of :func:`fetch_orders` did (for logs, the CLI progress bar and tests)."""

    pages: int = 0
    received: int = 0
    new: int = 0
    more: bool = False
    skipped: str | None = None
    new_skus: set[str] = field(default_factory=set)  #: SKUs of orders seen for the first time (stock reservation)


def fetch_orders(host: Host, connection_id: int, *, owner: str | None = None, force: bool = False) -> FetchOutcome:
    """Fetch up to :data:`MAX_PAGES_PER_RUN` pages of orders for an active connection.

    Does nothing for an inactive connection (C2), an account waiting for
    re-authorisation, or a stream whose poll interval is not over (unless
    ``force``); a stream postponed by a rate limit or a failure always waits.
    Raises :class:`~marketbridge.engine.leases.LeaseLost` when another worker
    is fetching the same connection.
    """
    connection = db.session.get(Connection, connection_id)
    outcome = FetchOutcome()
    if connection is None or not connection.active:
        outcome.skipped = "inactive"
        return outcome
    if connection.account.auth_problem:
        outcome.skipped = "authorisation"
        return outcome
    with lease("connection", connection_id, "orders", host.clock, owner=owner) as cursor:
        if not is_due(cursor, host.clock.now()) and (not force or cursor.failures):
            outcome.skipped = "not due"
            return outcome
        channel = host.channel_adapter(connection)
        while outcome.pages < MAX_PAGES_PER_RUN:
            request = FetchRequest(cursor=cursor.value, since=connection.activation_date,
                                   open_only=cursor.value is None)
            cursor.last_run_at = host.clock.now()
            try:
                page = channel.fetch_orders(request)
            except AdapterError as exc:
                handle_stream_failure(cursor, exc, host.clock.now(), connection_id=connection.id,
                                      account=connection.account, what="fetching orders")
                db.session.commit()
                return outcome
            now = host.clock.now()
            stats = store_page(connection, page, now, outcome.new_skus)
            outcome.pages += 1
            outcome.received += stats[0]
            outcome.new += stats[1]
            cursor.value = page.cursor
            cursor.failures = 0
            cursor.last_error = None
            cursor.last_success_at = now
            if page.total is not None:
                cursor.progress_total = page.total
                cursor.progress_done = (cursor.progress_done or 0) + len(page.orders) if request.cursor else len(page.orders)
            problems.resolve(now, codes=("fetch_failed", "rate_limited"), connection_id=connection.id)
            checkpoint("inbox.before_commit")
            db.session.commit()
            checkpoint("inbox.after_commit")
            if not page.more:
                break
        outcome.more = page.more
        cursor.not_before = host.clock.now() + (timedelta(0) if page.more else _poll_interval(connection))
        db.session.commit()
    return outcome


def restart_from(connection: Connection, since: datetime) -> None:
    """Move the activation date and fetch again from it (C3 backfill); joins the current transaction.

    The next fetch starts a new window of open orders at ``since``; orders
    already received are only updated by it, never duplicated.
    """
    connection.activation_date = since
    with db.session.no_autoflush:  # the caller may still be validating other changes of the connection
        db.session.execute(
            sa.update(SyncCursor)
            .where(SyncCursor.scope == "connection", SyncCursor.scope_id == connection.id, SyncCursor.stream == "orders")
            .values(value=None, not_before=None, progress_done=None, progress_total=None)
            .execution_options(synchronize_session=False))


def _poll_interval(connection: Connection) -> timedelta:
    return timedelta(seconds=int((connection.settings or {}).get("poll_seconds", DEFAULT_POLL_SECONDS)))


def refresh_waiting(host: Host, connection_id: int, *, owner: str | None = None, limit: int = 50) -> int:
    """Ask the channel again about orders it called pending (they must not fall behind the watermark).

    Returns how many orders were re-fetched. Failures postpone the re-check.
    """
    connection = db.session.get(Connection, connection_id)
    if connection is None or not connection.active or connection.account.auth_problem:
        return 0
    now = host.clock.now()
    ids = db.session.execute(
        sa.select(Order.marketplace_order_id)
        .where(Order.connection_id == connection_id, Order.state == OrderState.WAITING,
               sa.or_(Order.next_attempt_at.is_(None), Order.next_attempt_at <= now))
        .order_by(Order.purchased_at, Order.id).limit(limit)).scalars().all()
    if not ids:
        return 0
    with lease("connection", connection_id, "refresh", host.clock, owner=owner) as cursor:
        try:
            page = host.channel_adapter(connection).refresh_orders(list(ids))
        except AdapterError as exc:
            handle_stream_failure(cursor, exc, now, connection_id=connection.id, account=connection.account,
                                  what="re-checking pending orders")
            db.session.commit()
            return 0
        store_page(connection, page, host.clock.now())
        later = host.clock.now() + timedelta(minutes=15)
        db.session.execute(
            sa.update(Order).where(Order.connection_id == connection_id, Order.state == OrderState.WAITING,
                                   Order.marketplace_order_id.in_(ids))
            .values(next_attempt_at=later).execution_options(synchronize_session=False))
        db.session.commit()
    return len(ids)


def store_page(connection: Connection, page: OrderPage, now: datetime,
               new_skus: set[str] | None = None) -> tuple[int, int]:
    """Upsert a page's orders and rejects into the inbox (no commit). Returns (received, new).

    An order id that comes more than once keeps its last copy (rejects count
    as coming after the orders). Orders seen for the first time are written
    in bulk (:class:`_NewOrders`); known and invalid ones go through the
    session. SKUs of orders seen for the first time are added to ``new_skus``
    when given.
    """
    ids = [_order_id(d) for d in page.orders]
    rejected_ids = {r.marketplace_order_id for r in page.rejected if r.marketplace_order_id}
    last = {marketplace_order_id: i for i, marketplace_order_id in enumerate(ids) if marketplace_order_id}
    wanted = list({*last, *rejected_ids})
    existing = {
        o.marketplace_order_id: o for o in db.session.execute(
            sa.select(Order).where(Order.connection_id == connection.id, Order.marketplace_order_id.in_(wanted))
        ).scalars()
    } if wanted else {}
    fresh = _NewOrders(connection, now)
    new = 0
    for i, (data, marketplace_order_id) in enumerate(zip(page.orders, ids)):
        if not marketplace_order_id:
            _store_rejected(connection, RejectedOrder(None, dict(data), "The order has no marketplace order id."),
                            existing, now)
            continue
        if last[marketplace_order_id] != i or marketplace_order_id in rejected_ids:
            continue  # a later copy of the same order on this page is the one stored
        checked = _validated(connection, data)
        order = existing.get(marketplace_order_id)
        if not isinstance(checked, CanonicalOrder):
            new += _store_invalid(connection, marketplace_order_id, data, checked, existing, now)
        elif order is None:
            fresh.add(marketplace_order_id, checked)
            new += 1
            if new_skus is not None:
                new_skus.update(line.sku for line in checked.lines if line.sku)
        else:
            _update(connection, order, checked, now)
    fresh.insert()
    for rejected in page.rejected:
        new += _store_rejected(connection, rejected, existing, now)
    return len(page.orders) + len(page.rejected), new


def _order_id(data: Mapping[str, Any]) -> str:
    return str(data.get("marketplace_order_id") or "").strip()


def _validated(connection: Connection, data: Mapping[str, Any]) -> CanonicalOrder | str:
    """The canonical order ``data`` describes, or the reason it cannot be imported."""
    try:
        canonical = load_order(data)
    except ValidationError as exc:
        return validation_summary(exc)
    if canonical.marketplace != connection.account.kind:
        return f"marketplace: {canonical.marketplace!r} is not this connection's channel"
    return canonical


class _NewOrders:
    """Orders seen for the first time on one page, inserted together with their lines and first event.

    Three multi-row statements on the tables instead of the session's
    unit of work per order: the inbox's largest cost after validation. Joins
    the caller's transaction like everything else :func:`store_page` does.
    """

    _ORDERS, _LINES, _EVENTS = Order.__table__, OrderLine.__table__, OrderEvent.__table__

    def __init__(self, connection: Connection, now: datetime) -> None:
        self.connection, self.now = connection, now
        self.orders: list[dict[str, Any]] = []
        self.canonical: list[CanonicalOrder] = []

    def add(self, marketplace_order_id: str, canonical: CanonicalOrder) -> None:
        self.canonical.append(canonical)
        self.orders.append({
            "connection_id": self.connection.id, "marketplace": canonical.marketplace,
            "marketplace_order_id": marketplace_order_id, "order_key": canonical.key, "state": OrderState.NEW,
            "received_at": self.now, "holds": [], "tags": list(dict.fromkeys(canonical.tags)),
            **_columns(canonical, order_to_stored(canonical), self.now),
        })

    def insert(self) -> None:
        if not self.orders:
            return
        rows = db.session.connection()
        inserted = rows.execute(
            sa.insert(self._ORDERS).returning(self._ORDERS.c.id, sort_by_parameter_order=True), self.orders)
        order_ids = list(inserted.scalars())
        rows.execute(sa.insert(self._LINES), [
            {"order_id": order_id, "line_id": line.line_id, "sku": line.sku, "ean": line.ean,
             "title": line.title[:1000], "quantity": line.quantity, "quantity_shipped": 0}
            for order_id, canonical in zip(order_ids, self.canonical) for line in canonical.lines])
        rows.execute(sa.insert(self._EVENTS), [
            {"order_id": order_id, "at": self.now, "kind": "fetched",
             "message": FETCHED,
             "data": {"status": canonical.marketplace_status}}
            for order_id, canonical in zip(order_ids, self.canonical)])


def _update(connection: Connection, order: Order, canonical: CanonicalOrder, now: datetime) -> None:
    """A known order sent again: store the newer copy, reopen it if it was not imported, note a status change."""
    payload = order_to_stored(canonical)
    if order.payload == payload:
        return
    previous_status = order.status
    _apply(order, canonical, payload, now)
    if order.state in _REOPEN and not order.held_by_merchant:
        order.state = OrderState.NEW
        order.next_attempt_at = None
    if previous_status != order.status:
        history.record(order, now, "marketplace_status", "The marketplace status changed from {old} to {new}.",
                       old=previous_status or "—", new=order.status)
        if order.state == OrderState.CREATED and canonical.status is OrderStatus.CANCELLED:
            problems.report(now, code="cancelled_after_import", connection_id=connection.id, order_id=order.id,
                            message="The buyer's order {order} was cancelled on the marketplace after it was "
                                    "imported. Cancel it in the shop as well.",
                            params={"order": order.marketplace_order_id})


def _columns(canonical: CanonicalOrder, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The inbox row's columns that follow the marketplace's latest copy of the order."""
    return {
        "payload": payload, "status": canonical.status.value,
        "marketplace_status": canonical.marketplace_status, "purchased_at": canonical.purchased_at,
        "marketplace_updated_at": canonical.updated_at, "changed_at": now, "is_test": canonical.is_test,
        "prime": canonical.flags.prime, "pickup": canonical.flags.pickup, "business": canonical.flags.business,
        "total_amount": canonical.total.amount, "currency": canonical.currency,
    }


def _apply(order: Order, canonical: CanonicalOrder, payload: dict[str, Any], now: datetime) -> None:
    for column, value in _columns(canonical, payload, now).items():
        setattr(order, column, value)
    order.raw = None  # valid now: what was kept of an invalid copy goes
    order.tags = list(dict.fromkeys([*order.tags, *canonical.tags]))
    if order.state in (OrderState.CREATING, OrderState.CREATED):
        return
    known = {line.line_id: line for line in order.lines}
    order.lines = [
        _line(known.get(line.line_id), line.line_id, line.sku, line.ean, line.title, line.quantity)
        for line in canonical.lines
    ]


def _line(row: OrderLine | None, line_id: str, sku: str | None, ean: str | None, title: str, quantity: int) -> OrderLine:
    row = row or OrderLine(line_id=line_id)
    row.sku, row.ean, row.title, row.quantity = sku, ean, title[:1000], quantity
    return row


def _store_invalid(connection: Connection, marketplace_order_id: str, data: Mapping[str, Any], reason: str,
                   existing: dict[str, Order], now: datetime) -> int:
    """Keep an order whose data does not validate: held with the reasons and the raw data."""
    order = existing.get(marketplace_order_id)
    hold = {"code": "invalid_order_data",
            "message": "The marketplace sent data Marketbridge cannot import: {details}",
            "params": {"details": reason}, "release_when_fixed": True}
    raw = _plain(data)
    is_new = order is None
    if order is None:
        order = Order(connection_id=connection.id, marketplace=connection.account.kind,
                      marketplace_order_id=marketplace_order_id,
                      order_key=f"{connection.account.kind}:{marketplace_order_id}",
                      received_at=now, changed_at=now, tags=[], holds=[])
        db.session.add(order)
        existing[marketplace_order_id] = order
    elif order.state in (OrderState.CREATING, OrderState.CREATED) or order.raw == raw:
        return 0
    order.raw, order.state, order.holds, order.changed_at = raw, OrderState.HELD, [hold], now
    order.next_attempt_at = None
    db.session.flush()
    history.record(order, now, "invalid", "Held: the marketplace data is invalid ({details}).", details=reason)
    problems.report(now, code="invalid_order_data", connection_id=connection.id, order_id=order.id,
                    subject=marketplace_order_id, message=hold["message"], params=hold["params"])
    return int(is_new)


def _store_rejected(connection: Connection, rejected: RejectedOrder, existing: dict[str, Order], now: datetime) -> int:
    if rejected.marketplace_order_id:
        return _store_invalid(connection, rejected.marketplace_order_id, {"raw": rejected.raw}, rejected.reason,
                              existing, now)
    problems.report(now, code="unidentifiable_order", connection_id=connection.id,
                    subject=str(hash(repr(rejected.raw)))[:40],
                    message="The marketplace sent an order without an order id, which cannot be imported: {reason}. "
                            "Its data is kept with this problem; contact support with it.",
                    params={"reason": rejected.reason, "raw": _plain(rejected.raw)})
    return 0


def _plain(value: Any) -> Any:
    """Make arbitrary channel data JSON-storable without losing it."""
    import json

    def default(obj: Any) -> Any:
        if isinstance(obj, (Decimal, datetime)):
            return str(obj)
        return repr(obj)

    return json.loads(json.dumps(value, default=default))
