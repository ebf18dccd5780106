"""What a verified webhook does: engine events for orders, stock for products, app lifecycle.

* ``state_enter.*`` names an order: the adapter reads that order's state history
  (:meth:`~marketbridge_shopware.adapter.ShopwareShop.events_for_orders`), so the
  events carry the same ids as polling gives them, and hands them to the engine
  (``ingest_shop_events``); every connection that got a message is delivered at once.
* ``product.written`` with ``stock`` or ``price`` among the changed fields: the stock and
  price of those products are read and offered to the listings like a stock poll would
  (variants inheriting a changed parent price are left to the poll).
* ``app.activated`` / ``app.deactivated`` / ``app.deleted``: see :func:`.shops.apply_lifecycle`.

Orders and products of a paused shop (``auth_problem`` set) are left to the polling
that resumes with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from marketbridge.engine.shop_changes import ingest_shop_events
from marketbridge.engine.stock import apply_levels
from marketbridge.host import Host
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import Connection, Shop, db

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.app.webhooks import WebhookCall
from marketbridge_shopware.web.shops import apply_lifecycle


@dataclass
class Handled:
    """What one webhook led to (logged; asserted by tests)."""

    events: int = 0
    queued: int = 0
    stock_levels: int = 0
    connections: set[int] = field(default_factory=set)


def handle_call(host: Host, shop: Shop, call: WebhookCall) -> Handled:
    """Act on a verified, first-seen webhook. Commits. Raises ``AdapterError`` when the shop cannot be read."""
    handled = Handled()
    if call.lifecycle is not None:
        apply_lifecycle(host, shop, call.lifecycle)
        db.session.commit()
        return handled
    if shop.auth_problem or not (call.order_ids or call.stock_product_ids):
        db.session.commit()
        return handled
    adapter = host.shop_adapter(shop)
    assert isinstance(adapter, ShopwareShop)
    if call.order_ids:
        events = adapter.events_for_orders(call.order_ids, call.sent_at)
        handled.events = len(events)
        outcome = ingest_shop_events(host, shop.id, events)  # commits
        handled.queued, handled.connections = outcome.queued, set(outcome.connections)
    if call.stock_product_ids:
        levels = adapter.read_stock(list(call.stock_product_ids)[: adapter.batch_size])
        handled.stock_levels = len(levels)
        if apply_levels(host, shop, levels):
            handled.connections |= set(db.session.execute(sa.select(Connection.id).where(
                Connection.shop_id == shop.id, Connection.active.is_(True))).scalars())
    db.session.commit()
    for connection_id in sorted(handled.connections):
        enqueue_delivery(connection_id)
    return handled
