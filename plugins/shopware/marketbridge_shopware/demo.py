"""The demo: a Shopware shop (the emulator) and a merchant working in its Administration.

``make run`` picks the Shopware demo when the plugin is installed (``marketbridge.demo``).
The emulator starts with the shared demo catalogue; Marketbridge connects to it with an
ordinary integration (so changes are polled, every 15 s, as for a shop without the app)
and :class:`DemoMerchant` is called every few seconds to play the merchant, only through
the emulator's merchant actions, so Marketbridge sees exactly what it would see in a real
shop:

* an order Marketbridge created is taken into work ("In progress") and shipped with
  DHL and a real-looking DHL Paket tracking number some demo-seconds later;
* every seventh order is cancelled instead (the mapping sends "cancelled" to the marketplace);
* shipped orders are completed a little later (a status the demo mapping does not send);
* now and then stock moves: a unit sold in the shop's own storefront, or a delivery that
  refills a product.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_shopware import settings as keys
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.queries import parse_time

CARRIER = "DHL"
#: Marketplace status → the shop status that means it (S1); Shopware has no pickup states.
STATUS_MAPPING = {"cancelled": "order.cancelled"}


def dhl_tracking(serial: int) -> str:
    """A DHL Paket tracking number (``00`` + SSCC ``340434…`` with its GS1 check digit), 20 digits."""
    body = f"340434{serial % 10**11:011d}"
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return f"00{body}{(10 - total % 10) % 10}"


@dataclass
class DemoMerchant:
    """Plays the merchant; call it with the demo clock's time (``DemoSetup.step``)."""

    emulator: ShopwareEmulator
    ship_after: timedelta = timedelta(seconds=20)
    complete_after: timedelta = timedelta(minutes=2)
    cancel_every: int = 7
    stock_every: int = 3
    seed: int = 6
    steps: int = 0
    handled: dict[str, str] = field(default_factory=dict)  #: order id → "shipped" / "cancelled" / "completed"
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def __call__(self, now: datetime) -> None:
        self.steps += 1
        for order in self.emulator.marketbridge_orders():
            created = parse_time(order["createdAt"])
            if created is None:
                continue
            done = self.handled.get(order["id"])
            if done is None and order["state"] == "cancelled":
                self.handled[order["id"]] = "cancelled"  # cancelled by the marketplace meanwhile
            elif done is None and now - created >= self.ship_after:
                self._work_on(order)
            elif done == "shipped" and now - created >= self.complete_after and order["state"] == "in_progress":
                self.emulator.change_order_status(order["id"], "complete")
                self.handled[order["id"]] = "completed"
        if self.steps % self.stock_every == 0:
            self._move_stock()

    def _work_on(self, order: dict[str, Any]) -> None:
        if len(self.handled) % self.cancel_every == self.cancel_every - 1:
            self.emulator.change_order_status(order["id"], "cancel")
            self.handled[order["id"]] = "cancelled"
            return
        if order["state"] == "open":
            self.emulator.change_order_status(order["id"], "process")
        self.emulator.ship(order["id"], dhl_tracking(len(self.handled) + 1), carrier=CARRIER)
        self.handled[order["id"]] = "shipped"

    def _move_stock(self) -> None:
        sellable = [p for p in DEMO_PRODUCTS if p.active and p.sku != "MB-TEE"]
        product = self.rng.choice(sellable)
        current = int(self.emulator.product_by_number(product.sku).get("stock") or 0)
        refill = current <= 2 or self.rng.random() < 0.2
        self.emulator.set_stock(product.sku, product.stock if refill else current - self.rng.randint(1, 2))


def demo_setup(clock: Clock) -> DemoSetup:
    """The :class:`~marketbridge.adapters.DemoSetup` behind ``ShopwareShop.demo``."""
    emulator = ShopwareEmulator(clock=clock)
    emulator.seed_demo()
    integration = emulator.add_integration("Marketbridge demo")
    return DemoSetup(
        emulator=emulator,
        settings=lambda url: {keys.SHOP_URL: url, keys.CLIENT_ID: integration.access_key,
                              "poll_seconds": 15, "stock_poll_seconds": 30},
        secrets={keys.CLIENT_SECRET: integration.secret},
        step=DemoMerchant(emulator),
        status_mapping=dict(STATUS_MAPPING),
    )
