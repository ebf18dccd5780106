# marketbridge_acme/cursor.py
"""The import cursor: which window of Acme's order updates is being read, and where in it.

Marketbridge stores the string :meth:`Cursor.dump` makes in the same
transaction as the orders of the page, and hands it back on the next fetch.
A window ``[since, until]`` keeps its bounds while its pages are read (Acme's
page tokens belong to one query). The next window starts :data:`OVERLAP`
before the previous one ended, so an order Acme wrote a moment late is read
twice rather than never. Reading twice is harmless: the host upserts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from marketbridge.clock import utc
from marketbridge.errors import AdapterError

OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Cursor:
    """Where the import stands."""

    since: datetime
    until: datetime | None = None  #: fixed once the window's first page was read
    page_token: str | None = None
    open_only: bool = False  #: the activation window reads open orders only (C3)

    @classmethod
    def load(cls, value: str | None, *, since: datetime, open_only: bool) -> Cursor:
        """The stored cursor, or (``value`` is ``None``) the first window, starting at the activation date.

        Raises ``AdapterError`` for a stored value this plugin did not write.
        """
        if value is None:
            return cls(since=utc(since), open_only=open_only)
        try:
            data = json.loads(value)
            return cls(since=utc(datetime.fromisoformat(data["since"])),
                       until=utc(datetime.fromisoformat(data["until"])) if data["until"] else None,
                       page_token=data["page_token"], open_only=data["open_only"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AdapterError("The stored Acme Market import position is unreadable. Move the connection's "
                               "activation date back to import afresh from there.", code="acme_bad_cursor") from exc

    def after_page(self, until: datetime, next_page_token: str | None) -> Cursor:
        """Where to go on after a page of the window ending at ``until``.

        The next page of the same window while Acme has one; otherwise a new
        window of every status, starting :data:`OVERLAP` before ``until``.
        """
        if next_page_token:
            return replace(self, until=until, page_token=next_page_token)
        return Cursor(since=until - OVERLAP)

    def dump(self) -> str:
        """The cursor as the string Marketbridge stores."""
        return json.dumps({"since": self.since.isoformat(),
                           "until": self.until.isoformat() if self.until else None,
                           "page_token": self.page_token, "open_only": self.open_only})
