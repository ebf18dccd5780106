"""Sync problems (M2): everything the merchant must know, one open row per cause.

Callers describe a problem with a stable ``code`` and an English message
template; the pages translate known codes (see ``marketbridge.web.problem_text``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

import sqlalchemy as sa

from marketbridge.models import SyncProblem, db


def report(now: datetime, *, code: str, message: str, params: dict[str, Any] | None = None,
           connection_id: int | None = None, shop_id: int | None = None, account_id: int | None = None,
           order_id: int | None = None, subject: str = "", plugin: str | None = None) -> SyncProblem:
    """Open a problem, or bump the open one with the same code and subject. Joins the current transaction."""
    query = sa.select(SyncProblem).filter_by(
        code=code, subject=subject, connection_id=connection_id, shop_id=shop_id, account_id=account_id,
        order_id=order_id, resolved_at=None)
    row = db.session.execute(query).scalars().first()
    if row is None:
        row = SyncProblem(code=code, subject=subject, connection_id=connection_id, shop_id=shop_id,
                          account_id=account_id, order_id=order_id, message=message, params=params or {},
                          plugin=plugin, first_seen=now, last_seen=now, occurrences=1)
        db.session.add(row)
    else:
        row.message, row.params, row.last_seen = message, params or {}, now
        row.occurrences += 1
        row.plugin = plugin or row.plugin
    return row


def resolve(now: datetime, *, codes: tuple[str, ...] | None = None, connection_id: int | None = None,
            shop_id: int | None = None, account_id: int | None = None, order_id: int | None = None,
            subject: str | None = None, subjects: Collection[str] | None = None) -> int:
    """Mark matching open problems resolved; returns how many. Joins the current transaction.

    ``subjects`` resolves the problems of several subjects (SKUs, order ids) in one statement.
    """
    query = sa.update(SyncProblem).where(SyncProblem.resolved_at.is_(None))
    for column, value in ((SyncProblem.connection_id, connection_id), (SyncProblem.shop_id, shop_id),
                          (SyncProblem.account_id, account_id), (SyncProblem.order_id, order_id),
                          (SyncProblem.subject, subject)):
        if value is not None:
            query = query.where(column == value)
    if subjects is not None:
        query = query.where(SyncProblem.subject.in_(list(subjects)))
    if codes:
        query = query.where(SyncProblem.code.in_(codes))
    result = db.session.execute(query.values(resolved_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
