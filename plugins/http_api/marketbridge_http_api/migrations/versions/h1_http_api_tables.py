"""http_api plugin: feeds, catalogue, published orders and pushed events (C10)

Revision ID: h1_http_api_tables
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "h1_http_api_tables"
down_revision = None
branch_labels = ("http_api",)
depends_on = "0001_initial"


def upgrade():
    op.create_table(
        "http_api_feeds",
        sa.Column("feed", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("statuses", sa.JSON, nullable=False),
        sa.Column("first_call_at", sa.DateTime(timezone=True)),
        sa.Column("last_call_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "http_api_products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(32), nullable=False),
        sa.Column("product_id", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.String(100)),
        sa.Column("sku", sa.String(100)),
        sa.Column("ean", sa.String(20)),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("weight", sa.String(40)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("quantity", sa.Integer),
        sa.Column("price", sa.String(40)),
        sa.Column("currency", sa.String(3)),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("feed", "product_id", name="uq_http_api_products_feed_product"),
    )
    op.create_index("ix_http_api_products_feed_seq", "http_api_products", ["feed", "seq"])
    op.create_index("ix_http_api_products_feed_sku", "http_api_products", ["feed", "sku"])
    op.create_index("ix_http_api_products_feed_ean", "http_api_products", ["feed", "ean"])
    op.create_table(
        "http_api_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(32), nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("draft", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_number", sa.String(100)),
        sa.Column("shop_order_id", sa.String(100)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(100)),
        sa.Column("requested_status", sa.String(100)),
        sa.UniqueConstraint("feed", "external_ref", name="uq_http_api_orders_feed_ref"),
    )
    op.create_index("ix_http_api_orders_feed_seq", "http_api_orders", ["feed", "seq"])
    op.create_table(
        "http_api_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(32), nullable=False),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("http_api_orders.id"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id", "kind", "key", name="uq_http_api_events_order_kind_key"),
    )
    op.create_index("ix_http_api_events_feed_seq", "http_api_events", ["feed", "seq"])


def downgrade():
    op.drop_table("http_api_events")
    op.drop_table("http_api_orders")
    op.drop_table("http_api_products")
    op.drop_table("http_api_feeds")
