"""The jobs themselves, as plain functions of the :class:`~marketbridge.host.Host`.

They run the same way whichever task engine triggers them (embedded thread,
Huey on Redis or PostgreSQL, a test calling them directly). Each one is safe
to run twice at the same time: streams are leased, so a second runner finds
the lease taken and returns.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from marketbridge.engine import inbox, outbox, pipeline, shop_changes, stock, stores
from marketbridge.engine.leases import LeaseLost
from marketbridge.host import Host
from marketbridge.jobs import housekeeping
from marketbridge.models import Connection, Order, OrderState, db

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    """What one connection cycle did (logged, and asserted on by tests)."""

    fetched: int = 0
    created: int = 0
    held: int = 0
    delivered: int = 0
    busy: list[str] = field(default_factory=list)


def connection_cycle(host: Host, connection_id: int, fetch_now: bool = False) -> CycleReport:
    """Fetch, re-check pending, import and deliver for one connection.

    ``fetch_now`` fetches even before the poll interval is over (a channel's
    webhook said orders changed); rate-limit postponements still apply.
    """
    report = CycleReport()
    try:
        fetched = inbox.fetch_orders(host, connection_id, force=fetch_now)
        report.fetched = fetched.received
        stock.refresh_after_sales(host, connection_id, fetched.new_skus)
    except LeaseLost:
        report.busy.append("orders")
    try:
        inbox.refresh_waiting(host, connection_id)
    except LeaseLost:
        report.busy.append("refresh")
    try:
        while True:
            result = pipeline.process_orders(host, connection_id)
            report.created += result.created
            report.held += result.held
            if result.stopped or result.created + result.held + result.waiting + result.skipped + result.duplicates == 0:
                break
    except LeaseLost:
        report.busy.append("pipeline")
    report.delivered += deliver(host, connection_id)
    return report


def deliver(host: Host, connection_id: int) -> int:
    """Deliver due outbox messages of one connection; returns how many were delivered."""
    try:
        return outbox.deliver(host, connection_id).delivered
    except LeaseLost:
        return 0


def shop_cycle(host: Host, shop_id: int) -> int:
    """Poll a shop's changes and stock; returns how many outbox messages were queued."""
    queued = 0
    try:
        result = shop_changes.poll_shop_changes(host, shop_id)
        queued += result.queued
        for connection_id in result.connections:
            deliver(host, connection_id)
    except LeaseLost:
        pass
    try:
        queued += stock.poll_stock(host, shop_id)
    except LeaseLost:
        pass
    return queued


def housekeeping_cycle(host: Host, retention_days: int) -> dict[str, int]:
    """Purge buyer data past retention (D1), remind about expiring grants (C8), flag uncollected pickups (K6)."""
    return {
        "purged": housekeeping.purge_personal_data(host, retention_days),
        "reminders": housekeeping.remind_expiring_grants(host),
        "overdue_pickups": stores.flag_overdue_pickups(host),
    }


def due_work(host: Host) -> tuple[list[int], list[int]]:
    """Ids of connections and shops worth a cycle now.

    Connections: active ones, plus inactive ones with test orders waiting (C6).
    Shops: every shop with an active connection.
    """
    active = db.session.execute(sa.select(Connection.id, Connection.shop_id).where(Connection.active.is_(True))).all()
    testing = db.session.execute(sa.select(Order.connection_id).where(
        Order.is_test.is_(True), Order.state.in_((OrderState.NEW, OrderState.CREATING))).distinct()).scalars().all()
    connections = sorted({cid for cid, _ in active} | set(testing))
    shops = sorted({sid for _, sid in active})
    return connections, shops
