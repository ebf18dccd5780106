"""The demo shop: the emulator seeded with the demo catalogue, and a merchant who works in it.

``PrestaShopAdapter.demo(clock)`` returns the :class:`~marketbridge.adapters.DemoSetup`
``make run`` uses. The shop is a fresh PrestaShop 8 with the shared demo
catalogue (variants as combinations) and three custom statuses a Click &
Collect merchant adds (*Ready for pickup*, *Picked up*, *Pickup refused*),
mapped to the marketplace's pickup statuses.

The merchant (:class:`DemoMerchant`) does everything through the emulator's
back-office actions, so the plugin's polling sees it exactly as in a real
shop: an order Marketbridge created is put into *Processing in progress* after
a few demo-seconds and shipped a little later — with DHL Paket or UPS
Standard and a tracking number in that carrier's real format (DHL Paket
``00340434…`` SSCC, UPS ``1Z…``, both with valid check digits) — or, now and
then, cancelled; pickup orders become ready for pickup, then picked up. Every
few steps a product's stock moves (a delivery arrives, a sale in the shop).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock
from marketbridge_prestashop.emulator import DEMO_KEY, PrestaShopEmulator
from marketbridge_prestashop.shoptime import from_shop

PROCESSING, CANCELED = 3, 6
DHL_PAKET, UPS_STANDARD, PICKUP = 3, 4, 1  #: carrier reference ids of the emulator's fresh install
PREPARE_AFTER = timedelta(seconds=10)
SHIP_AFTER = timedelta(seconds=25)
CANCEL_EVERY = 7  #: one order in this many is cancelled instead of shipped
STOCK_EVERY = 3  #: stock moves every this many steps


def dhl_paket_number(serial: int) -> str:
    """A DHL Paket shipment number: ``00`` + an SSCC ``340434…`` (GS1 prefix 40434) with its mod-10 check digit."""
    body = f"340434{serial % 10**11:011d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return f"00{body}{(10 - total % 10) % 10}"


def ups_number(serial: int, shipper: str = "999AA1") -> str:
    """A UPS 1Z number: shipper account, service ``01``, package serial and UPS's mod-10 check digit."""
    body = f"{shipper}01{serial % 10**7:07d}"
    values = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return f"1Z{body}{(10 - total % 10) % 10}"


@dataclass
class DemoMerchant:
    """Plays the merchant of the demo shop; call :meth:`step` every few seconds."""

    shop: PrestaShopEmulator
    pickup_states: dict[str, int]
    cancel_every: int = CANCEL_EVERY
    rng: random.Random = field(default_factory=lambda: random.Random(4711))
    steps: int = 0
    handled: int = 0
    done: set[str] = field(default_factory=set)

    def step(self, now: datetime) -> None:
        """Prepare, ship, cancel or hand over due orders; move some stock now and then."""
        self.steps += 1
        for order in self.shop.orders():
            if order["id"] in self.done or "Marketbridge reference:" not in order["note"]:
                continue  # only orders Marketbridge finished importing
            created = from_shop(order["date_add"], self.shop.store.zone)
            if created is None:
                continue
            age = now - created
            if self._is_pickup(order):
                self._pickup(order, age)
            elif age >= SHIP_AFTER:
                self._ship_or_cancel(order)
            elif age >= PREPARE_AFTER and order["current_state"] != str(PROCESSING):
                self.shop.change_order_state(order["id"], PROCESSING)
        if self.steps % STOCK_EVERY == 0:
            self._move_stock()

    def _is_pickup(self, order: dict[str, str]) -> bool:
        carrier = self.shop.store.get("carriers", order["id_carrier"])
        return carrier is not None and carrier["id_reference"] == str(PICKUP)

    def _ship_or_cancel(self, order: dict[str, str]) -> None:
        self.done.add(order["id"])
        self.handled += 1
        number = int(order["id"])
        if self.handled % self.cancel_every == 0:
            self.shop.change_order_state(order["id"], CANCELED)
        elif self.handled % 2:
            self.shop.ship_order(order["id"], dhl_paket_number(16109400000 + number), carrier_reference=DHL_PAKET)
        else:
            self.shop.ship_order(order["id"], ups_number(number), carrier_reference=UPS_STANDARD)

    def _pickup(self, order: dict[str, str], age: timedelta) -> None:
        ready, collected = self.pickup_states["ready_for_pickup"], self.pickup_states["picked_up"]
        state = int(order["current_state"])
        if age >= PREPARE_AFTER and state not in (ready, collected):
            self.shop.change_order_state(order["id"], ready)
        elif age >= SHIP_AFTER and state == ready:
            self.shop.change_order_state(order["id"], collected)
            self.done.add(order["id"])

    def _move_stock(self) -> None:
        sku = self.rng.choice(sorted(self.shop.product_keys))
        current = self.shop.stock_of(sku)
        self.shop.set_stock(sku, max(0, current + self.rng.choice((-2, -1, 3, 5))))


def demo_setup(clock: Clock) -> DemoSetup:
    """The :class:`DemoSetup` behind ``PrestaShopAdapter.demo``."""
    shop = PrestaShopEmulator(clock=clock)
    shop.seed_demo()
    pickup_states = {
        "ready_for_pickup": shop.add_order_state("Ready for pickup", paid=True, logable=True),
        "picked_up": shop.add_order_state("Picked up", paid=True, logable=True),
        "refused_pickup": shop.add_order_state("Pickup refused"),
    }
    merchant = DemoMerchant(shop, pickup_states)
    return DemoSetup(
        emulator=shop,
        settings=lambda url: {"url": url, "carrier_reference": str(DHL_PAKET),
                              "pickup_carrier_reference": str(PICKUP), "payment_module": "ps_wirepayment",
                              "default_state_id": "2", "language_id": "1", "timezone": "Europe/Paris",
                              "weight_unit": "kg"},
        secrets={"webservice_key": DEMO_KEY},
        step=merchant.step,
        status_mapping={"cancelled": str(CANCELED), **{code: str(state) for code, state in pickup_states.items()}},
    )
