"""Windowed polling by ``updated_at`` with an overlap, paged by ``total_count``.

Magento Open Source sends no webhooks, so changes are found by searching
``updated_at`` (specs/magento/NOTES.md, "searchCriteria syntax and
pagination"). A poll reads the window ``[previous end − overlap, now]`` for
several streams (orders, shipments, products), one page per stream per call.
While a stream has pages left the cursor remembers the window and the next
page; when all are read the cursor is the window's end. A page past the end
repeats the last page in Magento, so paging stops by ``total_count``.

Cursors are opaque strings to the host: a Magento timestamp, or JSON while a
window is being paged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from marketbridge_magento.client import MagentoClient
from marketbridge_magento.search import Filter, has_more, magento_time, parse_magento_time, search_params

OVERLAP = timedelta(minutes=2)
PAGE_SIZE = 100


@dataclass
class Window:
    since: str
    until: str
    pages: dict[str, int] = field(default_factory=dict)  #: stream → next page; absent = stream finished

    def cursor(self) -> str:
        return json.dumps({"since": self.since, "until": self.until, "pages": self.pages}, sort_keys=True)


def open_window(cursor: str | None, now: datetime, streams: Sequence[str]) -> Window | None:
    """The window to read for ``cursor``; ``None`` for a first poll (start from now).

    A cursor that cannot be read is treated as a first poll rather than
    replaying history.
    """
    if not cursor:
        return None
    if cursor.startswith("{"):
        try:
            data = json.loads(cursor)
            return Window(str(data["since"]), str(data["until"]), {str(k): int(v) for k, v in data["pages"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    try:
        since = parse_magento_time(cursor) - OVERLAP
    except ValueError:
        return None
    return Window(magento_time(since), magento_time(now), {s: 1 for s in streams})


def fetch_page(client: MagentoClient, path: str, window: Window, stream: str,
               extra: Sequence[Sequence[Filter]] = ()) -> list[Mapping[str, Any]]:
    """Read this call's page of ``stream`` and advance ``window.pages`` (finished streams return ``[]``)."""
    page = window.pages.get(stream)
    if page is None:
        return []
    groups = [[Filter("updated_at", window.since, "gteq")], [Filter("updated_at", window.until, "lteq")], *extra]
    found = client.get(path, search_params(groups, sort=[("updated_at", "ASC"), ("entity_id", "ASC")],
                                           page_size=PAGE_SIZE, page=page))
    if has_more(page, PAGE_SIZE, int(found.get("total_count") or 0)):
        window.pages[stream] = page + 1
    else:
        del window.pages[stream]
    return [i for i in found.get("items") or [] if isinstance(i, Mapping)]


def close_window(window: Window) -> tuple[str, bool]:
    """The cursor to hand back and whether another page is ready right away."""
    if window.pages:
        return window.cursor(), True
    return window.until, False
