"""A connection's dashboard (M2, C8): today's orders, holds, open problems with what to do, marketplace quota,
the authorisation's health, and when each job last succeeded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_babel import lazy_gettext as _l

from marketbridge.host import current_host
from marketbridge.models import Order, OrderState, QuotaUsage, SyncCursor, SyncProblem, db
from marketbridge.web.setup.common import blueprint, connection_of

bp = blueprint("setup_dashboard")

#: (scope, stream, what the merchant calls it)
JOBS = (
    ("connection", "orders", _l("Fetching orders from the marketplace")),
    ("connection", "refresh", _l("Re-checking pending orders")),
    ("connection", "pipeline", _l("Creating orders in the shop")),
    ("connection", "outbox", _l("Sending statuses, shipments and stock to the marketplace")),
    ("shop", "changes", _l("Reading status changes and shipments from the shop")),
    ("shop", "stock", _l("Reading stock from the shop")),
)
#: Authorisations expiring within this many days are flagged (C8 reminds a month ahead).
EXPIRY_WARNING_DAYS = 30


@dataclass
class JobState:
    label: str
    cursor: SyncCursor | None

    @property
    def failing(self) -> bool:
        return self.cursor is not None and bool(self.cursor.failures or self.cursor.last_error)


def _count(query: sa.Select[Any]) -> int:
    return int(db.session.execute(query).scalar_one())


@bp.get("/connections/<int:connection_id>/dashboard")
def show(connection_id: int) -> Any:
    connection = connection_of(connection_id)
    now = current_host().clock.now()
    midnight = datetime.combine(now.date(), time(0, 0), tzinfo=timezone.utc)
    of_connection = sa.select(sa.func.count()).select_from(Order).where(Order.connection_id == connection.id)
    today = _count(of_connection.where(Order.received_at >= midnight, Order.is_test.is_(False)))
    held = _count(of_connection.where(sa.or_(Order.state == OrderState.HELD, Order.held_by_merchant.is_(True))))
    problems = list(db.session.execute(sa.select(SyncProblem).where(
        sa.or_(SyncProblem.connection_id == connection.id,
               sa.and_(SyncProblem.connection_id.is_(None), SyncProblem.account_id == connection.account_id),
               sa.and_(SyncProblem.connection_id.is_(None), SyncProblem.shop_id == connection.shop_id)),
        SyncProblem.resolved_at.is_(None)).order_by(SyncProblem.last_seen.desc()).limit(20)).scalars())
    quota = list(db.session.execute(sa.select(QuotaUsage).filter_by(account_id=connection.account_id)
                                    .order_by(QuotaUsage.operation)).scalars())
    cursors = {(c.scope, c.stream): c for c in db.session.execute(sa.select(SyncCursor).where(sa.or_(
        sa.and_(SyncCursor.scope == "connection", SyncCursor.scope_id == connection.id),
        sa.and_(SyncCursor.scope == "shop", SyncCursor.scope_id == connection.shop_id)))).scalars()}
    jobs = [JobState(str(label), cursors.get((scope, stream))) for scope, stream, label in JOBS]
    account = connection.account
    days_left = (account.expires_at - now).days if account.expires_at is not None else None
    if account.auth_problem or (account.expires_at is not None and account.expires_at <= now):
        token = "bad"
    elif days_left is not None and days_left <= EXPIRY_WARNING_DAYS:
        token = "warn"
    else:
        token = "ok"
    return render_template("mb/setup/dashboard.html", connection=connection, today=today, held=held,
                           problems=problems, quota=quota, jobs=jobs, account=account, token=token,
                           days_left=days_left, stale_after=timedelta(hours=1), now=now)
