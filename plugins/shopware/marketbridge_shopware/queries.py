"""Small builders for the Admin API's search criteria (``components/schemas/Criteria``)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence


def equals(field: str, value: str | int | bool | None) -> dict[str, Any]:
    return {"type": "equals", "field": field, "value": value}


def equals_any(field: str, values: Sequence[str]) -> dict[str, Any]:
    return {"type": "equalsAny", "field": field, "value": list(values)}


def since(field: str, when: datetime) -> dict[str, Any]:
    return {"type": "range", "field": field, "parameters": {"gte": iso(when)}}


def any_of(*queries: dict[str, Any]) -> dict[str, Any]:
    return {"type": "multi", "operator": "or", "queries": list(queries)}


def iso(when: datetime) -> str:
    """A datetime as the API takes it in filters (UTC, ISO 8601)."""
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_time(value: Any) -> datetime | None:
    """A Shopware timestamp (``2026-11-02T09:00:00.000+00:00``) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
