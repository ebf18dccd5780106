"""Search criteria as the Admin API evaluates them (``POST /api/search/{entity}``).

Supports what the docs list (shopware/docs ``guides/development/integrations-api/search-criteria.md``):
``ids``, ``filter`` (equals, equalsAny, contains, prefix, suffix, range, multi, not),
``sort``, ``page`` + ``limit``, ``total-count-mode``, ``associations`` and ``includes``.
A malformed criteria answers 400 like the real API (``FRAMEWORK__INVALID_CRITERIA_PARAMETERS``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from marketbridge_shopware.emulator.store import EntityStore


class CriteriaError(ValueError):
    """The criteria cannot be evaluated; ``pointer`` names the offending part."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _range_ok(values: list[Any], params: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b,
    }
    for value in values:
        if value is None:
            continue
        left = _comparable(value)
        try:
            if all(checks[op](left, _comparable(bound)) for op, bound in params.items() if op in checks):
                return True
        except TypeError:
            continue
    return False


class Matcher:
    """Evaluates filters on records of one entity."""

    def __init__(self, store: EntityStore, entity: str, inherit: bool) -> None:
        self.store = store
        self.entity = entity
        self.inherit = inherit

    def matches(self, record: dict[str, Any], query: dict[str, Any], pointer: str) -> bool:
        kind = query.get("type")
        if kind in ("multi", "not"):
            parts = [self.matches(record, q, f"{pointer}/queries/{i}") for i, q in enumerate(query.get("queries") or [])]
            operator = str(query.get("operator") or "and").lower()
            combined = any(parts) if operator in ("or", "nor") else all(parts)
            if operator in ("nor", "nand") or kind == "not":
                return not combined
            return combined
        field = query.get("field")
        if not isinstance(field, str) or not field:
            raise CriteriaError("A filter needs a field.", f"{pointer}/field")
        values = self.store.values(self.entity, record, field, self.inherit)
        wanted = query.get("value")
        if kind == "equals":
            if wanted is None:
                return all(v is None for v in values) or not values
            return any(v == wanted or (isinstance(v, (int, float)) and str(v) == str(wanted)) for v in values)
        if kind == "equalsAny":
            options = wanted if isinstance(wanted, list) else str(wanted).split("|")
            return any(v in options for v in values if v is not None)
        if kind in ("contains", "prefix", "suffix"):
            needle = str(wanted).lower()
            texts = [str(v).lower() for v in values if v is not None]
            test = {"contains": lambda t: needle in t, "prefix": lambda t: t.startswith(needle),
                    "suffix": lambda t: t.endswith(needle)}[kind]
            return any(test(t) for t in texts)
        if kind == "range":
            params = query.get("parameters")
            if not isinstance(params, dict):
                raise CriteriaError("A range filter needs parameters.", f"{pointer}/parameters")
            return _range_ok(values, params)
        raise CriteriaError(f"Unsupported filter type: {kind!r}", f"{pointer}/type")


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    comparable = _comparable(value)
    if isinstance(comparable, datetime):
        return (1, comparable.timestamp())
    if isinstance(comparable, (int, float)):
        return (1, float(comparable))
    return (2, str(comparable).lower())


def search(store: EntityStore, entity: str, criteria: dict[str, Any], inherit: bool) -> tuple[list[dict[str, Any]], int]:
    """Apply ``criteria`` to ``entity``; return the page of records and the total to report."""
    if not isinstance(criteria, dict):
        raise CriteriaError("The criteria must be a JSON object.", "/")
    records = store.all(entity)
    ids = criteria.get("ids")
    if ids is not None:
        if not isinstance(ids, list):
            raise CriteriaError("ids must be a list.", "/ids")
        records = [r for r in records if r["id"] in ids]
    matcher = Matcher(store, entity, inherit)
    for i, query in enumerate(criteria.get("filter") or []):
        records = [r for r in records if matcher.matches(r, query, f"/filter/{i}")]
    for spec in reversed(criteria.get("sort") or []):
        field = spec.get("field")
        if not field:
            raise CriteriaError("A sorting needs a field.", "/sort")
        descending = str(spec.get("order", "ASC")).upper() == "DESC"
        records.sort(key=lambda r: _sort_key((store.values(entity, r, field, inherit) or [None])[0]),
                     reverse=descending)
    total = len(records)
    limit = criteria.get("limit")
    page = criteria.get("page") or 1
    if limit is not None:
        if not isinstance(limit, int) or limit < 1 or not isinstance(page, int) or page < 1:
            raise CriteriaError("limit and page must be positive integers.", "/limit")
        records = records[(page - 1) * limit: page * limit]
    mode = criteria.get("total-count-mode", "none")
    if mode in ("none", 0, None):
        total = len(records)
    elif mode in ("next-pages", 2) and limit is not None:
        total = min(total, (page - 1) * limit + limit * 2)
    return records, total


def apply_includes(entity: str, data: dict[str, Any], includes: dict[str, list[str]] | None) -> dict[str, Any]:
    """Strip fields not named in ``includes`` (keyed by ``apiAlias``), recursively."""
    if not includes:
        return data
    allowed = includes.get(data.get("apiAlias", entity))
    out: dict[str, Any] = {}
    for key, value in data.items():
        if allowed is not None and key not in allowed and key != "apiAlias":
            continue
        if isinstance(value, dict) and "apiAlias" in value:
            value = apply_includes(value["apiAlias"], value, includes)
        elif isinstance(value, list):
            value = [apply_includes(v["apiAlias"], v, includes) if isinstance(v, dict) and "apiAlias" in v else v
                     for v in value]
        out[key] = value
    return out
