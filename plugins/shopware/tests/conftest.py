"""Fixtures: a seeded Shopware emulator served on a real port, and an adapter pointed at it."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from marketbridge.clock import FakeClock
from marketbridge.testing.emulator import EmulatorServer

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration

# Test modules import the helpers below (and ``sw_specs``) by name; names are prefixed to stay
# unique when every plugin's tests run in one session.
sys.path.insert(0, str(Path(__file__).parent))

from sw_helpers import make_shop  # noqa: E402
from sw_engine import APP_SECRET as APP_SECRET_FOR_TESTS  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulators' per-request lines


@pytest.fixture
def emulator(clock: FakeClock) -> ShopwareEmulator:
    shop = ShopwareEmulator(clock=clock)
    shop.seed_demo()
    return shop


@pytest.fixture
def integration(emulator: ShopwareEmulator) -> Integration:
    return emulator.add_integration()


@pytest.fixture
def server(emulator: ShopwareEmulator) -> Iterator[EmulatorServer]:
    with emulator.serve() as running:
        yield running


@pytest.fixture
def shop(server: EmulatorServer, integration: Integration, clock: FakeClock) -> ShopwareShop:
    return make_shop(server, integration, clock)


@pytest.fixture
def sw_loop(engine_loop: Any, emulator: ShopwareEmulator, server: EmulatorServer,
            integration: Integration) -> Callable[..., Any]:
    """``sw_loop(settings={...}, **connection)``: the emulated shop behind the engine (see ``sw_engine``)."""
    from marketbridge_shopware import plugin
    from sw_engine import ShopwareRun

    def factory(*, settings: dict[str, Any] | None = None, **connection: Any) -> ShopwareRun:
        loop = engine_loop("shopware", shop_settings={"shop_url": server.url, "client_id": integration.access_key},
                           shop_secrets={"client_secret": integration.secret}, plugins=[plugin],
                           settings={"SHOPWARE_APP_SECRET": APP_SECRET_FOR_TESTS, **(settings or {})}, **connection)
        return ShopwareRun(loop, emulator, server, integration)

    return factory
