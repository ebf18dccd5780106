"""Time as a dependency: every part of Marketbridge asks a ``Clock`` for "now".

Production uses :class:`SystemClock`; tests and simulations use :class:`FakeClock`
and move time forward explicitly, so nothing ever sleeps to wait for a retry,
a token expiry or a rate-limit refill.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """Something that knows the current time (always timezone-aware UTC)."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes backwards (for rate limits)."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        import time

        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to; thread-safe.

    ``FakeClock(datetime(2026, 11, 1, tzinfo=timezone.utc))`` starts at that
    instant; :meth:`advance` moves it forward. ``monotonic()`` advances with it,
    so token buckets and expiry checks see simulated time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
        if self._start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move time forward by ``seconds`` (plus any ``timedelta`` keyword such as ``minutes=5``)."""
        delta = seconds + timedelta(**kwargs).total_seconds()
        if delta < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += delta
            return self._start + timedelta(seconds=self._offset)

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (must not be earlier than now)."""
        self.advance((when - self.now()).total_seconds())


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as aware UTC; naive values (as SQLite returns them) are taken to be UTC."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
