# marketbridge_acme/demo.py
"""The demo: the emulator plays Acme Market and its buyers while ``make run`` shows Marketbridge at work."""
from __future__ import annotations

import itertools
from datetime import datetime

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock

from marketbridge_acme.emulator import TOKEN, AcmeEmulator

#: What the demo buyers order, in turn: demo-catalogue products, one unknown to every demo shop (a held order).
BASKETS = ([("MB-MUG-BLUE", 2)], [("MB-CANDLE", 1), ("MB-TEE-M", 1)], [("MB-BOOK-COOK", 1)], [("MB-UNKNOWN", 1)])


def demo_setup(clock: Clock) -> DemoSetup:
    """An Acme emulator on ``clock`` whose buyers place the next basket at every demo step."""
    emulator = AcmeEmulator(clock)
    baskets = itertools.cycle(BASKETS)

    def step(now: datetime) -> None:
        emulator.place_order(next(baskets))

    return DemoSetup(emulator=emulator, settings=lambda url: {"api_url": url}, secrets={"api_token": TOKEN},
                     step=step, marketplace="acme-de", default_carrier="DHL")
