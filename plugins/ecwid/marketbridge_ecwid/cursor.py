"""Overlapping, restartable windows over Ecwid's ``updatedFrom``/``updatedTo`` searches.

Ecwid searches filter by update time in whole UNIX seconds and page with
``offset`` (``specs/ecwid/NOTES.md`` "Pagination"). A sweep fixes its window
``[from, to]`` when it starts, then pages through it; the next sweep starts at
``to`` minus an overlap, so late writes and equal timestamps are never missed
(seeing an event twice is harmless for the engine).

An item updated during a sweep leaves the window (its new time is after
``to``), which would shift later items to lower offsets and skip one. A sweep
therefore remembers the ``total`` it saw; when a later page reports fewer, it
restarts the window from offset 0.

The cursor is a small JSON text the engine stores without reading it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

#: Seconds each new window reaches back behind the previous one.
OVERLAP_SECONDS = 120


@dataclass(frozen=True)
class Window:
    """Where a sweep stands: its bounds, the next offset and the total seen so far."""

    start: int
    end: int | None = None
    offset: int = 0
    total: int | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"from": self.start}
        if self.end is not None:
            data.update({"to": self.end, "offset": self.offset, "total": self.total})
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str) -> Window | None:
        """Parse a cursor made by :meth:`encode`; ``None`` when it is not one."""
        try:
            data = json.loads(cursor)
            start = int(data["from"])
            end = int(data["to"]) if data.get("to") is not None else None
            total = int(data["total"]) if data.get("total") is not None else None
            return cls(start, end, int(data.get("offset") or 0), total)
        except (TypeError, ValueError, KeyError, json.JSONDecodeError):
            return None


@dataclass(frozen=True)
class Sweep:
    """One page of a windowed search: its items and the cursor to continue with."""

    items: list[dict[str, Any]]
    cursor: str
    more: bool


def sweep(cursor: str | None, now: datetime,
          fetch: Callable[[int, int, int], tuple[list[dict[str, Any]], int]]) -> Sweep:
    """Advance a windowed search by one page.

    ``fetch(updated_from, updated_to, offset)`` returns the page's items and the
    search's ``total``. With ``cursor=None`` (or one that cannot be read) the
    window starts now: nothing before the first call is reported.
    """
    now_ts = int(now.timestamp())
    window = Window.decode(cursor) if cursor else None
    if window is None:
        return Sweep([], Window(now_ts - OVERLAP_SECONDS).encode(), False)
    end = window.end if window.end is not None else now_ts
    items, total = fetch(window.start, end, window.offset)
    if window.total is not None and total < window.total and window.offset:
        return Sweep([], Window(window.start, end, 0, total).encode(), True)
    next_offset = window.offset + len(items)
    if items and next_offset < total:
        return Sweep(items, Window(window.start, end, next_offset, total).encode(), True)
    return Sweep(items, Window(max(end - OVERLAP_SECONDS, window.start)).encode(), False)


def search_params(updated_from: int, updated_to: int, offset: int, limit: int,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Query parameters of one windowed search page."""
    return {"updatedFrom": updated_from, "updatedTo": updated_to, "offset": offset, "limit": limit, **(extra or {})}
