"""Small result types shared by shop and channel adapters."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """Outcome of ``check_connection``: what the merchant must fix, if anything.

    Each problem is one plain-language sentence naming the thing to change
    ("The API key lacks write access to orders: tick *orders → write* in …").
    """

    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems
