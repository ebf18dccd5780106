"""Cursors of the polling streams: a start time, a page within it, and when the window opened.

A poll pages through everything changed since ``since`` (minus an overlap); once
the last page is read, the next window starts at the moment the first page was
read (``started``), so changes written while we paged are read again next time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from marketbridge_shopware.queries import parse_time


@dataclass(frozen=True)
class Cursor:
    since: datetime
    page: int
    started: datetime

    def dump(self) -> str:
        return json.dumps({"since": self.since.isoformat(), "page": self.page, "started": self.started.isoformat()})

    @classmethod
    def load(cls, text: str, now: datetime) -> Cursor:
        """Parse a stored cursor; a damaged one restarts the window at ``now``."""
        try:
            data = json.loads(text)
            since = parse_time(data["since"])
            started = parse_time(data.get("started")) or now
            page = int(data.get("page", 1))
        except (ValueError, KeyError, TypeError):
            return cls(now, 1, now)
        if since is None or page < 1:
            return cls(now, 1, now)
        return cls(since, page, started if page > 1 else now)

    def next(self, more: bool) -> Cursor:
        """The cursor after reading this page."""
        if more:
            return Cursor(self.since, self.page + 1, self.started)
        return Cursor(self.started, 1, self.started)
