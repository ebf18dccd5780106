"""The plugin's own tables (created by the Alembic branch ``http_api``, see ``migrations/``).

Everything is keyed by a *feed*: a random id kept in the shop's adapter state
(:mod:`.feeds`), so the adapter and the API find the same rows without the
adapter having to know the shop's database id.

All rows of a feed share one sequence (``http_api_feeds.seq``). Taking a number
locks the feed row until the transaction commits, so numbers become visible
in the order they were taken and a cursor ("everything after N") never skips a
row that commits late.

The tables live in a metadata of their own: core's metadata (and its
``create_all``/autogenerate) never sees them. Timestamps use core's
``UTCDateTime``, so they read back timezone-aware on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from marketbridge.models.base import UTCDateTime

metadata = sa.MetaData()

#: One row per shop of kind ``http_api``: its sequence, declared statuses and when it last called.
feeds = sa.Table(
    "http_api_feeds", metadata,
    sa.Column("feed", sa.String(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("statuses", sa.JSON, nullable=False),  # [{"code", "label", "initial"}]
    sa.Column("first_call_at", UTCDateTime),
    sa.Column("last_call_at", UTCDateTime),
)

#: The shop's catalogue as it pushed it (PUT /products, PUT /stock); ``seq`` moves on stock/price changes.
products = sa.Table(
    "http_api_products", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed", sa.String(32), nullable=False),
    sa.Column("product_id", sa.String(100), nullable=False),
    sa.Column("parent_id", sa.String(100)),
    sa.Column("sku", sa.String(100)),
    sa.Column("ean", sa.String(20)),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("weight", sa.String(40)),  # kilograms, decimal text
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("quantity", sa.Integer),  # NULL: unlimited / not tracked
    sa.Column("price", sa.String(40)),  # gross unit price, decimal text (P2)
    sa.Column("currency", sa.String(3)),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("feed", "product_id", name="uq_http_api_products_feed_product"),
    sa.Index("ix_http_api_products_feed_seq", "feed", "seq"),
    sa.Index("ix_http_api_products_feed_sku", "feed", "sku"),
    sa.Index("ix_http_api_products_feed_ean", "feed", "ean"),
)

#: Orders published for the shop to pull; ``seq`` moves again when Marketbridge requests a status.
orders = sa.Table(
    "http_api_orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed", sa.String(32), nullable=False),
    sa.Column("external_ref", sa.String(200), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("draft", sa.JSON, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("shop_number", sa.String(100)),
    sa.Column("shop_order_id", sa.String(100)),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("status", sa.String(100)),  # the last status the shop reported
    sa.Column("requested_status", sa.String(100)),  # asked for by Marketbridge, until the shop reports it
    sa.UniqueConstraint("feed", "external_ref", name="uq_http_api_orders_feed_ref"),
    sa.Index("ix_http_api_orders_feed_seq", "feed", "seq"),
)

#: What the shop pushed about an order: ``kind`` "status" or "shipment"; ``key`` the shipment id.
events = sa.Table(
    "http_api_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("feed", sa.String(32), nullable=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("http_api_orders.id"), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("order_id", "kind", "key", name="uq_http_api_events_order_kind_key"),
    sa.Index("ix_http_api_events_feed_seq", "feed", "seq"),
)


def iso(value: datetime | None) -> str | None:
    """A timestamp as the API shows it: ISO 8601 in UTC with ``Z``."""
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
