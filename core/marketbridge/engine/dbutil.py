"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from marketbridge.models import db


def insert_ignore(model: Any, rows: list[dict[str, Any]], conflict: list[str]) -> int:
    """INSERT rows, silently skipping those that hit the unique ``conflict`` columns.

    Returns how many rows were inserted. Joins the current transaction.
    """
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).values(rows).on_conflict_do_nothing(index_elements=conflict)
    # Count with RETURNING: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    inserted = db.session.execute(stmt.returning(*model.__table__.primary_key.columns)).all()
    return len(inserted)
