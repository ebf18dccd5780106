"""Token buckets per operation and seller, persisted in the account's state store.

Every SP-API call first takes a token from its operation's bucket; an empty
bucket raises :class:`~marketbridge.errors.RateLimited` with the seconds until
the next token, so the engine reschedules the job instead of a worker
sleeping. Bucket levels live in ``context.state`` (shared by all connections
of the account) as :meth:`TokenBucket.to_state` snapshots, which carry
wall-clock time and refill on load, so quota already spent survives a
process restart.
"""
from __future__ import annotations

from typing import Any

from marketbridge.adapters import QuotaRecorder, StateStore
from marketbridge.clock import Clock
from marketbridge.errors import RateLimited
from marketbridge.ratelimit import TokenBucket

from marketbridge_amazon.rates import USAGE_PLANS, plan

RATE_HEADER = "x-amzn-RateLimit-Limit"
#: Extra wait on top of the computed refill time: our bucket and Amazon's never tick in lockstep
#: (clock skew, rounding), and arriving a moment late costs nothing while a 429 costs a retry.
SAFETY_SECONDS = 1.0


class BucketStore:
    """The buckets of one seller account; ``take`` before a call, ``settle`` after it."""

    def __init__(self, state: StateStore, clock: Clock, quota: QuotaRecorder, seller_id: str) -> None:
        self.state = state
        self.clock = clock
        self.quota = quota
        self.seller_id = seller_id

    def _key(self, operation: str) -> str:
        return f"ratelimit:{self.seller_id}:{operation}"

    def bucket(self, operation: str) -> TokenBucket:
        """The operation's bucket, refilled for the time since it was saved."""
        saved: dict[str, Any] | None = self.state.get(self._key(operation))
        if not saved:
            usage = plan(operation)
            return TokenBucket(rate=usage.rate, burst=usage.burst, clock=self.clock)
        if "saved_at" not in saved:  # written by round 1 (``at``), before core persisted wall-clock time
            saved = {**saved, "saved_at": saved.get("at", self.clock.now().timestamp())}
        return TokenBucket.from_state(saved, self.clock)

    def _save(self, operation: str, bucket: TokenBucket) -> None:
        self.state.set(self._key(operation), bucket.to_state())

    def take(self, operation: str) -> None:
        """Take one token or raise ``RateLimited`` with the wait until the next one."""
        bucket = self.bucket(operation)
        wait = bucket.take()
        self._save(operation, bucket)
        if wait > 0:
            self.quota.record(operation, limit=bucket.rate, remaining=bucket.available(), throttled=True)
            wait += SAFETY_SECONDS
            raise RateLimited(f"Amazon quota for {operation} is used up for now; continuing in {wait:.0f} s",
                              retry_after=wait, operation=operation)

    def wait(self, operation: str, tokens: float = 1) -> float:
        """Seconds until ``tokens`` are available (0 when they are), without taking any."""
        bucket = self.bucket(operation)
        missing = tokens - bucket.available()
        return 0.0 if missing <= 0 else missing / bucket.rate + SAFETY_SECONDS

    def settle(self, operation: str, announced_rate: str | None, *, throttled: bool = False) -> float:
        """Record the call; retune from ``x-amzn-RateLimit-Limit``; drain on a 429. Returns the wait after a 429."""
        bucket = self.bucket(operation)
        rate = _parse_rate(announced_rate)
        if rate is not None and abs(rate - bucket.rate) > 1e-9:
            bucket.retune(rate)
        if throttled:
            bucket.drain()
        self._save(operation, bucket)
        self.quota.record(operation, limit=bucket.rate, remaining=bucket.available(), rejected=throttled)
        return 1.0 / bucket.rate + SAFETY_SECONDS

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Level of every bucket used so far (for the merchant's quota display)."""
        out: dict[str, dict[str, float]] = {}
        for operation in USAGE_PLANS:
            if self.state.get(self._key(operation)) is not None:
                bucket = self.bucket(operation)
                out[operation] = {"rate": bucket.rate, "burst": bucket.burst, "available": bucket.available()}
        return out


def _parse_rate(value: str | None) -> float | None:
    if not value:
        return None
    try:
        rate = float(value)
    except ValueError:
        return None
    return rate if rate > 0 else None
