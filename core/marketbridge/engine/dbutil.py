"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from marketbridge.models import db


def insert_ignore(model: Any, rows: list[dict[str, Any]], conflict: list[str]) -> int:
    """INSERT rows, silently skipping those that hit the unique ``conflict`` columns.

    Returns how many rows were inserted. Joins the current transaction on the session's connection,
    without flushing the session first: rows must not depend on unflushed objects.
    """
    if not rows:
        return 0
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    # One cached statement run over all rows (SQLAlchemy batches it into multi-row INSERTs), rather than a
    # VALUES clause per batch size that is compiled anew each time. Counted with RETURNING: drivers disagree
    # on rowcount for ON CONFLICT DO NOTHING.
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=conflict).returning(*table.primary_key.columns)
    return len(db.session.connection().execute(stmt, rows).all())
