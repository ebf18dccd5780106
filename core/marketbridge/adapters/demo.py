"""How a plugin lets the demo run its platform without an account.

A shop or channel adapter class may override ``demo(clock)`` to return a
:class:`DemoSetup`: an emulator of its platform and how to point the adapter
at it. ``marketbridge run`` with ``DEMO`` on picks one installed channel and
one installed shop that offer a demo, serves both emulators on local ports,
creates a demo connection between them and calls each ``step`` every few
seconds, so orders flow in and the "merchant" ships them, in the browser,
with no marketplace account.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from marketbridge.clock import Clock


@dataclass
class DemoSetup:
    """An emulator standing in for the platform, and what the demo needs to know about it.

    * ``emulator`` – a :class:`marketbridge.testing.Emulator` (served by the demo).
    * ``settings(url)`` – the adapter settings that point at the emulator served at ``url``.
    * ``secrets`` – the credentials the emulator accepts.
    * ``step(now)`` – move the demo world on: a channel places new orders, a shop
      plays the merchant (ships, changes statuses, sells stock elsewhere).
    * ``marketplace`` – channels: the marketplace id of the demo connection.
    * ``default_carrier`` – channels: a carrier code the marketplace accepts.
    * ``status_mapping`` – shops: marketplace status code → shop status code for
      the demo connection's mapping (S1).
    """

    emulator: Any
    settings: Callable[[str], Mapping[str, Any]]
    secrets: Mapping[str, str] = field(default_factory=dict)
    step: Callable[[datetime], None] | None = None
    marketplace: str | None = None
    default_carrier: str | None = None
    status_mapping: Mapping[str, str] = field(default_factory=dict)


class OffersDemo:
    """Mixin of both adapter base classes: the optional ``demo`` class method."""

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup | None:
        """Optional: an emulator of the platform for the demo mode (see this module).

        Receives the clock the emulator should use. Returns a :class:`DemoSetup`,
        or ``None`` (the default) when the plugin offers no demo.
        """
        return None
