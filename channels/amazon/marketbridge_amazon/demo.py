"""The demo's Amazon: the SP-API emulator with an Amazon.de seller and a stream of realistic orders.

``make run`` prefers this channel for the demo (:mod:`marketbridge.demo`): it serves the emulator on a
local port with the system clock, wires an active connection (``require_weights``, SKUs, every demo
catalogue product listed) and calls :meth:`DemoWorld.step` every five seconds. Each step places the
orders that are due: the first three at once, then one every :attr:`DemoWorld.interval`, cycling
through :data:`SCENARIO` so every case shows up within a few minutes:

* Prime (tag "Amazon Prime Order"), Click & Collect at the pickup store ``MB-STORE-BERLIN`` (a supply
  source of the emulated seller, so the pickup order maps to its store), Amazon Business with a VAT
  number, a multi-line order with a promotion;
* ``MB-UNKNOWN`` (held: no shop product, C5) and ``MB-LAMP-NOWEIGHT`` (held: no weight, O4);
* a Pending order that turns Unshipped a few minutes later (waiting, then imported);
* a cancellation while Pending (never created in the shop) and one after import, which Amazon only
  cancels while the merchant has not shipped it yet (the merchant sees "cancelled after import").

The first orders are back-dated so they show within seconds; later ones show up about three minutes
after they are placed: Amazon lists orders only once they are two minutes old, and Marketbridge polls
every minute. The emulator enforces Amazon's documented rate limits
in real time, so after twenty polls searchOrders runs at its sustained pace (one call per three minutes);
the account's quota page shows it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock

from marketbridge_amazon.emulator import (APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, AmazonEmulator, Mix,
                                          OrderGenerator, add_store)
from marketbridge_amazon.emulator.model import EmulatedOrder

MARKETPLACE = "A1PA6795UKMFR9"  #: Amazon.de
SELLER = "A3EMULATORSELLER"
REFRESH_TOKEN = "Atzr|emulator-refresh-token"
STORE_CODE = "MB-STORE-BERLIN"
STORE_ADDRESS = {"name": "Marketbridge Store – Berlin", "addressLine1": "Torstraße 1", "city": "Berlin",
                 "postalCode": "10119", "stateOrRegion": "Berlin", "countryCode": "DE"}


@dataclass(frozen=True)
class Scene:
    """One kind of demo order: generator overrides, how long it stays Pending, whether it is cancelled."""

    name: str
    kinds: tuple[tuple[str, Any], ...] = ()
    pending: timedelta = timedelta(minutes=1)
    cancel_after: timedelta | None = None  #: cancelled this long after placing, if still unshipped by then


SCENARIO: tuple[Scene, ...] = (
    Scene("prime", (("prime", True), ("skus", (("MB-MUG-BLUE", 2),)))),
    Scene("pickup", (("pickup", True), ("skus", ("MB-CANDLE", "MB-KETTLE")))),
    Scene("business", (("business", True), ("skus", (("MB-BOOK-COOK", 5),)))),
    Scene("multi_line", (("promotion", True), ("skus", ("MB-TEE-M", "MB-TOWEL-SET", ("MB-MUG-RED", 2))))),
    Scene("unknown_sku", (("skus", ("MB-UNKNOWN",)),)),
    Scene("no_weight", (("skus", ("MB-LAMP-NOWEIGHT",)),)),
    Scene("pending_then_unshipped", (("skus", ("MB-TEE-S",)),), pending=timedelta(minutes=6)),
    Scene("cancelled_while_pending", (("skus", ("MB-KETTLE",)),), pending=timedelta(hours=1),
          cancel_after=timedelta(minutes=4)),
    Scene("prime_multi_line", (("prime", True), ("skus", ("MB-CANDLE", ("MB-TEE-L", 1))))),
    Scene("cancelled_after_import", (("skus", ("MB-MUG-RED",)),), cancel_after=timedelta(minutes=5)),
)


#: How long before the demo starts its first orders were placed.
FIRST_ORDERS_AGO = timedelta(minutes=4)


class DemoWorld:
    """Places the demo's orders on the emulator as time passes (see the module docstring)."""

    def __init__(self, emulator: AmazonEmulator, interval: timedelta = timedelta(seconds=40),
                 first: int = 3) -> None:
        self.emulator = emulator
        self.interval = interval
        self.first = first
        self.generator = OrderGenerator(SELLER, MARKETPLACE, seed=2026, mix=Mix.none(), stores=[STORE_ADDRESS])
        self.placed: list[tuple[Scene, EmulatedOrder]] = []
        self._next_at: datetime | None = None
        self._cancellations: list[tuple[datetime, EmulatedOrder]] = []
        self._lock = threading.Lock()

    def step(self, now: datetime) -> None:
        """Place the orders due by ``now`` and cancel those whose time has come."""
        with self._lock:
            if self._next_at is None:
                # the first orders were placed a few minutes ago, so Amazon already lists them (it lists
                # orders only once they are two minutes old) and the demo shows the loop within seconds
                for n in range(self.first):
                    self._place(now - FIRST_ORDERS_AGO + timedelta(seconds=n))
                self._next_at = now + self.interval
            while self._next_at <= now:
                self._place(self._next_at)
                self._next_at += self.interval
            self._cancel_due(now)

    def _place(self, when: datetime) -> None:
        scene = SCENARIO[len(self.placed) % len(SCENARIO)]
        events = [(when, "PENDING")]
        if scene.pending < timedelta(hours=1):
            events.append((when + scene.pending, "UNSHIPPED"))
        order = self.generator.order(when, status_events=events, **dict(scene.kinds))
        self.emulator.add_order(order)
        self.placed.append((scene, order))
        if scene.cancel_after is not None:
            self._cancellations.append((when + scene.cancel_after, order))

    def _cancel_due(self, now: datetime) -> None:
        due = [(at, order) for at, order in self._cancellations if at <= now]
        self._cancellations = [(at, order) for at, order in self._cancellations if at > now]
        with self.emulator.lock:
            for _, order in due:
                if order.status_at(now) in ("PENDING", "UNSHIPPED"):  # Amazon cancels only what is not shipped
                    order.add_event(now, "CANCELLED")
                    self.emulator.orders.touched(order, now)


def demo_settings(url: str) -> dict[str, Any]:
    """Account settings pointing every Amazon address (SP-API, LWA, Seller Central) at the emulator."""
    return {"selling_partner_id": SELLER, "region": "eu", "marketplace": MARKETPLACE, "lwa_client_id": CLIENT_ID,
            "application_id": APPLICATION_ID, "endpoint": url, "lwa_token_url": url + "/auth/o2/token",
            "seller_central": url}


def demo_setup(clock: Clock) -> DemoSetup:
    """The :class:`DemoSetup` of ``AmazonChannel.demo``."""
    emulator = AmazonEmulator(clock, seller_id=SELLER, refresh_token=REFRESH_TOKEN)
    add_store(emulator, STORE_CODE, STORE_ADDRESS["name"], STORE_ADDRESS)
    world = DemoWorld(emulator)
    emulator.demo_world = world  # type: ignore[attr-defined]  # for tests and curious developers
    return DemoSetup(emulator=emulator, settings=demo_settings,
                     secrets={"lwa_client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN},
                     step=world.step, marketplace=MARKETPLACE, default_carrier="DHL")
