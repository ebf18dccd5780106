"""Token buckets: how clients pace themselves and how emulators enforce quotas.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per
second on the injected clock. :meth:`TokenBucket.take` never sleeps: it answers
how long the caller would have to wait, so a job can reschedule itself
instead of blocking a worker. The same class enforces the documented limits in
the emulators, which is why simulated hours of traffic need no real time.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from marketbridge.clock import Clock


@dataclass
class TokenBucket:
    """A token bucket on a :class:`~marketbridge.clock.Clock`'s monotonic time."""

    rate: float  #: tokens added per second
    burst: float  #: bucket size
    clock: Clock
    tokens: float | None = None
    updated: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("rate and burst must be positive")
        if self.tokens is None:
            self.tokens = float(self.burst)
        if self.updated is None:
            self.updated = self.clock.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        assert self.tokens is not None and self.updated is not None
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, n: float = 1) -> float:
        """Take ``n`` tokens if available and return 0; otherwise take nothing and
        return the seconds until ``n`` tokens will be there."""
        with self._lock:
            self._refill()
            assert self.tokens is not None
            if self.tokens >= n:
                self.tokens -= n
                return 0.0
            return (n - self.tokens) / self.rate

    def available(self) -> float:
        """Tokens available now (for the quota display)."""
        with self._lock:
            self._refill()
            assert self.tokens is not None
            return self.tokens

    def drain(self) -> None:
        """Empty the bucket (the remote said 429 although we thought we had tokens)."""
        with self._lock:
            self._refill()
            self.tokens = 0.0

    def retune(self, rate: float) -> None:
        """Adopt the rate the remote announced (e.g. ``x-amzn-RateLimit-Limit``)."""
        with self._lock:
            self._refill()
            self.rate = rate

    def to_state(self) -> dict[str, Any]:
        """A JSON-able snapshot, to persist in an adapter's state store.

        The snapshot carries wall-clock time (``clock.now()``): a monotonic
        reading means nothing to another process that loads it.
        """
        with self._lock:
            self._refill()
            return {"rate": self.rate, "burst": self.burst, "tokens": self.tokens,
                    "saved_at": self.clock.now().timestamp()}

    @classmethod
    def from_state(cls, state: dict[str, Any], clock: Clock) -> TokenBucket:
        """Rebuild a bucket saved with :meth:`to_state`, refilled for the time since it was saved."""
        elapsed = max(clock.now().timestamp() - float(state["saved_at"]), 0.0)
        tokens = min(float(state["burst"]), float(state["tokens"]) + elapsed * float(state["rate"]))
        return cls(rate=state["rate"], burst=state["burst"], clock=clock, tokens=tokens)
