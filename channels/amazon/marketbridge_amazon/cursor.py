"""The order-import cursor: where the next ``fetch_orders`` call continues.

The host stores the cursor in the same transaction as the orders of the page
that produced it, so resuming from it never loses or repeats work beyond the
deliberate window overlap. It is JSON::

    {"v": 1,
     "phase": "backfill" | "updates",
     "watermark": "<ISO>",          # next updates window starts here (minus the overlap)
     "window": {"kind": "created" | "updated", "after": "<ISO>", "before": "<ISO>" | null,
                "statuses": [...] | null, "token": "<paginationToken>" | null,
                "token_at": "<ISO>" | null, "restarts": 0, "bounded": false},
     "report": {...} | null,         # a backlog being imported through the Reports API
     "recheck": ["<orderId>", ...]}  # orders to read again with getOrder

``window.before`` is the upper bound Amazon echoed on the window's first page
(``createdBefore``/``lastUpdatedBefore``); a restarted window reuses it, so a
restart re-reads exactly the same window. ``token_at`` is when the pagination
token was received: Orders 2026-01-01 tokens expire after 24 hours.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from marketbridge.errors import AdapterError

VERSION = 1


@dataclass
class Window:
    """One searchOrders time window being paged through."""

    kind: str  #: "created" (backfill) or "updated"
    after: str
    before: str | None = None
    statuses: list[str] | None = None
    token: str | None = None
    token_at: str | None = None
    restarts: int = 0
    bounded: bool = False  #: whether ``before`` is sent (only after a restart: pages must repeat page 1's query)

    def restart(self) -> None:
        """Forget the pagination token: the window is read again from its first page, same bounds."""
        self.token = None
        self.token_at = None
        self.restarts += 1
        self.bounded = self.before is not None


@dataclass
class ReportJob:
    """A window imported through the Reports API (see :mod:`marketbridge_amazon.backlog`)."""

    kind: str  #: the window kind it replaces
    after: str
    before: str
    statuses: list[str] | None = None
    reports: dict[str, str] = field(default_factory=dict)  #: report type → reportId
    documents: dict[str, str] = field(default_factory=dict)  #: report type → reportDocumentId ("" = no data)
    failures: int = 0


@dataclass
class ImportCursor:
    phase: str
    watermark: str | None = None
    window: Window | None = None
    report: ReportJob | None = None
    recheck: list[str] = field(default_factory=list)

    def dumps(self) -> str:
        data = asdict(self)
        data["v"] = VERSION
        return json.dumps(data, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> ImportCursor:
        """Parse a stored cursor; ``AdapterError`` when it is not one of ours."""
        try:
            data: dict[str, Any] = json.loads(text)
            if data.pop("v") != VERSION:
                raise ValueError("version")
            window = Window(**data.pop("window")) if data.get("window") else None
            data.pop("window", None)
            report = ReportJob(**data.pop("report")) if data.get("report") else None
            data.pop("report", None)
            return cls(window=window, report=report, **data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise AdapterError("The stored Amazon import position is unreadable; reset the connection's import "
                               "position (it restarts from the activation date, repeats are harmless).",
                               code="bad_cursor") from exc

    @classmethod
    def start(cls, since: datetime, statuses: list[str] | None) -> ImportCursor:
        """A fresh cursor: backfill orders created since ``since`` (C3)."""
        return cls(phase="backfill", window=Window(kind="created", after=since.isoformat(), statuses=statuses))
