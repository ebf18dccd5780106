"""Fixtures of the host's own tests: the example plugins wired into a running app."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from marketbridge.clock import FakeClock
from marketbridge.host import Host, current_host
from marketbridge.models import Connection, db
from marketbridge.testing.examples import example_channel, example_shop
from marketbridge.testing.examples.example_channel import ExampleMarketplaceEmulator
from marketbridge.testing.examples.example_shop import ExampleShopEmulator

EXAMPLE_PLUGINS = (example_shop, example_channel)


@dataclass
class Loop:
    """An app with the example shop and marketplace emulators running, and one active connection."""

    app: Any
    host: Host
    shop: ExampleShopEmulator
    marketplace: ExampleMarketplaceEmulator
    connection: Connection
    clock: FakeClock
    wire: Callable[..., Connection]

    @property
    def connection_id(self) -> int:
        return self.connection.id


@pytest.fixture
def loop(make_app: Callable[..., Any], wire_connection: Callable[..., Connection], clock: FakeClock) -> Iterator[Loop]:
    shop = ExampleShopEmulator(clock=clock)
    marketplace = ExampleMarketplaceEmulator(clock=clock)
    with shop.serve() as shop_server, marketplace.serve() as market_server:
        app = make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False, HTTP_TIMEOUT=10.0)

        def wire(**fields: Any) -> Connection:
            return wire_connection(
                "example_shop", "example_channel",
                shop_settings={"url": shop_server.url}, shop_secrets={"api_key": ExampleShopEmulator.api_key},
                account_settings={"url": market_server.url},
                account_secrets={"token": ExampleMarketplaceEmulator.token}, **fields)

        connection = wire(default_carrier="DHL")
        yield Loop(app, current_host(), shop, marketplace, connection, clock, wire)
        db.session.remove()


@pytest.fixture
def _serve() -> Iterator[Callable[[Any], Any]]:
    """Serve emulators for the length of a test: ``server = _serve(emulator)``."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda emulator: stack.enter_context(emulator.serve())
