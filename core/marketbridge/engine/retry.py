"""Exponential backoff with full jitter, on the injected clock."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

BASE_SECONDS = 10.0
CAP_SECONDS = 3600.0
#: After this many failed attempts an outgoing message is given up and shown as a problem (~1 day).
MAX_ATTEMPTS = 30


def backoff_seconds(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS,
                    rng: random.Random | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): uniform in [base/2, min(cap, base·2^(n−1))]."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(min(base / 2, ceiling), ceiling)


def next_attempt(now: datetime, attempt: int, retry_after: float | None = None) -> datetime:
    """When to try again: the remote's ``retry_after`` if given, else exponential backoff."""
    seconds = retry_after if retry_after is not None else backoff_seconds(attempt)
    return now + timedelta(seconds=seconds)
