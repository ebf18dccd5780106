"""Marketplace orders as Marketbridge keeps them, and their way into the shop."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketbridge.models.base import db
from marketbridge.models.connections import Connection


class OrderState(StrEnum):
    """Where an order is on its way from the marketplace into the shop."""

    NEW = "new"  #: received, not yet processed
    WAITING = "waiting"  #: the marketplace says pending: re-checked until importable or cancelled
    HELD = "held"  #: a policy or the shop refused it; ``holds`` say why (M2)
    CREATING = "creating"  #: claimed for creation; a retry looks the shop order up first
    CREATED = "created"  #: in the shop
    SKIPPED = "skipped"  #: cancelled before it was imported: never created
    DUPLICATE = "duplicate"  #: another route already imported the same order (C9)


class Order(db.Model):  # type: ignore[name-defined,misc]
    """One marketplace order received on one connection (the inbox row).

    Unique per ``(connection, marketplace order id)``: fetching again only
    updates it. ``payload`` is the canonical order (personal data included
    until purged, D1); ``raw`` keeps what a channel sent when it could not be
    turned into a valid canonical order, so nothing is lost.
    """

    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "marketplace_order_id"),
        sa.Index("ix_orders_work", "connection_id", "state", "purchased_at"),
        sa.Index("ix_orders_key", "order_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id"))
    marketplace: Mapped[str] = mapped_column(sa.String(40))
    marketplace_order_id: Mapped[str] = mapped_column(sa.String(100))
    order_key: Mapped[str] = mapped_column(sa.String(150))
    state: Mapped[str] = mapped_column(sa.String(20), default=OrderState.NEW)
    status: Mapped[str | None] = mapped_column(sa.String(30))
    marketplace_status: Mapped[str | None] = mapped_column(sa.String(60))
    purchased_at: Mapped[datetime | None]
    marketplace_updated_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    raw: Mapped[Any | None] = mapped_column(sa.JSON)
    holds: Mapped[list[Any]] = mapped_column(default=list)
    held_by_merchant: Mapped[bool] = mapped_column(default=False)
    shop_order_id: Mapped[str | None] = mapped_column(sa.String(100))
    shop_order_number: Mapped[str | None] = mapped_column(sa.String(100))
    created_in_shop_at: Mapped[datetime | None]
    is_test: Mapped[bool] = mapped_column(default=False)
    prime: Mapped[bool] = mapped_column(default=False)
    pickup: Mapped[bool] = mapped_column(default=False)
    business: Mapped[bool] = mapped_column(default=False)
    total_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    #: the shop status this order is created with, when a policy chose one (O5, O7)
    shop_status: Mapped[str | None] = mapped_column(sa.String(100))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    shipped_at: Mapped[datetime | None]
    personal_data_purged_at: Mapped[datetime | None]

    connection: Mapped[Connection] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  order_by="OrderLine.id")


class OrderLine(db.Model):  # type: ignore[name-defined,misc]
    """A line of an order, with the shop product it was matched to at import."""

    __tablename__ = "order_lines"
    __table_args__ = (sa.UniqueConstraint("order_id", "line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(sa.String(100))
    sku: Mapped[str | None] = mapped_column(sa.String(200))
    ean: Mapped[str | None] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(1000))
    quantity: Mapped[int]
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    shop_product_id: Mapped[str | None] = mapped_column(sa.String(200))

    order: Mapped[Order] = relationship(back_populates="lines")


class ShopOrderClaim(db.Model):  # type: ignore[name-defined,misc]
    """The right to create the shop order for one marketplace order in one shop (C9).

    Unique per ``(shop, order key)``: whichever route (connection) claims it
    first creates the shop order; a second route delivering the same order
    finds the claim and marks its copy a duplicate.
    """

    __tablename__ = "shop_order_claims"
    __table_args__ = (sa.UniqueConstraint("shop_id", "order_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    order_key: Mapped[str] = mapped_column(sa.String(150))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    shop_order_id: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime]


class OrderEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step in an order's history: fetched, held, created in shop, pushed, answered…"""

    __tablename__ = "order_events"
    __table_args__ = (sa.Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    order: Mapped[Order] = relationship()
