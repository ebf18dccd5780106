"""Simulated crashes at the engine's checkpoints (see :mod:`marketbridge.engine.checkpoints`)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from marketbridge.engine.checkpoints import CHECKPOINTS, add_listener, remove_listener


class SimulatedCrash(BaseException):
    """Raised at a checkpoint to imitate the process dying there.

    A ``BaseException`` so that no ``except Exception`` in the engine or an
    adapter can swallow it — just like a real crash.
    """


@contextmanager
def crash_at(name: str, times: int = 1) -> Iterator[list[str]]:
    """Raise :class:`SimulatedCrash` the first ``times`` times the engine reaches ``name``.

    Yields the list of checkpoints that fired, for assertions.
    """
    if name not in CHECKPOINTS:
        raise ValueError(f"unknown checkpoint {name!r}; known: {', '.join(CHECKPOINTS)}")
    fired: list[str] = []

    def listener(reached: str) -> None:
        if reached == name and len(fired) < times:
            fired.append(reached)
            raise SimulatedCrash(name)

    add_listener(listener)
    try:
        yield fired
    finally:
        remove_listener(listener)
