"""Magento's ``searchCriteria`` as the emulator applies it to its collections.

Follows specs/magento/NOTES.md: filters inside a group are OR'ed, groups AND'ed;
``condition_type`` defaults to ``eq`` and ``in``/``nin`` take comma-separated
values; camelCase keys (``filterGroups``, ``conditionType``) are accepted;
without ``pageSize`` everything is returned; a page past the end returns the
last page again; the answer echoes ``search_criteria`` with ``total_count``.
String comparisons are case-insensitive like MySQL's default collation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

_KEY = re.compile(r"^searchCriteria\[(filter_groups|filterGroups)\]\[(\d+)\]\[filters\]\[(\d+)\]\[(\w+)\]$")
_SORT = re.compile(r"^searchCriteria\[(sortOrders|sort_orders)\]\[(\d+)\]\[(\w+)\]$")


@dataclass
class Criteria:
    groups: list[list[dict[str, str]]] = field(default_factory=list)
    sort: list[dict[str, str]] = field(default_factory=list)
    page_size: int | None = None
    current_page: int = 1

    def echo(self) -> dict[str, Any]:
        """``search_criteria`` as Magento returns it (snake_case)."""
        out: dict[str, Any] = {"filter_groups": [{"filters": [
            {"field": f.get("field", ""), "value": f.get("value", ""), "condition_type": f.get("condition_type", "eq")}
            for f in group]} for group in self.groups]}
        if self.sort:
            out["sort_orders"] = [{"field": s.get("field", ""), "direction": s.get("direction", "ASC")} for s in self.sort]
        if self.page_size is not None:
            out["page_size"] = self.page_size
            out["current_page"] = self.current_page
        return out


def parse(args: Mapping[str, str]) -> Criteria:
    """Read ``searchCriteria[...]`` query parameters."""
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sorts: dict[int, dict[str, str]] = {}
    criteria = Criteria()
    for key, value in args.items():
        if m := _KEY.match(key):
            name = "condition_type" if m.group(4) == "conditionType" else m.group(4)
            groups.setdefault(int(m.group(2)), {}).setdefault(int(m.group(3)), {})[name] = value
        elif m := _SORT.match(key):
            sorts.setdefault(int(m.group(2)), {})[m.group(3)] = value
        elif key == "searchCriteria[pageSize]":
            criteria.page_size = int(value)
        elif key == "searchCriteria[currentPage]":
            criteria.current_page = max(int(value), 1)
    criteria.groups = [[groups[g][f] for f in sorted(groups[g])] for g in sorted(groups)]
    criteria.sort = [sorts[i] for i in sorted(sorts)]
    return criteria


def _cmp_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    text = "" if value is None else str(value)
    try:
        return float(text)
    except ValueError:
        return text.lower()


def matches(row: Mapping[str, Any], flt: Mapping[str, str], getter: Callable[[Mapping[str, Any], str], Any]) -> bool:
    value = getter(row, flt.get("field", ""))
    condition = flt.get("condition_type", "eq")
    wanted = flt.get("value", "")
    if condition == "null":
        return value in (None, "")
    if condition == "notnull":
        return value not in (None, "")
    if value is None:
        return False
    if condition in ("in", "nin"):
        options = {_cmp_value(v.strip()) for v in wanted.split(",")}
        return (_cmp_value(value) in options) == (condition == "in")
    if condition in ("like", "nlike"):
        pattern = "^" + re.escape(str(wanted).lower()).replace("%", ".*") + "$"
        return (re.match(pattern, str(value).lower()) is not None) == (condition == "like")
    left, right = _cmp_value(value), _cmp_value(wanted)
    if type(left) is not type(right):
        left, right = str(left), str(right)
    return {
        "eq": left == right, "neq": left != right, "gt": left > right, "gteq": left >= right,
        "moreq": left >= right, "from": left >= right, "lt": left < right, "lteq": left <= right, "to": left <= right,
    }.get(condition, False)


def apply(rows: Iterable[Mapping[str, Any]], criteria: Criteria,
          getter: Callable[[Mapping[str, Any], str], Any] = lambda row, name: row.get(name)) -> tuple[list[Any], int]:
    """Filter, sort and page ``rows``; return the page and ``total_count``."""
    selected = [r for r in rows if all(any(matches(r, f, getter) for f in group) for group in criteria.groups if group)]
    for order in reversed(criteria.sort):
        name = order.get("field", "")
        selected.sort(key=lambda r: (getter(r, name) is None, _sort_key(getter(r, name))),
                      reverse=str(order.get("direction", "ASC")).upper() == "DESC")
    total = len(selected)
    if criteria.page_size is None or criteria.page_size <= 0:
        return selected, total
    last_page = max((total + criteria.page_size - 1) // criteria.page_size, 1)
    page = min(criteria.current_page, last_page)  # Magento repeats the last page past the end
    start = (page - 1) * criteria.page_size
    return selected[start:start + criteria.page_size], total


def _sort_key(value: Any) -> tuple[int, Any]:
    converted = _cmp_value(value)
    return (0, converted) if isinstance(converted, (int, float)) else (1, converted)
