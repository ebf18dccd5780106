"""One worker per stream at a time, across threads, processes and machines.

A stream is ``(scope, scope_id, stream)``, e.g. ``("connection", 7, "orders")``.
:func:`lease` claims the stream's :class:`~marketbridge.models.SyncCursor` row
with a conditional UPDATE (works the same on SQLite and PostgreSQL): only
one owner's UPDATE can match while an unexpired lease is held. A worker that
dies simply lets its lease expire.
"""
from __future__ import annotations

import os
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketbridge.clock import Clock
from marketbridge.models import SyncCursor, db

#: A lease lasts this long unless renewed; a crashed worker's streams resume after it.
LEASE_SECONDS = 60


def worker_id() -> str:
    """A name unique to this thread of this process on this machine."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:6]}"


def cursor_row(scope: str, scope_id: int, stream: str) -> SyncCursor:
    """The stream's cursor row, created (committed) if missing."""
    found = db.session.execute(sa.select(SyncCursor).filter_by(
        scope=scope, scope_id=scope_id, stream=stream)).scalar_one_or_none()
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            db.session.add(SyncCursor(scope=scope, scope_id=scope_id, stream=stream))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return db.session.execute(sa.select(SyncCursor).filter_by(
        scope=scope, scope_id=scope_id, stream=stream)).scalar_one()


class LeaseLost(Exception):
    """Another worker holds the stream."""


@contextmanager
def lease(scope: str, scope_id: int, stream: str, clock: Clock, *, owner: str | None = None,
          seconds: int = LEASE_SECONDS) -> Iterator[SyncCursor]:
    """Hold the stream for the duration of the block; raise :class:`LeaseLost` when someone else has it.

    The block receives the cursor row (attached to the session). The lease is
    released on exit, also on errors.
    """
    owner = owner or worker_id()
    row = cursor_row(scope, scope_id, stream)
    now = clock.now()
    until = now + timedelta(seconds=seconds)
    result = db.session.execute(
        sa.update(SyncCursor)
        .where(SyncCursor.id == row.id)
        .where(sa.or_(SyncCursor.lease_until.is_(None), SyncCursor.lease_until < now, SyncCursor.lease_owner == owner))
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        raise LeaseLost(f"{scope} {scope_id} {stream} is being worked on by another worker")
    db.session.refresh(row)
    try:
        yield row
    finally:
        db.session.rollback()
        db.session.execute(
            sa.update(SyncCursor).where(SyncCursor.id == row.id, SyncCursor.lease_owner == owner)
            .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))
        db.session.commit()


def keep_alive(row: SyncCursor, clock: Clock, seconds: int = LEASE_SECONDS) -> None:
    """Extend a held lease when less than half of it is left (long runs call this between items).

    Commits only when it extends. Raises :class:`LeaseLost` when another
    worker took the stream over meanwhile (this run must stop).
    """
    now = clock.now()
    if row.lease_until is not None and row.lease_until - now > timedelta(seconds=seconds / 2):
        return
    result = db.session.execute(
        sa.update(SyncCursor).where(SyncCursor.id == row.id, SyncCursor.lease_owner == row.lease_owner)
        .values(lease_until=now + timedelta(seconds=seconds)).execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        raise LeaseLost(f"{row.scope} {row.scope_id} {row.stream} was taken over by another worker")
    row.lease_until = now + timedelta(seconds=seconds)


def is_due(row: SyncCursor, now: datetime) -> bool:
    """Whether the stream may run now (``not_before`` passed or unset)."""
    return row.not_before is None or row.not_before <= now
