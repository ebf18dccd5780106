"""Demo mode: the Magento emulator with the demo catalogue, and a merchant who works the orders.

``make run`` (``DEMO`` on) serves :class:`~marketbridge_magento.emulator.MagentoEmulator`
on a local port, points a demo shop at it and calls :class:`DemoMerchant` every
few seconds. The merchant only uses the emulator's merchant actions, so
Marketbridge sees the changes exactly as in a real store: by polling
``GET /V1/orders`` and ``GET /V1/shipments``.

What the merchant does, in demo time:

* an order Marketbridge created :data:`SHIP_AFTER` ago is invoiced and shipped
  with DHL and a DHL Paket tracking number (``00340434…``, 20 digits);
* every :data:`CANCEL_EVERY`-th order is cancelled instead (out of stock in the
  warehouse), which the status mapping sends to the marketplace as ``cancelled``;
* a Click & Collect order is invoiced and set to *Ready for pickup*, and a
  little later to *Picked up* (custom statuses, mapped to the marketplace's
  pickup statuses);
* now and then the stock moves: a product is restocked or sold in the shop's
  own storefront, which changes the salable quantity Marketbridge offers.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from marketbridge.adapters import DemoSetup
from marketbridge.clock import Clock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_magento.emulator import ApiError, MagentoEmulator
from marketbridge_magento.search import parse_magento_time

log = logging.getLogger("marketbridge.magento.demo")

SHIP_AFTER = timedelta(seconds=30)
CANCEL_EVERY = 7
STOCK_EVERY = 3
WEB_ORDER_EVERY = 5
CUSTOM_STATUSES = (("ready_for_pickup", "Ready for pickup", "processing"), ("picked_up", "Picked up", "processing"))
STATUS_MAPPING = {"cancelled": "canceled", "ready_for_pickup": "ready_for_pickup", "picked_up": "picked_up"}
DEMO_EMAIL_DOMAIN = "demo-shop.example"
DEMO_ADMIN_LINK_SECRET = "demo-admin-link-secret"
DONE_STATES = ("canceled", "complete", "closed", "holded")


def dhl_tracking(order_id: int) -> str:
    """A DHL Paket tracking number of the demo (``00340434`` + 12 digits)."""
    return f"00340434{161_000_000_000 + order_id:012d}"


class DemoMerchant:
    """``step(now)`` of the demo: works the Marketbridge orders and moves stock (see the module docstring)."""

    def __init__(self, emulator: MagentoEmulator) -> None:
        self.emulator = emulator
        self.steps = 0
        self.ready_at: dict[int, datetime] = {}
        self.skus = [p.sku for p in DEMO_PRODUCTS if p.active and p.parent_sku is None and p.sku != "MB-TEE"] + [
            p.sku for p in DEMO_PRODUCTS if p.parent_sku]

    def __call__(self, now: datetime) -> None:
        self.steps += 1
        for order_id, order in self._due_orders(now):
            try:
                self._work(order_id, order, now)
            except ApiError as exc:  # the emulator refused (e.g. already shipped by hand): leave the order
                log.info("demo merchant skipped order %s: %s", order_id, exc.message)
        if self.steps % STOCK_EVERY == 0:
            self._move_stock()
        if self.steps % WEB_ORDER_EVERY == 0:
            self._web_sale()

    # -- orders ---------------------------------------------------------------------------------------------------
    def _due_orders(self, now: datetime) -> list[tuple[int, dict[str, Any]]]:
        """Marketbridge's orders (``ext_order_id`` set) created at least :data:`SHIP_AFTER` ago, not done."""
        with self.emulator.lock:
            due = []
            for order_id, order in self.emulator.shop.orders.items():
                if not order.get("ext_order_id") or order["state"] in DONE_STATES:
                    continue
                if parse_magento_time(order["created_at"]) <= now - SHIP_AFTER:
                    due.append((order_id, dict(order)))
            return due

    def _work(self, order_id: int, order: dict[str, Any], now: datetime) -> None:
        pickup = (order.get("extension_attributes") or {}).get("pickup_location_code")
        if pickup:
            self._pickup(order_id, order, now)
        elif order_id % CANCEL_EVERY == 0:
            self.emulator.cancel_order(order_id)
        elif not any(i.get("qty_shipped") for i in order["items"]):
            self.emulator.invoice_order(order_id)
            self.emulator.ship_order(order_id, carrier_code="dhl", title="DHL", tracking_number=dhl_tracking(order_id))

    def _pickup(self, order_id: int, order: dict[str, Any], now: datetime) -> None:
        if order["status"] == "picked_up":
            return
        if order["status"] != "ready_for_pickup":
            self.emulator.invoice_order(order_id)
            self.emulator.change_status(order_id, "ready_for_pickup", "Packed and waiting at the store counter.")
            self.ready_at[order_id] = now
        elif now - self.ready_at.get(order_id, now) >= SHIP_AFTER:
            self.emulator.change_status(order_id, "picked_up", "Collected by the buyer.")

    # -- stock ----------------------------------------------------------------------------------------------------
    def _move_stock(self) -> None:
        """Restock a product that runs low, or sell one unit of it over the counter (source quantity)."""
        sku = self.skus[(self.steps // STOCK_EVERY) % len(self.skus)]
        with self.emulator.lock:
            item = self.emulator.shop.source_items.get((sku, "default"))
            quantity = float(item["quantity"]) if item else 0.0
        self.emulator.set_stock(sku, quantity + 10 if quantity < 10 else quantity - 1)

    def _web_sale(self) -> None:
        """A customer buys in the Magento storefront (reserves salable quantity like any checkout)."""
        sku = self.skus[(self.steps // WEB_ORDER_EVERY) % len(self.skus)]
        try:
            self.emulator.place_web_order(sku, 1, email=f"web-buyer-{self.steps}@example.com")
        except ApiError as exc:
            log.info("demo web sale of %s refused: %s", sku, exc.message)


def demo_settings(url: str) -> dict[str, Any]:
    """Shop settings pointing at the emulator served at ``url``."""
    return {
        "url": url, "store_code": "default", "auth_mode": "oauth1", "inventory_mode": "msi", "stock_id": "1",
        "shipping_method": "flatrate_flatrate", "payment_method": "checkmo", "email_domain": DEMO_EMAIL_DOMAIN,
        "ean_attribute": "ean", "phone_placeholder": "+49 30 0000000",
        "custom_statuses": "\n".join(f"{code} | {label} | {state}" for code, label, state in CUSTOM_STATUSES),
    }


def demo_emulator(clock: Clock) -> MagentoEmulator:
    """The seeded emulator: demo catalogue, pickup store ``paris-store``, the two custom pickup statuses."""
    emulator = MagentoEmulator(clock=clock)
    emulator.seed_demo()
    for code, label, state in CUSTOM_STATUSES:
        emulator.add_status(code, label, state)
    return emulator


def demo_setup(clock: Clock) -> DemoSetup:
    """What :meth:`MagentoShopAdapter.demo` returns."""
    emulator = demo_emulator(clock)
    secrets = {"consumer_key": emulator.consumer_key, "consumer_secret": emulator.consumer_secret,
               "access_token": emulator.access_token, "access_token_secret": emulator.access_token_secret,
               "admin_link_secret": DEMO_ADMIN_LINK_SECRET}
    return DemoSetup(emulator=emulator, settings=demo_settings, secrets=secrets, step=DemoMerchant(emulator),
                     status_mapping=dict(STATUS_MAPPING))
