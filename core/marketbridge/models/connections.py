"""Connections (shop ↔ marketplace account + marketplace) and their per-connection setup."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketbridge.models.base import db
from marketbridge.models.parties import MarketplaceAccount, Shop


class Connection(db.Model):  # type: ignore[name-defined,misc]
    """One shop linked to one marketplace account + marketplace/country (C1).

    Created inactive (C2); ``activation_date`` is where the first fetch starts
    (C3, movable back for a backfill). Merchant- and marketplace-fulfilled
    orders need separate connections (C4). At most one *active* connection per
    shop + account + marketplace + fulfilment channel (partial unique index).
    """

    __tablename__ = "connections"
    __table_args__ = (
        sa.Index(
            "uq_connections_active_route", "shop_id", "account_id", "marketplace", "fulfilment_channel",
            unique=True, sqlite_where=sa.text("active = 1"), postgresql_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("marketplace_accounts.id"))
    marketplace: Mapped[str] = mapped_column(sa.String(40))
    country: Mapped[str] = mapped_column(sa.String(2))
    fulfilment_channel: Mapped[str] = mapped_column(sa.String(20), default="merchant")
    product_identifier: Mapped[str] = mapped_column(sa.String(20), default="sku")
    require_weights: Mapped[bool] = mapped_column(default=False)
    initial_status: Mapped[str | None] = mapped_column(sa.String(100))
    default_carrier: Mapped[str | None] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=False)
    activation_date: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    shop: Mapped[Shop] = relationship()
    account: Mapped[MarketplaceAccount] = relationship()


class StatusMapping(db.Model):  # type: ignore[name-defined,misc]
    """Marketplace status → shop status for one connection (S1, K4).

    Both directions are unique per connection: one shop status cannot stand
    for two marketplace statuses.
    """

    __tablename__ = "status_mappings"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "marketplace_status"),
        sa.UniqueConstraint("connection_id", "shop_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    marketplace_status: Mapped[str] = mapped_column(sa.String(60))
    shop_status: Mapped[str] = mapped_column(sa.String(100))


class CarrierRule(db.Model):  # type: ignore[name-defined,misc]
    """A carrier-mapping rule (S4), tried in ``position`` order."""

    __tablename__ = "carrier_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    pattern: Mapped[str | None] = mapped_column(sa.String(300))
    shop_carrier: Mapped[str | None] = mapped_column(sa.String(200))
    carrier_code: Mapped[str] = mapped_column(sa.String(100))
    carrier_name: Mapped[str | None] = mapped_column(sa.String(200))


class Store(db.Model):  # type: ignore[name-defined,misc]
    """A Click & Collect store / supply source of a connection (K1, K2)."""

    __tablename__ = "stores"
    __table_args__ = (sa.UniqueConstraint("connection_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    handling_time_minutes: Mapped[int] = mapped_column(default=120)
    hold_days: Mapped[int] = mapped_column(default=7)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stock_mode: Mapped[str] = mapped_column(sa.String(20), default="shop")
    active: Mapped[bool] = mapped_column(default=True)
    remote_id: Mapped[str | None] = mapped_column(sa.String(200))
    synced_at: Mapped[datetime | None]


class StoreStock(db.Model):  # type: ignore[name-defined,misc]
    """A store's own stock figure for one SKU, for stores whose ``stock_mode`` is ``own`` (K2)."""

    __tablename__ = "store_stock"
    __table_args__ = (sa.UniqueConstraint("store_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(default=0)


class AutomationRule(db.Model):  # type: ignore[name-defined,misc]
    """An automation rule (O7): criteria joined by ``match`` (all/any) trigger actions at import."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    match: Mapped[str] = mapped_column(sa.String(3), default="all")
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)


class Listing(db.Model):  # type: ignore[name-defined,misc]
    """A product offered on a connection, and the last quantity and price sent for it (P1, P2).

    Stock is sent as deltas: an unchanged quantity (or price) is never sent again.
    ``reserved`` counts units sold on marketplaces that the shop has not
    reported yet, so the other marketplaces stop offering them at once.
    """

    __tablename__ = "listings"
    __table_args__ = (sa.UniqueConstraint("connection_id", "sku", "store_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(200))
    product_id: Mapped[str] = mapped_column(sa.String(200))
    store_code: Mapped[str] = mapped_column(sa.String(100), default="")
    last_sent_quantity: Mapped[int | None]
    #: in the marketplace's currency (``settings["price_currency"]``); ``None`` until a price was accepted
    last_sent_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    last_sent_at: Mapped[datetime | None]
    reserved: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
