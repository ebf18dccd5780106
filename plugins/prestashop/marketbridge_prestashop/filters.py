"""Webservice filter values, built so the shop's filter parser reads them the way we mean.

PrestaShop parses ``filter[field]=<value>`` with ``/^(.*)\\[(.*)\\](.*)$/``
(``classes/webservice/SQLUtils.php``): ``[a|b]`` is an OR of exact matches,
``[a,b]`` of digits/dates/``:``/``-`` is a ``BETWEEN`` interval, ``%[a]%`` is a
``LIKE`` (where ``%`` and ``_`` are wildcards), ``>[a]`` / ``<[a]`` compare.
A lone ``[12,50]`` would become an interval, so single values are written
``[12,50|12,50]``; values containing ``[``, ``]`` or ``|`` cannot be matched
exactly and are searched with ``LIKE`` on their longest safe part, the caller
then keeping exact matches only. Comparisons are case-insensitive (MySQL
collation), so callers compare case-insensitively too.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

_OR_UNSAFE = frozenset("[]|")
_LIKE_UNSAFE = frozenset("[]|%_")
T = TypeVar("T")


def exact_safe(value: str) -> bool:
    """Whether ``value`` can sit in an OR list ``[a|b]`` unchanged."""
    return bool(value) and not (set(value) & _OR_UNSAFE)


def any_of(values: Iterable[str | int]) -> str:
    """``[a|b|c]`` matching any of ``values`` exactly (one value is doubled: ``[a|a]``)."""
    items = [str(v) for v in values]
    if not items:
        raise ValueError("any_of needs at least one value")
    if len(items) == 1:
        items = items * 2
    return "[" + "|".join(items) + "]"


def contains(value: str) -> str | None:
    """``%[part]%`` with the longest part of ``value`` free of filter syntax and LIKE wildcards."""
    best = ""
    current = ""
    for char in value:
        if char in _LIKE_UNSAFE:
            best = max(best, current, key=len)
            current = ""
        else:
            current += char
    best = max(best, current, key=len).strip()
    return f"%[{best}]%" if best else None


def interval(start: str, end: str) -> str:
    """``[start,end]``: an inclusive ``BETWEEN`` (both ends made of digits, ``-``, ``:``, spaces)."""
    return f"[{start},{end}]"


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
