"""Fault switches for emulators: make the next matching requests fail on purpose.

::

    emulator.faults.add(Fault(status=429, headers={"Retry-After": "3"}, times=2))
    emulator.faults.add(Fault(kind="timeout", path=r"/orders"))
    emulator.faults.add(Fault(kind="malformed", method="GET"))
    emulator.faults.add(Fault(kind="drop"))

A fault matches by HTTP method and a regular expression searched in the path;
it fires ``times`` times (``None``: until removed), then disappears.
Kinds:

* ``status`` – answer ``status`` with ``body`` and ``headers`` without running the handler.
* ``timeout`` – hold the request until the client gives up (the handler never runs).
* ``drop`` – close the connection without an answer (the handler never runs).
* ``malformed`` – run the handler (its effects happen!) but garble the body:
  the nastiest case for exactly-once, as the client cannot tell it succeeded.
* ``after`` – run the handler (effects happen), then answer ``status``:
  models a server that committed and then failed to answer properly.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["status", "timeout", "drop", "malformed", "after"]


@dataclass
class Fault:
    """One switch. See the module docstring for kinds."""

    kind: FaultKind = "status"
    status: int = 500
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or re.search(self.path, path) is not None


class FaultSwitches:
    """The armed faults of one emulator (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Arm ``fault`` and return it (its ``fired`` counter tells whether it hit)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first armed fault matching the request and count it as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.fired += 1
                    if fault.times is not None and fault.fired >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None
