"""Where a marketplace order becomes a shop order.

For each order of a connection, in purchase order: wait while the
marketplace says pending, skip it if cancelled, match its lines to shop
products, run the ``order_import`` policies (holds, tags), claim the order
for the shop (C9: one shop order per marketplace order, whatever the route),
then look it up in the shop and create it only if it is not there.

Exactly once: the claim is committed *before* the shop is called, and every
create is preceded by a lookup of the deterministic external reference, so
a crash after the shop created the order and before we recorded it heals on
the next run by finding the order instead of creating a second one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ProductIdentifier, ShopAdapter, ShopProduct
from marketbridge.decisions import Hold, ImportContext
from marketbridge.engine import history, problems
from marketbridge.engine.checkpoints import checkpoint
from marketbridge.engine.dbutil import insert_ignore
from marketbridge.engine.failures import handle_stream_failure
from marketbridge.engine.leases import is_due, keep_alive, lease
from marketbridge.errors import AdapterError, AuthenticationFailed, OrderRejected
from marketbridge.host import Host
from marketbridge.matching import line_value
from marketbridge.models import Connection, Order, OrderState, ShopOrderClaim, SyncCursor, db
from marketbridge.order import OrderStatus
from marketbridge.order.stored import order_from_stored
from marketbridge.order.model import Order as CanonicalOrder
from marketbridge.plugins import PolicyError, call_policy

#: How long a held order waits before the engine checks whether its cause is fixed (O4, C5).
HOLD_RECHECK = timedelta(minutes=5)
BATCH = 200


@dataclass
class PipelineOutcome:
    """Counts of what one run did."""

    created: int = 0
    held: int = 0
    waiting: int = 0
    skipped: int = 0
    duplicates: int = 0
    stopped: str | None = None


def process_orders(host: Host, connection_id: int, *, owner: str | None = None, limit: int = BATCH,
                   force: bool = False) -> PipelineOutcome:
    """Take up to ``limit`` due orders of a connection into the shop.

    Two phases, both in purchase order: first every due order is decided
    (wait, skip, hold, duplicate, or claimed for creation, committed
    together); then each claimed order is looked up and, if absent, created
    in the shop, committed one by one. Inactive connections only process test
    orders (C6). A shop answering with a temporary failure stops the run (the
    claimed orders resume with a lookup next time); an order the shop refuses
    is held and the run goes on.
    """
    outcome = PipelineOutcome()
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        return outcome
    if connection.shop.auth_problem:
        outcome.stopped = "shop authentication"
        return outcome
    with lease("connection", connection_id, "pipeline", host.clock, owner=owner) as cursor:
        now = host.clock.now()
        if not force and not is_due(cursor, now):
            outcome.stopped = "not due"
            return outcome
        orders = _due_orders(connection, now, limit)
        if not orders:
            return outcome
        shop = host.shop_adapter(connection.shop)
        decoded = {order.id: order_from_stored(order.payload or {}) for order in orders}
        try:
            products = _match_products(shop, connection.product_identifier, decoded.values())
        except AdapterError as exc:
            _stop(cursor, exc, host, connection, outcome)
            return outcome
        info = host.connection_info(connection)
        matched = {order.id: {line.line_id: products.get(line_value(line, connection.product_identifier) or "")
                              for line in decoded[order.id].lines} for order in orders}
        ready = [order for order in orders if order.state != OrderState.CREATING
                 and _decide(host, connection, info, order, decoded[order.id], matched[order.id], outcome)]
        _claim_all(connection, ready, matched, now, outcome)
        db.session.commit()
        channel_label = host.registry.channel(connection.account.kind).label
        claimed = [_Claimed(order.id, order.order_key, _draft(connection, decoded[order.id], matched[order.id],
                                                              channel_label, order.shop_status, order.tags))
                   for order in orders if order.state == OrderState.CREATING]
        _release(orders)
        for item in claimed:
            keep_alive(cursor, host.clock)
            if not _create(host, connection, shop, item, cursor, outcome):
                return outcome
        cursor.failures = 0
        cursor.not_before = None
        cursor.last_success_at = host.clock.now()
        db.session.commit()
    return outcome


def _due_orders(connection: Connection, now: datetime, limit: int) -> list[Order]:
    due = sa.or_(
        Order.state.in_((OrderState.NEW, OrderState.CREATING)),
        sa.and_(Order.state == OrderState.HELD, Order.payload.is_not(None),
                Order.next_attempt_at.is_not(None), Order.next_attempt_at <= now),
    )
    query = sa.select(Order).where(Order.connection_id == connection.id, Order.held_by_merchant.is_(False), due)
    if not connection.active:
        query = query.where(Order.is_test.is_(True))
    query = query.options(selectinload(Order.lines)).order_by(Order.purchased_at, Order.id).limit(limit)
    return list(db.session.execute(query).scalars())


def _match_products(shop: ShopAdapter, identifier: str, orders: Iterable[CanonicalOrder]) -> dict[str, ShopProduct]:
    """Look every line's identifier value up in the shop, in batches of the adapter's size."""
    values = list(dict.fromkeys(value for order in orders for line in order.lines
                                if (value := line_value(line, identifier))))
    found: dict[str, ShopProduct] = {}
    size = max(1, shop.batch_size)
    for start in range(0, len(values), size):
        found.update(shop.find_products(ProductIdentifier(identifier), values[start:start + size]))
    return found


def _decide(host: Host, connection: Connection, info: Any, order: Order, canonical: CanonicalOrder,
            matched: dict[str, ShopProduct | None], outcome: PipelineOutcome) -> bool:
    """Decide what happens to one order before the shop is called (joins the batch's transaction).

    Returns ``True`` when the order is ready to be claimed for creation.
    """
    now = host.clock.now()
    had_holds = bool(order.holds)
    if canonical.status is OrderStatus.PENDING:
        order.state, order.next_attempt_at = OrderState.WAITING, None
        history.record(order, now, "waiting", "The marketplace has not confirmed the order yet; waiting.")
        outcome.waiting += 1
        return False
    if canonical.status is OrderStatus.CANCELLED:
        order.state = OrderState.SKIPPED
        history.record(order, now, "skipped", "Cancelled on the marketplace before import: not created in the shop.")
        if had_holds:
            order.holds = []
            problems.resolve(now, order_id=order.id)
        outcome.skipped += 1
        return False
    context = ImportContext(info, matched)
    holds = _run_import_policies(host, canonical, context)
    order.tags = list(canonical.tags)
    order.shop_status = context.initial_status
    if holds:
        _hold(order, holds, now, connection.id)
        outcome.held += 1
        return False
    if had_holds:
        order.holds = []
        problems.resolve(now, order_id=order.id)
    return True


def _claim_all(connection: Connection, orders: list[Order], matched: dict[int, dict[str, ShopProduct | None]],
               now: datetime, outcome: PipelineOutcome) -> None:
    """Claim the orders for creation in one statement (C9); those another route owns become duplicates."""
    if not orders:
        return
    rows = [{"shop_id": connection.shop_id, "order_key": o.order_key, "order_id": o.id, "claimed_at": now}
            for o in orders]
    with db.session.no_autoflush:
        insert_ignore(ShopOrderClaim, rows, ["shop_id", "order_key"])
        owners = dict(db.session.execute(sa.select(ShopOrderClaim.order_key, ShopOrderClaim.order_id).where(
            ShopOrderClaim.shop_id == connection.shop_id,
            ShopOrderClaim.order_key.in_([o.order_key for o in orders]))).all())
    for order in orders:
        if owners.get(order.order_key) != order.id:
            order.state = OrderState.DUPLICATE
            history.record(order, now, "duplicate",
                           "Already imported through another connection for this shop: not created twice.")
            outcome.duplicates += 1
            continue
        order.state = OrderState.CREATING
        for line in order.lines:
            product = matched[order.id].get(line.line_id)
            line.shop_product_id = product.product_id if product else None


#: Built once, on the tables: phase 2 writes rows it no longer holds in the session (see :func:`_release`),
#: so the ORM's statement handling and session synchronisation would be pure cost.
_ORDERS, _CLAIMS = Order.__table__, ShopOrderClaim.__table__
_MARK_CREATED = sa.update(_ORDERS).where(_ORDERS.c.id == sa.bindparam("oid")).values(
    state=OrderState.CREATED, shop_order_id=sa.bindparam("shop_order_id"),
    shop_order_number=sa.bindparam("shop_order_number"), created_in_shop_at=sa.bindparam("created_in_shop_at"),
    last_error=None)
_CLAIM_DONE = sa.update(_CLAIMS).where(
    _CLAIMS.c.shop_id == sa.bindparam("shop"), _CLAIMS.c.order_key == sa.bindparam("key")
).values(shop_order_id=sa.bindparam("shop_order_id"))


@dataclass(frozen=True)
class _Claimed:
    """What creating one claimed order needs, kept apart from the session (see :func:`_release`)."""

    order_id: int
    order_key: str
    draft: OrderDraft


def _release(orders: list[Order]) -> None:
    """Detach the batch's rows from the session before phase 2.

    Each commit costs time in proportion to the objects the session holds;
    phase 2 commits once per order and writes with prepared statements, so
    it needs none of them. Callers must not keep using these row objects.
    """
    for order in orders:
        for line in order.lines:
            db.session.expunge(line)
        db.session.expunge(order)


def _create(host: Host, connection: Connection, shop: ShopAdapter, claimed: _Claimed, cursor: SyncCursor,
            outcome: PipelineOutcome) -> bool:
    """Find or create one claimed order in the shop. Returns ``False`` when the run must stop."""
    draft = claimed.draft
    checkpoint("pipeline.before_shop_call")
    try:
        ref = shop.find_order(draft.external_ref)
        found = ref is not None
        if ref is None:
            ref = shop.create_order(draft)
    except OrderRejected as exc:
        _hold(db.session.get(Order, claimed.order_id), [Hold(exc.code, exc.message, exc.params)],
              host.clock.now(), connection.id)
        db.session.commit()
        outcome.held += 1
        return True
    except AdapterError as exc:
        db.session.execute(sa.update(Order).where(Order.id == claimed.order_id)
                           .values(attempts=Order.attempts + 1, last_error=exc.message))
        _stop(cursor, exc, host, connection, outcome)
        return False
    checkpoint("pipeline.after_shop_call")
    now = host.clock.now()
    rows = db.session.connection()
    rows.execute(_MARK_CREATED, {"oid": claimed.order_id, "shop_order_id": ref.order_id,
                                 "shop_order_number": ref.number, "created_in_shop_at": now})
    rows.execute(_CLAIM_DONE, {"shop": connection.shop_id, "key": claimed.order_key, "shop_order_id": ref.order_id})
    history.record_for(claimed.order_id, now, "created",
                       "Found in the shop as order {number} (created earlier)." if found
                       else "Created in the shop as order {number}.", number=ref.number or ref.order_id)
    checkpoint("pipeline.before_commit")
    db.session.commit()
    checkpoint("pipeline.after_commit")
    outcome.created += 1
    return True


def _run_import_policies(host: Host, order: CanonicalOrder, context: ImportContext) -> list[Hold]:
    try:
        results = call_policy(host.pm, "order_import", order=order, context=context)
    except PolicyError as exc:
        return [Hold("plugin_error", "The plugin {plugin} failed while checking this order: {error}",
                     {"plugin": exc.plugin, "error": str(exc.error)}, release_when_fixed=True)]
    holds: list[Hold] = []
    for result in results:
        if isinstance(result, Hold):
            holds.append(result)
        elif result:
            holds.extend(result)
    return holds


def _hold(order: Order, holds: list[Hold], now: datetime, connection_id: int) -> None:
    previous = [h.get("code") for h in order.holds]
    order.state = OrderState.HELD
    order.holds = [{"code": h.code, "message": h.message, "params": dict(h.params),
                    "release_when_fixed": h.release_when_fixed} for h in holds]
    order.next_attempt_at = now + HOLD_RECHECK if all(h.release_when_fixed for h in holds) else None
    codes = [h.code for h in holds]
    if codes != previous:
        history.record(order, now, "held", "Held: {reasons}", reasons=" ".join(h.text() for h in holds),
                       holds=[{"code": h.code, "message": h.message, "params": dict(h.params)} for h in holds])
    stale = tuple(code for code in previous if code not in codes)
    if stale:
        problems.resolve(now, order_id=order.id, codes=stale)
    for hold in holds:
        problems.report(now, code=hold.code, connection_id=connection_id, order_id=order.id,
                        message=hold.message, params=dict(hold.params),
                        plugin=str(hold.params.get("plugin")) if hold.code == "plugin_error" else None)


def _draft(connection: Connection, order: CanonicalOrder, matched: dict[str, ShopProduct | None],
           channel_label: str, shop_status: str | None, tags: list[str]) -> OrderDraft:
    label = f"{channel_label} Click & Collect" if order.flags.pickup else channel_label
    return OrderDraft(
        order=order,
        external_ref=order.key,
        lines=tuple(PlannedLine(line, product) for line in order.lines
                    if (product := matched.get(line.line_id)) is not None),
        marker=Marker(marketplace=order.marketplace, label=label, pickup=order.flags.pickup, test=order.is_test),
        initial_status=shop_status or connection.initial_status,
        connection_name=connection.name,
        tags=tuple(tags),
    )


def _stop(cursor: SyncCursor, exc: AdapterError, host: Host, connection: Connection, outcome: PipelineOutcome) -> None:
    handle_stream_failure(cursor, exc, host.clock.now(), connection_id=connection.id, shop=connection.shop,
                          what="creating orders in the shop")
    outcome.stopped = "shop authentication" if isinstance(exc, AuthenticationFailed) else exc.code
    db.session.commit()
