"""The migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from marketbridge.models import db


def test_migrated_schema_matches_the_models(make_app, any_database_url):
    make_app(load_entrypoints=False)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
