"""Every engine test runs twice: on SQLite (the embedded default) and on PostgreSQL (scale-out).

PostgreSQL runs against the local service (127.0.0.1:5432); without it those
runs are skipped with a clear message, and fail under ``CI=true``.
"""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_both_databases(any_database_url: str) -> str:
    return any_database_url
