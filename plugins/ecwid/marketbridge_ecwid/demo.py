"""The Ecwid side of Marketbridge's demo: an emulated store and a merchant who works it.

:func:`demo_setup` is what :meth:`EcwidShopAdapter.demo` returns. The store
is the plugin's emulator with the shared demo catalogue and two custom
fulfilment statuses named as a merchant with Click & Collect would
("Picked up", "Pickup refused"). :class:`DemoMerchant` is the demo's
``step(now)``: it works the orders Marketbridge created, only through the
emulator's merchant actions (what the Ecwid admin does), so polling sees them
exactly as in a real store:

* an order is marked *Processing* a few seconds after it arrived (a status
  no marketplace status is mapped to: the history shows "not sent");
* after :attr:`DemoMerchant.ship_after` it is shipped with DHL and a real-shaped
  DHL Paket number (``00340434…``, an SSCC with its check digit), or, for
  one order in :attr:`DemoMerchant.cancel_one_in`, cancelled (Ecwid restocks);
* pickup orders become *Ready for pickup*, then *Picked up* (one in six
  *Pickup refused*);
* every few steps stock moves: a delivery arrives or the shop sells a piece
  over the counter.
"""
from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta
from typing import Any

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_ecwid.changes import is_marketbridge_order
from marketbridge_ecwid.emulator import EcwidEmulator
from marketbridge_ecwid.vocabulary import SHIPPED_STATUSES

PICKED_UP = "CUSTOM_FULFILLMENT_STATUS_1"
PICKUP_REFUSED = "CUSTOM_FULFILLMENT_STATUS_2"
#: Marketplace status → Ecwid status for the demo connection (S1).
STATUS_MAPPING = {"cancelled": "CANCELLED", "ready_for_pickup": "READY_FOR_PICKUP", "picked_up": PICKED_UP,
                  "refused_pickup": PICKUP_REFUSED}
#: Fulfilment statuses after which the demo merchant leaves an order alone.
_DONE = frozenset({*SHIPPED_STATUSES, PICKED_UP, PICKUP_REFUSED, "WILL_NOT_DELIVER", "RETURNED"})
#: GS1 company prefix part of DHL Paket's SSCC numbers (as in 00340434…).
_DHL_PREFIX = "3404341"


def dhl_tracking_number(serial: int) -> str:
    """A DHL Paket number: ``00`` + an 18-digit SSCC (``3404341`` + 10-digit serial + GS1 check digit)."""
    body = f"{_DHL_PREFIX}{serial % 10**10:010d}"
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return f"00{body}{(10 - total % 10) % 10}"


class DemoMerchant:
    """The demo's ``step(now)``: works Marketbridge's orders and moves stock (see the module docstring)."""

    def __init__(self, emulator: EcwidEmulator, *, ship_after: timedelta = timedelta(seconds=20),
                 cancel_one_in: int = 8, stock_every: int = 4, seed: int = 11) -> None:
        self.emulator = emulator
        self.ship_after = ship_after
        self.cancel_one_in = cancel_one_in  #: 0 = never cancel
        self.stock_every = stock_every  #: 0 = never move stock
        self.steps = 0
        self.first_seen: dict[str, datetime] = {}
        self._rng = random.Random(seed)
        self._serial = 1_610_000_000

    def __call__(self, now: datetime) -> None:
        self.steps += 1
        with self.emulator.lock:
            orders = [(order_id, dict(order)) for order_id, order in self.emulator.orders.items()]
        for order_id, order in orders:
            if is_marketbridge_order(order):
                self._work(order_id, order, now - self.first_seen.setdefault(order_id, now))
        if self.stock_every and self.steps % self.stock_every == 0:
            self._move_stock()

    def _work(self, order_id: str, order: dict[str, Any], age: timedelta) -> None:
        fulfilment = order.get("fulfillmentStatus")
        if order.get("paymentStatus") == "CANCELLED" or fulfilment in _DONE:
            return
        option = order.get("shippingOption") if isinstance(order.get("shippingOption"), dict) else {}
        if option.get("isPickup"):
            if fulfilment != "READY_FOR_PICKUP" and age >= self.ship_after:
                self.emulator.set_order_status(order_id, fulfillment_status="READY_FOR_PICKUP")
            elif fulfilment == "READY_FOR_PICKUP" and age >= 3 * self.ship_after:
                refused = zlib.crc32(order_id.encode()) % 6 == 0
                self.emulator.set_order_status(order_id, fulfillment_status=PICKUP_REFUSED if refused else PICKED_UP)
            return
        if age >= self.ship_after:
            if self.cancel_one_in and zlib.crc32(order_id.encode()) % self.cancel_one_in == 0:
                self.emulator.set_order_status(order_id, payment_status="CANCELLED")
            else:
                self._serial += 1
                self.emulator.ship_order(order_id, dhl_tracking_number(self._serial), carrier="DHL")
        elif fulfilment == "AWAITING_PROCESSING" and age >= self.ship_after / 2:
            self.emulator.set_order_status(order_id, fulfillment_status="PROCESSING")

    def _move_stock(self) -> None:
        parents = {p.parent_sku for p in DEMO_PRODUCTS if p.parent_sku}
        product = self._rng.choice([p for p in DEMO_PRODUCTS if p.active and p.sku not in parents])
        current = self.emulator.stock_of(product.sku)
        if current is None:
            return
        if current <= 2 or self._rng.random() < 0.3:
            self.emulator.set_stock(product.sku, current + self._rng.randint(10, 20))  # a delivery arrived
        else:
            self.emulator.set_stock(product.sku, current - 1)  # sold over the counter


def demo_setup(clock: Clock) -> DemoSetup:
    """The emulated store, how to reach it, and the merchant's ``step``."""
    emulator = EcwidEmulator(clock=clock, store_name="Marketbridge demo store").seed_demo()
    emulator.set_custom_status(PICKED_UP, "Picked up")
    emulator.set_custom_status(PICKUP_REFUSED, "Pickup refused")

    def settings(url: str) -> dict[str, Any]:
        # Polled every 10 s (changes) and 15 s (stock) so the demo moves while you watch.
        return {"store_id": str(emulator.store_id), "api_url": f"{url.rstrip('/')}/api/v3", "poll_seconds": 10,
                "stock_poll_seconds": 15}

    return DemoSetup(emulator=emulator, settings=settings, secrets={"access_token": emulator.token},
                     step=DemoMerchant(emulator), status_mapping=dict(STATUS_MAPPING))
