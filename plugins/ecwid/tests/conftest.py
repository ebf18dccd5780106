"""Fixtures: an emulated Ecwid store on a real local port, adapters against it, drafts, the contract.

Every test that uses ``server`` has its whole HTTP traffic checked against the
contract generated from ``specs/ecwid`` when it ends (responses *and* the
adapter's requests), so no test can pass on a fiction.

``ecwid_loop`` runs the plugin end to end through the engine (core's
``engine_loop``: the example marketplace ↔ this plugin ↔ the emulator), with
the same contract check; combine it with ``any_database_url`` for SQLite and
PostgreSQL runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator, Sequence

import pytest
import requests
from werkzeug.test import Client, TestResponse

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ProductIdentifier
from marketbridge.clock import FakeClock
from marketbridge.order import Order, load_order
from marketbridge.testing import SpecContract
from marketbridge.testing.context import adapter_context
from marketbridge.testing.emulator import EmulatorServer, RecordedRequest

from marketbridge_ecwid.adapter import EcwidShopAdapter
from marketbridge_ecwid.check import PROBE_CREATE_BODY
from marketbridge_ecwid.emulator import EcwidEmulator
from marketbridge_ecwid.emulator.contract import find_spec_dir, load_contract


@pytest.fixture(scope="session")
def optional_contract() -> SpecContract | None:
    """The Ecwid contract built from ``specs/ecwid``; ``None`` without the specs (a failure under CI)."""
    if find_spec_dir() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("specs/ecwid not found (set MARKETBRIDGE_ECWID_SPECS); CI=true requires them")
        return None
    return load_contract()


@pytest.fixture
def contract(optional_contract: SpecContract | None) -> SpecContract:
    """The contract, for tests about the contract itself (skipped without the specs)."""
    if optional_contract is None:
        pytest.skip("specs/ecwid not found (set MARKETBRIDGE_ECWID_SPECS)")
    return optional_contract


def check_traffic(emulator: EcwidEmulator, contract: SpecContract, *, requests_too: bool = True) -> int:
    """Validate every recorded API exchange; returns how many were checked.

    Skips the browser-facing OAuth consent redirect, and the request side of the
    connection check's create probe, whose body is deliberately not an order
    (and of everything when ``requests_too`` is false: tests that send wrong
    requests on purpose to see the emulator refuse them).
    """
    checked = 0
    for exchange in list(emulator.log):
        if not (exchange.path.startswith("/api/v3/") or exchange.path == "/api/oauth/token"):
            continue
        if _is_probe(exchange) or not requests_too:
            if exchange.fault is None and exchange.status is not None:
                contract.check_response(exchange.method, exchange.path, exchange.status, exchange.response_json())
        else:
            contract.check_exchange(exchange)
        checked += 1
    return checked


def _is_probe(exchange: RecordedRequest) -> bool:
    try:
        return exchange.method == "POST" and bool(exchange.body) and exchange.json() == PROBE_CREATE_BODY
    except ValueError:
        return False


@pytest.fixture
def traffic_checker() -> Callable[[EcwidEmulator, SpecContract], int]:
    """:func:`check_traffic`, for tests that check explicitly."""
    return check_traffic


@pytest.fixture
def emulator(clock: FakeClock) -> EcwidEmulator:
    return EcwidEmulator(clock=clock).seed_demo()


@pytest.fixture
def server(emulator: EcwidEmulator, optional_contract: SpecContract | None) -> Iterator[EmulatorServer]:
    """The emulator on a real port; its whole traffic is contract-checked afterwards."""
    with emulator.serve() as running:
        yield running
    if optional_contract is not None:
        check_traffic(emulator, optional_contract)


AdapterFactory = Callable[..., EcwidShopAdapter]


@pytest.fixture
def make_adapter(server: EmulatorServer, emulator: EcwidEmulator, clock: FakeClock) -> AdapterFactory:
    """``make_adapter(token=…, store_id=…, timeout=…)``: an adapter for the emulated store."""
    def make(*, token: str | None = None, store_id: str | None = None, timeout: float = 5.0,
             client_secret: str | None = None) -> EcwidShopAdapter:
        secrets = {"access_token": token if token is not None else emulator.token}
        if client_secret:
            secrets["client_secret"] = client_secret
        context = adapter_context(
            settings={"store_id": store_id or str(emulator.store_id), "api_url": f"{server.url}/api/v3"},
            secrets=secrets, clock=clock, timeout=timeout)
        return EcwidShopAdapter(context)
    return make


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> EcwidShopAdapter:
    return make_adapter()


def _order_data(lines: list[tuple[str, int, str, str]], *, order_id: str = "302-1234567-1234567",
                **overrides: Any) -> dict[str, Any]:
    """A canonical Amazon.de order: ``lines`` are (sku, quantity, gross unit price, line tax)."""
    data: dict[str, Any] = {
        "marketplace": "amazon", "marketplace_order_id": order_id, "status": "unshipped",
        "marketplace_status": "Unshipped", "purchased_at": "2026-11-01T18:30:00+00:00",
        "updated_at": "2026-11-01T18:35:00+00:00", "currency": "EUR", "sales_channel": "Amazon.de",
        "lines": [{"line_id": f"L{i}", "title": f"Amazon title of {sku}", "quantity": qty,
                   "unit_price": {"amount": price, "currency": "EUR"}, "tax": {"amount": tax, "currency": "EUR"},
                   "discount": {"amount": "0", "currency": "EUR"}, "sku": sku, "tax_rate": "19"}
                  for i, (sku, qty, price, tax) in enumerate(lines, start=1)],
        "shipping": {"method": "Standard", "price": {"amount": "4.90", "currency": "EUR"},
                     "tax": {"amount": "0.78", "currency": "EUR"}, "discount": {"amount": "0", "currency": "EUR"}},
        "total": {"amount": "0", "currency": "EUR"},
        "buyer": {"name": "Erika Mustermann", "email": None, "phone": "+49 30 1234567"},
        "shipping_address": {"name": "Erika Mustermann", "line1": "Heidestraße 17", "line2": "Hinterhaus",
                             "city": "Köln", "postal_code": "51147", "country_code": "DE"},
    }
    total = sum(Decimal(price) * qty for _, qty, price, _ in lines) + Decimal("4.90")
    data["total"]["amount"] = str(total)
    data.update(overrides)
    return data


@pytest.fixture
def order_data() -> Callable[..., dict[str, Any]]:
    """``order_data(lines, order_id=…, **overrides)``: a canonical order dict (see :func:`_order_data`)."""
    return _order_data


DraftFactory = Callable[..., OrderDraft]


@pytest.fixture
def make_draft(adapter: EcwidShopAdapter) -> DraftFactory:
    """``make_draft(lines, order_id=…, marker=…, initial_status=…, **order overrides)``, products matched by SKU."""
    def make(lines: list[tuple[str, int, str, str]] | None = None, *, marker: Marker | None = None,
             initial_status: str | None = None, order: Order | None = None, **overrides: Any) -> OrderDraft:
        canonical = order or load_order(_order_data(lines or [("MB-MUG-BLUE", 2, "14.90", "4.76")], **overrides))
        matched = adapter.find_products(ProductIdentifier.SKU, [line.sku for line in canonical.lines])
        planned = tuple(PlannedLine(line, matched[line.sku]) for line in canonical.lines)
        return OrderDraft(order=canonical, external_ref=canonical.key, lines=planned,
                          marker=marker or Marker("amazon", "Amazon"), initial_status=initial_status,
                          connection_name="Amazon DE")
    return make


@pytest.fixture
def raw_order(emulator: EcwidEmulator, server: EmulatorServer) -> Callable[..., str]:
    """``raw_order(**fields)``: create an order straight through the API, as a checkout or another app would."""
    def create(**fields: Any) -> str:
        body = {"subtotal": 10, "total": 10, "email": "shopper@example.com", "paymentStatus": "AWAITING_PAYMENT",
                "fulfillmentStatus": "AWAITING_PROCESSING",
                "items": [{"name": "Something", "quantity": 1, "price": 10}], **fields}
        response = requests.post(f"{server.url}/api/v3/{emulator.store_id}/orders", json=body,
                                 headers={"Authorization": f"Bearer {emulator.token}"}, timeout=5)
        assert response.status_code == 200, response.text
        return str(response.json()["orderid"])
    return create


# -- end to end through the engine --------------------------------------------------------------------------------
@dataclass
class EcwidLoop:
    """The engine loop (example marketplace ↔ this plugin) with the emulated Ecwid store behind the shop.

    ``loop`` is core's :class:`~marketbridge.testing.pytest_plugin.EngineLoop`; ``store`` the emulator.
    """

    loop: Any
    store: EcwidEmulator
    server: EmulatorServer

    @property
    def marketplace(self) -> Any:
        return self.loop.marketplace

    @property
    def clock(self) -> FakeClock:
        return self.loop.clock

    @property
    def connection(self) -> Any:
        return self.loop.connection

    def import_order(self, skus: Sequence[tuple[str, int]] = (("MB-MUG-BLUE", 1),), **order: Any) -> tuple[str, str]:
        """A buyer orders on the marketplace and a cycle imports it; returns (marketplace id, Ecwid order id)."""
        marketplace_id = self.marketplace.add_order(skus=skus, **order)
        self.loop.cycle()
        return marketplace_id, self.ecwid_order(marketplace_id)["id"]

    def ecwid_order(self, marketplace_id: str) -> dict[str, Any]:
        """The one Ecwid order carrying the marketplace order's reference (fails if none or several)."""
        [order] = self.store.orders_with_reference(f"example_channel:{marketplace_id}")
        return order

    def creates(self) -> int:
        """How many ``POST /orders`` the store received."""
        return len([c for c in self.store.calls("POST") if c.path.endswith("/orders")])

    def poll(self) -> int:
        """Let the shop's poll interval pass, then run the shop cycle (changes, stock, delivery)."""
        self.clock.advance(seconds=61)
        return int(self.loop.shop_cycle())

    def app_client(self) -> Any:
        """A browser/HTTP client for the app; every request runs in a fresh app context, as under a server."""
        return Client(FreshContext(self.loop.app), response_wrapper=TestResponse)


