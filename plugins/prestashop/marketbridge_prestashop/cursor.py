"""Overlapping, resumable windows over a resource's date field: the polling cursor.

The Webservice has no change feed and no total count. A window reads rows
whose date field is at or after ``since`` (``filter[field]=[since,far]&date=1``,
an inclusive ``BETWEEN``), oldest first, ``limit=skip,n``. A full page means
more rows wait: the next window keeps ``since`` and skips what was read. A
short page ends the pass: the next window starts a few minutes before the
shop server's own "now" (its ``Access-Time`` header, so a skewed clock on
either side loses nothing), so rows committed late with an earlier stamp are
read again rather than missed; events carry stable ids, so seeing one twice
is harmless.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from marketbridge.errors import TemporaryFailure
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.shoptime import FORMAT, to_shop

OVERLAP = timedelta(minutes=5)
#: How far the very first change poll of a shop reaches back. Until one poll succeeds there is no stored
#: window, and a first poll that failed or crashed must not lose what merchants did meanwhile.
FIRST_LOOKBACK = timedelta(days=1)
FAR_FUTURE = "2999-12-31 23:59:59"


@dataclass(frozen=True)
class Window:
    """Where one stream stands: rows at or after ``since`` (shop time), ``skip`` of them already read."""

    since: str
    skip: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "skip": self.skip}


def shift(shop_date: str, delta: timedelta) -> str:
    """Move a shop date string by ``delta``."""
    return (datetime.strptime(shop_date[:19], FORMAT) + delta).strftime(FORMAT)


def encode(windows: Mapping[str, Window]) -> str:
    """The cursor string handed to the host."""
    return json.dumps({name: window.to_json() for name, window in windows.items()}, sort_keys=True)


def decode(cursor: str | None, names: tuple[str, ...], start: str, added: tuple[str, ...] = ()) -> dict[str, Window]:
    """Windows from a cursor string; ``None`` (first call) starts every stream at ``start``.

    ``added`` names streams that cursors stored by an older version lack: such
    a stream starts where the earliest stored one stands, so nothing since is missed.
    """
    if cursor is None:
        return {name: Window(start) for name in names}
    try:
        raw = json.loads(cursor)
        present = [name for name in names if not (name in added and name not in raw)]
        windows = {name: Window(str(raw[name]["since"]), int(raw[name]["skip"])) for name in present}
        earliest = min((window.since for window in windows.values()), default=start)
        windows.update({name: Window(earliest) for name in names if name not in windows})
        for window in windows.values():
            datetime.strptime(window.since, FORMAT)
    except (ValueError, KeyError, TypeError) as exc:
        raise TemporaryFailure(f"The stored PrestaShop polling position is unreadable ({type(exc).__name__}).",
                               code="bad_cursor") from None
    return windows


def read_page(ws: Webservice, resource: str, window: Window, *, field: str, display: str, page_size: int,
              zone: ZoneInfo, now: datetime) -> tuple[list[dict[str, Any]], Window, bool]:
    """One page of ``resource`` rows in ``window``; returns the rows, the next window and whether more wait.

    ``now`` is used when the shop sent no ``Access-Time`` header.
    """
    rows = ws.select(resource, display=display, filters={field: filters.interval(window.since, FAR_FUTURE)},
                     sort=f"[{field}_ASC,id_ASC]", limit=(window.skip, page_size), dates=True)
    if len(rows) >= page_size:
        return rows, Window(window.since, window.skip + len(rows)), True
    server_now = to_shop(ws.server_time or now, zone)
    return rows, Window(max(window.since, shift(server_now, -OVERLAP)), 0), False
