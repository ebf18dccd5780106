"""Re-apply the import policies (automation rules, O7) to orders already in the shop.

:func:`preview` says what would change without changing anything; :func:`apply`
makes the same changes: tags are added to Marketbridge's record, and a rule
that sets a status moves the shop order through the shop adapter. Holds do
not apply to orders that are already in the shop.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sqlalchemy as sa

from marketbridge.adapters import ShopOrderRef
from marketbridge.decisions import ImportContext
from marketbridge.engine import history
from marketbridge.errors import AdapterError
from marketbridge.host import Host
from marketbridge.models import Connection, Order, OrderState, db
from marketbridge.order.stored import order_from_stored
from marketbridge.plugins import PolicyError, call_policy

LIMIT = 500


@dataclass
class Change:
    """What reprocessing does to one order."""

    order_id: int
    marketplace_order_id: str
    add_tags: list[str] = field(default_factory=list)
    status: str | None = None  #: the shop status a rule now asks for, when it differs
    error: str | None = None  #: why the change could not be applied


def preview(host: Host, connection_id: int, order_ids: Sequence[int] | None = None) -> list[Change]:
    """The changes reprocessing would make to the connection's imported orders (at most 500)."""
    return [change for _, change in _evaluate(host, connection_id, order_ids)]


def apply(host: Host, connection_id: int, order_ids: Sequence[int] | None = None) -> list[Change]:
    """Make the changes of :func:`preview`; returns them, each with an ``error`` if the shop refused."""
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        return []
    shop = host.shop_adapter(connection.shop)
    changes = []
    for order, change in _evaluate(host, connection_id, order_ids):
        now = host.clock.now()
        if change.status:
            try:
                shop.set_status(ShopOrderRef(order.shop_order_id or ""), change.status)
                order.shop_status = change.status
            except AdapterError as exc:
                change.error = exc.message
        if change.add_tags:
            order.tags = [*order.tags, *change.add_tags]
        history.record(order, now, "rules_reprocessed", "Rules applied again: {summary}.",
                       summary=", ".join([*(f"+{t}" for t in change.add_tags),
                                          *([f"status {change.status}"] if change.status else [])]) or "no change")
        db.session.commit()
        changes.append(change)
    return changes


def _evaluate(host: Host, connection_id: int, order_ids: Sequence[int] | None) -> list[tuple[Order, Change]]:
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        return []
    info = host.connection_info(connection)
    query = sa.select(Order).where(Order.connection_id == connection_id, Order.state == OrderState.CREATED,
                                   Order.payload.is_not(None))
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    results = []
    for order in db.session.execute(query.order_by(Order.purchased_at, Order.id).limit(LIMIT)).scalars():
        canonical = order_from_stored(order.payload or {})
        canonical.tags = list(order.tags)
        context = ImportContext(info, {}, reprocess=True)
        change = Change(order.id, order.marketplace_order_id)
        try:
            call_policy(host.pm, "order_import", order=canonical, context=context)
        except PolicyError as exc:
            change.error = str(exc)
        change.add_tags = [t for t in canonical.tags if t not in order.tags]
        if context.initial_status and context.initial_status != (order.shop_status or connection.initial_status):
            change.status = context.initial_status
        if change.add_tags or change.status or change.error:
            results.append((order, change))
    return results
