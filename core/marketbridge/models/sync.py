"""The engine's bookkeeping: cursors with leases, the outbox, and sync problems."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.models.base import db


class SyncCursor(db.Model):  # type: ignore[name-defined,misc]
    """Progress of one stream (``orders`` of a connection, ``changes`` of a shop, …).

    ``value`` is the adapter's opaque cursor. ``not_before`` postpones the
    stream (rate limits, backoff). ``lease_owner``/``lease_until`` make sure
    one worker at a time runs the stream, across processes and machines.
    """

    __tablename__ = "sync_cursors"
    __table_args__ = (sa.UniqueConstraint("scope", "scope_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    scope_id: Mapped[int]
    stream: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[str | None] = mapped_column(sa.Text)
    not_before: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(100))
    lease_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]


class OutboxState(StrEnum):
    PENDING = "pending"  #: waiting for its ``next_attempt_at``
    SENDING = "sending"  #: handed to the channel; if a worker dies here, recovery asks ``was_delivered``
    SUBMITTED = "submitted"  #: accepted for asynchronous processing (stock feeds); results pending
    DELIVERED = "delivered"
    FAILED = "failed"  #: refused for good or out of attempts; a sync problem explains it
    SUPERSEDED = "superseded"  #: replaced by a newer message for the same subject (stock)


class OutboxMessage(db.Model):  # type: ignore[name-defined,misc]
    """Something to tell a marketplace, written before it is sent (shipment, status, stock, store).

    ``idempotency_key`` is unique: recording the same shop event twice
    creates one message. Delivered rows stay as the sync log.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "connection_id", "state", "next_attempt_at"),
        sa.Index("ix_outbox_coalesce", "connection_id", "coalesce_key", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    idempotency_key: Mapped[str] = mapped_column(sa.String(250), unique=True)
    coalesce_key: Mapped[str | None] = mapped_column(sa.String(250))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(sa.String(20), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    pending_id: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class SyncProblem(db.Model):  # type: ignore[name-defined,misc]
    """Something the merchant should know or fix, in plain words (M2).

    One open row per subject and code: repeats bump ``occurrences`` and
    ``last_seen``. ``resolved_at`` is set when the cause goes away.
    """

    __tablename__ = "sync_problems"
    __table_args__ = (sa.Index("ix_sync_problems_open", "connection_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    shop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("marketplace_accounts.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(250), default="")
    code: Mapped[str] = mapped_column(sa.String(60))
    message: Mapped[str] = mapped_column(sa.Text)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plugin: Mapped[str | None] = mapped_column(sa.String(200))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    occurrences: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