class FreshContext:
    """WSGI middleware: a new app context per request, so nothing cached on ``g`` leaks between requests."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.app.app_context():
            return list(self.app.wsgi_app(environ, start_response))


@pytest.fixture
def ecwid_loop(engine_loop: Callable[..., Any], clock: FakeClock,
               optional_contract: SpecContract | None) -> Iterator[Callable[..., EcwidLoop]]:
    """``ecwid_loop(app_settings=…, shop_secrets=…, **connection)``: an active connection to an emulated store.

    The shop's change and stock cursors start right away (the first poll runs
    at once). The store's whole traffic is contract-checked afterwards.
    """
    from contextlib import ExitStack

    from marketbridge_ecwid import plugin

    stores: list[EcwidEmulator] = []
    with ExitStack() as stack:
        def make(*, app_settings: dict[str, Any] | None = None, shop_secrets: dict[str, str] | None = None,
                 **connection: Any) -> EcwidLoop:
            store = EcwidEmulator(clock=clock).seed_demo()
            server = stack.enter_context(store.serve())
            stores.append(store)
            api_url = f"{server.url}/api/v3"
            settings = {"HTTP_TIMEOUT": 10.0, "ECWID_API_URL": api_url, "ECWID_OAUTH_URL": f"{server.url}/api/oauth",
                        **(app_settings or {})}
            loop = engine_loop("ecwid", shop_settings={"store_id": str(store.store_id), "api_url": api_url},
                               shop_secrets={"access_token": store.token, **(shop_secrets or {})},
                               plugins=[plugin], settings=settings, **connection)
            loop.shop_cycle()  # the first poll starts the shop's cursors now
            return EcwidLoop(loop, store, server)

        yield make
    if optional_contract is not None:
        for store in stores:
            check_traffic(store, optional_contract)
