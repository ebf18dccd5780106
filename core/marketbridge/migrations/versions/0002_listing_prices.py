"""listings remember the last price sent (P2)

Revision ID: 0002_listing_prices
Revises: 0001_initial
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_listing_prices'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('listings', sa.Column('last_sent_price', sa.Numeric(precision=14, scale=4), nullable=True))


def downgrade():
    with op.batch_alter_table('listings') as batch:
        batch.drop_column('last_sent_price')
