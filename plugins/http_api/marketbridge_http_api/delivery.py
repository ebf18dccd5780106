"""Immediate delivery (S2): what the shop pushed reaches the marketplace within seconds, not at the next poll.

After a push is stored **and committed** (so the shop's 200 never depends on
the engine), the API hands the new events to the engine the way the webhook
plugins do: status changes and shipments through
:func:`~marketbridge.engine.shop_changes.ingest_shop_events`, stock and prices
through :func:`~marketbridge.engine.stock.ingest_stock_levels`; then it asks
for delivery (:func:`~marketbridge.jobs.enqueue_delivery`) on every connection
that got a message.

The shop poll (``changes_since`` / ``stock_changes_since``) still reads the
same rows later as the safety net. Exactly once holds because both paths build
their events from the same stored row (same event ids, and the engine keys
shipments by order and ``shipment_id``, statuses by order and status) and
stock is compared with what the marketplace has or is getting. When ingesting
fails, the error is logged and the poll delivers later.
"""
from __future__ import annotations

import logging
from typing import Iterable, Sequence

from marketbridge.adapters import ShopEvent
from marketbridge.engine.shop_changes import ingest_shop_events
from marketbridge.engine.stock import ingest_stock_levels
from marketbridge.host import Host
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import Shop, db

from marketbridge_http_api import catalogue

log = logging.getLogger(__name__)


def deliver_now(host: Host, shop_id: int, feed: str, *, events: Iterable[ShopEvent] = (),
                product_ids: Sequence[str] = ()) -> set[int]:
    """Ingest committed events / changed products now and trigger delivery; returns the connections triggered.

    Never raises: an engine failure is logged and left to the poll.
    """
    events = list(events)
    if not events and not product_ids:
        return set()
    connections: set[int] = set()
    try:
        shop = db.session.get(Shop, shop_id)
        if shop is None or shop.auth_problem:
            return set()  # a paused shop: the poll catches up from its cursor when it resumes
        if events:
            connections |= ingest_shop_events(host, shop_id, events).connections  # commits
        if product_ids:
            levels = catalogue.read_stock(feed, list(product_ids))
            connections |= ingest_stock_levels(host, shop_id, levels)  # commits
    except Exception:  # noqa: BLE001 - the push is stored; the shop poll delivers it later
        db.session.rollback()
        log.exception("shop %s: pushed changes not handed to the engine at once (the poll will)", shop_id)
        return set()
    for connection_id in sorted(connections):
        try:
            enqueue_delivery(connection_id)
        except Exception:  # noqa: BLE001 - the scheduler delivers anyway
            log.exception("could not trigger delivery for connection %s", connection_id)
    return connections
