"""acme plugin: its own table, on its own branch

Revision ID: a1_acme_notes
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "a1_acme_notes"
down_revision = None
branch_labels = ("acme",)
depends_on = "0001_initial"


def upgrade():
    op.create_table("acme_notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.Text))


def downgrade():
    op.drop_table("acme_notes")
