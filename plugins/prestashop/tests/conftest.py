"""Fixtures: a seeded PrestaShop emulator on a real local port, an adapter wired to it, order drafts."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ProductIdentifier
from marketbridge.clock import FakeClock
from marketbridge.order.schema import load_order
from marketbridge.testing.context import adapter_context
from marketbridge.testing.emulator import EmulatorServer
from marketbridge_prestashop.adapter import PrestaShopAdapter
from marketbridge_prestashop.emulator import DEMO_KEY, PrestaShopEmulator
from marketbridge_prestashop.testing import order_dict


@pytest.fixture
def shop(clock: FakeClock) -> PrestaShopEmulator:
    emulator = PrestaShopEmulator(clock=clock)
    emulator.seed_demo()
    return emulator


@pytest.fixture
def server(shop: PrestaShopEmulator) -> Iterator[EmulatorServer]:
    with shop.serve() as running:
        yield running


@pytest.fixture
def settings(server: EmulatorServer) -> dict[str, Any]:
    return {"url": server.url, "carrier_reference": "2", "pickup_carrier_reference": "1",
            "payment_module": "ps_wirepayment", "default_state_id": "2", "timezone": "Europe/Paris"}


@pytest.fixture
def make_adapter(settings: dict[str, Any], clock: FakeClock) -> Callable[..., PrestaShopAdapter]:
    def build(timeout: float = 10.0, key: str = DEMO_KEY, **changes: Any) -> PrestaShopAdapter:
        context = adapter_context(settings={**settings, **changes}, secrets={"webservice_key": key}, clock=clock,
                                  timeout=timeout)
        return PrestaShopAdapter(context)
    return build


@pytest.fixture
def adapter(make_adapter: Callable[..., PrestaShopAdapter]) -> PrestaShopAdapter:
    return make_adapter()


@pytest.fixture
def make_draft(adapter: PrestaShopAdapter) -> Callable[..., OrderDraft]:
    """Build an :class:`OrderDraft` the way the engine does: lines matched by SKU through the adapter."""
    def build(data: dict[str, Any] | None = None, *, initial_status: str | None = "3", pickup: bool = False,
              test: bool = False, tags: tuple[str, ...] = ()) -> OrderDraft:
        order = load_order(data or order_dict())
        products = adapter.find_products(ProductIdentifier.SKU, [ln.sku or "" for ln in order.lines])
        planned = tuple(PlannedLine(ln, products[ln.sku or ""]) for ln in order.lines)
        label = "Amazon Click & Collect" if pickup else "Amazon"
        return OrderDraft(order=order, external_ref=order.key, lines=planned,
                          marker=Marker("amazon", label, pickup=pickup, test=test),
                          initial_status=initial_status, connection_name="Amazon.de MFN", tags=tags)
    return build


#: Remote-call timeout of the app under test: far above any answer of the local emulator, even on a loaded machine.
E2E_HTTP_TIMEOUT = 10.0
#: For tests that inject a ``timeout`` fault, whose request the emulator holds until the client gives up.
FAULT_HTTP_TIMEOUT = 2.0

#: The back-office link secret of the engine-loop shop (what the PrestaShop module would hold).
LINK_SECRET = "test-link-secret-shared-with-the-module-0123"


@pytest.fixture
def make_loop(engine_loop: Callable[..., Any], settings: dict[str, Any]) -> Callable[..., Any]:
    """``make_loop(**connection)``: the app with this plugin, the example marketplace and an active connection.

    The shop is the ``shop`` emulator (seeded, served). HTTP calls time out after ``http_timeout`` seconds:
    generous by default, so a busy CI machine never turns a slow answer into a failed test; a test that
    injects a ``timeout`` fault passes a short one. The connection starts new orders in "Processing in
    progress" (3).
    """
    from marketbridge_prestashop import plugin

    def build(http_timeout: float = E2E_HTTP_TIMEOUT, **connection: Any) -> Any:
        connection.setdefault("initial_status", "3")
        return engine_loop("prestashop", shop_settings=dict(settings),
                           shop_secrets={"webservice_key": DEMO_KEY, "admin_link_secret": LINK_SECRET},
                           plugins=[plugin], settings={"HTTP_TIMEOUT": http_timeout}, **connection)
    return build


@pytest.fixture
def loop(make_loop: Callable[..., Any]) -> Any:
    """:func:`make_loop` with the defaults."""
    return make_loop()
