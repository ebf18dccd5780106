"""shipping labels bought from the marketplace (L1, L2)

Revision ID: 0003_shipping_labels
Revises: 0002_listing_prices
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa

import marketbridge.models.base


# revision identifiers, used by Alembic.
revision = '0003_shipping_labels'
down_revision = '0002_listing_prices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipping_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.String(length=200), nullable=False),
    sa.Column('tracking_number', sa.String(length=200), nullable=False),
    sa.Column('carrier', sa.String(length=200), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.Column('price_amount', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('media_type', sa.String(length=50), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.Column('bought_at', marketbridge.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipping_labels_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_labels')),
    sa.UniqueConstraint('order_id', name=op.f('uq_shipping_labels_order_id'))
    )


def downgrade():
    op.drop_table('shipping_labels')
