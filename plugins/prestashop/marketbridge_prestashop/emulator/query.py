"""List parameters as the Webservice reads them: ``display``, ``filter[…]``, ``sort``, ``limit``, ``date``.

Follows ``classes/webservice/WebserviceRequest.php`` (``manageFilters``,
``setFieldsToDisplay``) and ``SQLUtils::getSQLRetrieveFilter``, including its
error codes and wording, and MySQL's comparison rules (case-insensitive,
trailing spaces ignored, numbers compared as numbers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from marketbridge_prestashop.spec import ResourceSpec

_FILTER = re.compile(r"^(.*)\[(.*)\](.*)$", re.DOTALL)
_INTERVAL = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
DATE_FIELDS = ("date_add", "date_upd")


class ApiError(Exception):
    """An error answer: HTTP status, PrestaShop's error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _did_you_mean(value: str, options: Sequence[str]) -> str:
    if not options:
        return ""
    closest = min(options, key=lambda option: levenshtein(value, option))
    full = ' The full list is: "' + '", "'.join(options) + '"' if len(options) > 1 else ""
    return f'. Did you mean: "{closest}"?{full}'


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _norm(value: Any) -> str:
    return str(value).rstrip(" ").casefold()


def _compare(left: str, right: str) -> int:
    if _NUMBER.match(left.strip()) and _NUMBER.match(right.strip()):
        x, y = float(left), float(right)
        return (x > y) - (x < y)
    a, b = _norm(left), _norm(right)
    return (a > b) - (a < b)


def _like(value: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def matcher(expression: str) -> Callable[[str], bool]:
    """A predicate for one ``filter[field]`` value, as ``SQLUtils::getSQLRetrieveFilter`` builds its SQL."""
    found = _FILTER.match(expression)
    if not found:
        return lambda value: _compare(str(value), expression) == 0
    before, inner, after = found.groups()
    if before == "%" or after == "%":
        pattern = before + inner + after
        return lambda value: _like(str(value), pattern)
    if before == "" and after == "":
        if inner.find("|") > 0:
            options = inner.split("|")
            return lambda value: any(_compare(str(value), option) == 0 for option in options)
        interval = _INTERVAL.match(inner)
        if interval:
            low, high = sorted(interval.groups())
            return lambda value: _compare(str(value), low) >= 0 and _compare(str(value), high) <= 0
        return lambda value: _compare(str(value), inner) == 0
    if before == ">":
        return lambda value: _compare(str(value), inner) > 0
    if before == "<":
        return lambda value: _compare(str(value), inner) < 0
    if before == "!":
        excluded = inner.split("|")
        return lambda value: all(_compare(str(value), option) != 0 for option in excluded)
    return lambda value: False


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request."""

    display: str | list[str] | None  #: ``None`` = ids only, ``"full"``, or the listed fields
    filters: list[tuple[str, Callable[[str], bool]]]
    sort: list[tuple[str, bool]]  #: (field, descending)
    offset: int
    limit: int | None


def _filterable(spec: ResourceSpec, dates: bool) -> list[str]:
    names = ["id"] + [name for name, field in spec.fields.items() if field.filterable]
    if not dates:
        names = [name for name in names if name not in DATE_FIELDS]
    elif "date_add" in spec.blank_fields or "date_upd" in spec.blank_fields:
        names += [name for name in DATE_FIELDS if name not in names and name in spec.blank_fields]
    return names


def parse(spec: ResourceSpec, args: Mapping[str, str], virtual: Sequence[str] = ()) -> ListQuery:
    """Read and check the list parameters; raise :class:`ApiError` with PrestaShop's code and message.

    ``virtual`` names fields ``display`` may ask for besides the resource's own
    (computed prices: ``setFieldsToDisplay`` accepts every ``price[<alias>]``).
    """
    dates = bool(args.get("date"))
    available = _filterable(spec, dates)
    filters: list[tuple[str, Callable[[str], bool]]] = []
    for key, value in args.items():
        match = re.fullmatch(r"filter\[(.+)\]", key)
        if not match:
            continue
        name = match.group(1)
        if name not in available:
            if spec.fields.get(name) is not None and not spec.fields[name].filterable:
                raise ApiError(400, 34, f'The field "{name}" is dynamic. It is not possible to filter GET query with '
                                        "this field.")
            raise ApiError(400, 32, "This filter does not exist" + _did_you_mean(name, available))
        if value == "":
            raise ApiError(400, 33, f'The filter "{name}" is malformed.')
        filters.append((name, matcher(value)))
    display: str | list[str] | None = None
    if "display" in args:
        raw = args["display"]
        if raw in ("full", "minimum"):
            display = None if raw == "minimum" else "full"
        else:
            found = re.fullmatch(r"\[(.*)\]", raw)
            if not found:
                raise ApiError(400, 36, "The 'display' syntax is wrong. You can set 'full' or "
                                        "'[field_1,field_2,field_3,...]'. These are available: "
                                        + ", ".join(spec.blank_fields))
            fields = [f.strip() for f in found.group(1).split(",") if f.strip()]
            for name in fields:
                if not spec.knows(name) and name not in virtual:
                    raise ApiError(400, 35, f'Unable to display this field "{name}". However, these are available: '
                                            + ", ".join(spec.blank_fields))
            display = fields
    sort: list[tuple[str, bool]] = []
    if "sort" in args:
        raw = args["sort"]
        found = re.fullmatch(r"\[(.*)\]", raw)
        for item in (found.group(1).split(",") if found else [raw]):
            field, _, direction = item.strip().rpartition("_")
            if not field or direction.upper() not in ("ASC", "DESC"):
                raise ApiError(400, 37, 'The "sort" value has to be formed as this example: "field_ASC" or '
                                        "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an "
                                        "available field)")
            if field not in available:
                raise ApiError(400, 38, "Unable to filter by this field. However, these are available: "
                                        + ", ".join(available) + ", for i18n fields:")
            sort.append((field, direction.upper() == "DESC"))
    offset, limit = 0, None
    if "limit" in args:
        parts = args["limit"].split(",")
        if len(parts) > 2:
            raise ApiError(400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
        numbers = [int(p) if p.strip().lstrip("-").isdigit() else 0 for p in parts]
        offset, limit = (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
    return ListQuery(display=display, filters=filters, sort=sort, offset=max(offset, 0), limit=limit)


def _sort_key(value: Any) -> tuple[int, Any]:
    text = str(value)
    return (0, float(text)) if _NUMBER.match(text.strip()) else (1, _norm(text))


def apply(query: ListQuery, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter, sort (id ascending by default) and cut ``rows``."""
    def value_of(row: dict[str, Any], name: str) -> list[str]:
        value = row.get(name, "")
        return list(value.values()) if isinstance(value, dict) else [str(value)]

    kept = [row for row in rows
            if all(any(test(v) for v in value_of(row, name)) for name, test in query.filters)]
    kept.sort(key=lambda row: int(row["id"]))
    for name, descending in reversed(query.sort):
        kept.sort(key=lambda row: _sort_key(value_of(row, name)[0]), reverse=descending)
    end = None if query.limit is None else query.offset + query.limit
    return kept[query.offset:end]
