"""The demo: installed plugins' emulators, a demo connection, and a world that moves.

Started by ``marketbridge run`` when the ``DEMO`` setting is on (``make run``
turns it on). It never touches a real marketplace or shop: each side is the
plugin's own emulator (see :mod:`marketbridge.adapters.demo`), served on a
local port, and the host talks to it over HTTP exactly as it would to the
real platform.
"""
from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from marketbridge.accounts import create_or_reset_user, has_users
from marketbridge.adapters import DemoSetup, ProductIdentifier
from marketbridge.errors import ConfigurationError
from marketbridge.host import Host, current_host
from marketbridge.models import Connection, Listing, MarketplaceAccount, Shop, StatusMapping, SyncCursor, db
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

log = logging.getLogger(__name__)
DEMO_EMAIL = "demo@marketbridge.local"
#: The demo connection fetches open orders placed this long before it was created.
DEMO_BACKFILL = timedelta(hours=1)
#: Preferred platforms when several installed plugins offer a demo.
PREFERRED_CHANNELS = ("amazon",)
PREFERRED_SHOPS = ("shopware", "ecwid", "magento", "prestashop")


@dataclass
class DemoParties:
    """The chosen demo platforms and their setups."""

    channel_kind: str
    channel: DemoSetup
    shop_kind: str
    shop: DemoSetup


def choose(host: Host, shop_kind: str | None = None, channel_kind: str | None = None) -> DemoParties:
    """Pick an installed channel and shop that offer a demo (``shop_kind``/``channel_kind`` force one)."""
    def pick(available: dict[str, Any], preferred: tuple[str, ...], forced: str | None) -> tuple[str, DemoSetup]:
        order = [forced] if forced else [*preferred, *sorted(available)]
        for kind in order:
            cls = available.get(kind)
            setup = cls.demo(host.clock) if cls is not None else None
            if setup is not None:
                return kind, setup
        raise ConfigurationError("The demo needs an installed plugin that offers one for each side "
                                 f"(looked at: {', '.join(sorted(available)) or 'none installed'}).")

    channel_kind, channel = pick(host.registry.channels, PREFERRED_CHANNELS, channel_kind)
    shop_kind, shop = pick(host.registry.shops, PREFERRED_SHOPS, shop_kind)
    return DemoParties(channel_kind, channel, shop_kind, shop)


def demo_password(instance_path: str) -> str:
    """The demo login's password, created once and kept in the instance folder."""
    path = Path(instance_path) / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_rows(host: Host, parties: DemoParties, shop_url: str, channel_url: str) -> Connection:
    """Create (or point at the new emulator ports) the demo shop, account and active connection."""
    now = host.clock.now()
    shop = db.session.execute(sa.select(Shop).filter_by(name="Demo shop", kind=parties.shop_kind)).scalar_one_or_none()
    if shop is None:
        shop = Shop(kind=parties.shop_kind, name="Demo shop", created_at=now)
        db.session.add(shop)
    shop.settings = {**parties.shop.settings(shop_url), "demo": True}
    shop.secrets, shop.auth_problem = host.seal(dict(parties.shop.secrets)), None
    account = db.session.execute(sa.select(MarketplaceAccount).filter_by(
        name="Demo marketplace account", kind=parties.channel_kind)).scalar_one_or_none()
    if account is None:
        account = MarketplaceAccount(kind=parties.channel_kind, name="Demo marketplace account", created_at=now,
                                     granted_at=now)
        db.session.add(account)
    account.settings = {**parties.channel.settings(channel_url), "demo": True}
    account.secrets, account.auth_problem = host.seal(dict(parties.channel.secrets)), None
    db.session.flush()
    connection = db.session.execute(sa.select(Connection).filter_by(shop_id=shop.id, account_id=account.id)
                                    ).scalar_one_or_none()
    if connection is None:
        connection = Connection(name="Demo connection", shop_id=shop.id, account_id=account.id,
                                marketplace=parties.channel.marketplace or "demo", country="DE",
                                fulfilment_channel="merchant", product_identifier="sku", require_weights=True,
                                default_carrier=parties.channel.default_carrier, active=True,
                                activation_date=now - DEMO_BACKFILL,
                                activated_at=now, created_at=now, settings={})
        db.session.add(connection)
        db.session.flush()
        for marketplace_status, shop_status in parties.shop.status_mapping.items():
            db.session.add(StatusMapping(connection_id=connection.id, marketplace_status=marketplace_status,
                                         shop_status=shop_status))
    # The emulators start empty each time: forget cursors that point into their previous life.
    db.session.execute(sa.delete(SyncCursor).where(sa.or_(
        sa.and_(SyncCursor.scope == "shop", SyncCursor.scope_id == shop.id),
        sa.and_(SyncCursor.scope == "connection", SyncCursor.scope_id == connection.id))))
    db.session.commit()
    _ensure_listings(host, shop, connection)
    return connection


def _ensure_listings(host: Host, shop: Shop, connection: Connection) -> None:
    """List every demo catalogue product on the demo connection (stock sync, P1)."""
    adapter = host.shop_adapter(shop)
    skus = [p.sku for p in DEMO_PRODUCTS]
    found = adapter.find_products(ProductIdentifier.SKU, skus)
    for sku, product in found.items():
        row = db.session.execute(sa.select(Listing).filter_by(connection_id=connection.id, sku=sku, store_code="")
                                 ).scalar_one_or_none()
        if row is None:
            db.session.add(Listing(connection_id=connection.id, sku=sku, product_id=product.product_id, store_code=""))
        else:
            row.product_id, row.last_sent_quantity = product.product_id, None
    db.session.commit()


class DemoRuntime:
    """Serves the demo emulators and moves the demo world every ``interval`` seconds."""

    def __init__(self, app: Flask, interval: float = 5.0) -> None:
        self.app = app
        self.interval = interval
        self._stack = ExitStack()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="marketbridge-demo", daemon=True)
        self.parties: DemoParties | None = None

    def start(self) -> str:
        """Start the emulators and the demo world; returns a line telling how to log in."""
        with self.app.app_context():
            host = current_host()
            self.parties = choose(host, self.app.config.get("DEMO_SHOP"), self.app.config.get("DEMO_CHANNEL"))
            shop_server = self._stack.enter_context(self.parties.shop.emulator.serve())
            channel_server = self._stack.enter_context(self.parties.channel.emulator.serve())
            ensure_rows(host, self.parties, shop_server.url, channel_server.url)
            password = demo_password(self.app.instance_path)
            if not has_users():
                create_or_reset_user(DEMO_EMAIL, password, admin=True)
        self._step()  # the world has orders before the first fetch
        self._thread.start()
        return (f"Demo: {self.parties.channel_kind} emulator → {self.parties.shop_kind} emulator. "
                f"Log in as {DEMO_EMAIL} with password {password}")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._step()

    def _step(self) -> None:
        assert self.parties is not None
        for setup in (self.parties.channel, self.parties.shop):
            if setup.step is None:
                continue
            try:
                setup.step(self.app.extensions["marketbridge"].clock.now())
            except Exception:  # noqa: BLE001 - a demo hiccup must not stop the demo
                log.exception("demo step failed")

    def stop(self) -> None:
        self._stop.set()
        self._stack.close()

