"""The two ends of every connection: shops and marketplace accounts, plus their adapter state."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.models.base import db


class Shop(db.Model):  # type: ignore[name-defined,misc]
    """A merchant's shop on some platform (``kind`` names the shop adapter).

    ``settings`` holds plain settings; ``secrets`` holds the encrypted JSON of
    the secret ones (see :mod:`marketbridge.crypto`). ``auth_problem`` is set
    when the shop refused the credentials; jobs for the shop pause until the
    credentials change.
    """

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str | None] = mapped_column(sa.Text)
    auth_problem: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class MarketplaceAccount(db.Model):  # type: ignore[name-defined,misc]
    """An authorised marketplace account (``kind`` names the channel adapter).

    ``granted_at``/``expires_at`` record the authorisation (C8: a year). An
    account whose grant was revoked keeps everything and gets ``auth_problem``.
    """

    __tablename__ = "marketplace_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str | None] = mapped_column(sa.Text)
    granted_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    auth_problem: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class AdapterState(db.Model):  # type: ignore[name-defined,misc]
    """An adapter's private key → value store (encrypted JSON), per shop or account."""

    __tablename__ = "adapter_state"
    __table_args__ = (sa.UniqueConstraint("scope", "scope_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    scope_id: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[str] = mapped_column(sa.Text)


class QuotaUsage(db.Model):  # type: ignore[name-defined,misc]
    """How much of a marketplace operation's quota an account uses (shown on the dashboard)."""

    __tablename__ = "quota_usage"
    __table_args__ = (sa.UniqueConstraint("account_id", "operation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("marketplace_accounts.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(sa.String(80))
    calls: Mapped[int] = mapped_column(default=0)  #: calls made
    throttled: Mapped[int] = mapped_column(default=0)  #: calls held back by our own pacing
    rejected: Mapped[int] = mapped_column(default=0)  #: calls the marketplace answered with 429
    limit_per_second: Mapped[float | None]
    remaining: Mapped[float | None]
    last_call_at: Mapped[datetime | None]
