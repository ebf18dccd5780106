"""Named points in the engine where a crash would hurt most.

Tests register a listener that raises at a chosen point to prove the engine
heals on retry (no duplicate shop order, no duplicate marketplace call,
nothing lost). In production no listener is registered and a checkpoint
costs one empty loop.
"""
from __future__ import annotations

from typing import Callable

#: Every checkpoint the engine passes, in the order an order travels.
CHECKPOINTS: tuple[str, ...] = (
    "inbox.before_commit",
    "inbox.after_commit",
    "pipeline.before_shop_call",
    "pipeline.after_shop_call",
    "pipeline.before_commit",
    "pipeline.after_commit",
    "changes.before_commit",
    "outbox.before_send",
    "outbox.after_send",
    "outbox.before_commit",
    "outbox.after_commit",
    "labels.before_purchase",
    "labels.after_purchase",
    "labels.before_commit",
)

_listeners: list[Callable[[str], None]] = []


def checkpoint(name: str) -> None:
    """Announce that the engine reached ``name`` (one of :data:`CHECKPOINTS`)."""
    for listener in list(_listeners):
        listener(name)


def add_listener(listener: Callable[[str], None]) -> None:
    """Call ``listener(name)`` at every checkpoint until removed."""
    _listeners.append(listener)


def remove_listener(listener: Callable[[str], None]) -> None:
    _listeners.remove(listener)
