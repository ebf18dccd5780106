"""Fixtures for the Amazon channel tests: the emulator on a real port, channels wired to it,
an import driver that reschedules on ``RateLimited`` like the engine, and the contract
check every test's traffic goes through (SP-API requests and responses against the
Swagger 2.0 models in ``../shared/specs/amazon``)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from marketbridge.adapters import FetchRequest, RejectedOrder
from marketbridge.clock import FakeClock
from marketbridge.errors import RateLimited
from marketbridge.testing import ContractError, RecordedRequest, SpecContract
from marketbridge.testing.context import MemoryState, adapter_context, connection_info

from marketbridge_amazon.adapter import AmazonChannel
from marketbridge_amazon.emulator import CLIENT_ID, CLIENT_SECRET, AmazonEmulator, Mix, OrderGenerator, add_store

SPECS = Path(__file__).resolve().parents[1] / "specs"  # the saved SP-API models, shipped with the plugin
DE = "A1PA6795UKMFR9"
SPEC_FILES = {
    "/orders/2026-01-01/": "orders_2026-01-01.json",
    "/orders/v0/": "ordersV0.json",
    "/reports/2021-06-30/": "reports_2021-06-30.json",
    "/feeds/2021-06-30/": "feeds_2021-06-30.json",
    "/listings/2021-08-01/": "listingsItems_2021-08-01.json",
    "/supplySources/2020-07-01/": "supplySources_2020-07-01.json",
    "/tokens/2021-03-01/": "tokens_2021-03-01.json",
    "/sellers/v1/": "sellers.json",
    "/shipping/v2/": "shippingV2.json",
}
STORE_ADDRESS = {"name": "Marketbridge Store – Berlin", "addressLine1": "Torstraße 1", "city": "Berlin",
                 "postalCode": "10119", "stateOrRegion": "Berlin", "countryCode": "DE"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_contract: the test sends deliberately invalid traffic")
    config.addinivalue_line("markers", "search_pages(n): contract-check only the first n searchOrders answers")


_CONTRACTS: dict[str, SpecContract] = {}


def contract_for(path: str) -> SpecContract | None:
    """The SpecContract of the model serving ``path`` (``None`` for LWA, uploads, downloads)."""
    for prefix, name in SPEC_FILES.items():
        if path.startswith(prefix):
            if name not in _CONTRACTS:
                _CONTRACTS[name] = SpecContract.load(SPECS / name)
            return _CONTRACTS[name]
    return None


def check_query(contract: SpecContract, exchange: RecordedRequest) -> None:
    """Validate query parameters against the operation's declared parameters (names, types, enums, sizes)."""
    op = contract.operation(exchange.method, exchange.path)
    declared: dict[str, dict[str, Any]] = {}
    pointer = f"/paths/{contract._escape(op.template)}/{op.method.lower()}/parameters"
    for index, _ in enumerate(op.spec.get("parameters", [])):
        node, _ = contract._resolve(f"{pointer}/{index}")
        if node.get("in") == "query":
            declared[node["name"]] = node
    for name, values in exchange.query.items():
        if name not in declared:
            raise ContractError(f"{op.operation_id}: undeclared query parameter {name!r}")
        spec, value = declared[name], values[0]
        items = value.split(",") if spec.get("type") == "array" else [value]
        if spec.get("type") == "array":
            if "maxItems" in spec and len(items) > spec["maxItems"]:
                raise ContractError(f"{op.operation_id}: {name} has more than {spec['maxItems']} items")
            spec = spec.get("items", {})
        for item in items:
            if "enum" in spec and item not in spec["enum"]:
                raise ContractError(f"{op.operation_id}: {name}={item!r} is not one of {spec['enum']}")
            if spec.get("type") in ("integer", "number"):
                float(item)
            if spec.get("type") == "boolean" and item not in ("true", "false"):
                raise ContractError(f"{op.operation_id}: {name} must be true or false")
    for name, spec in declared.items():
        if spec.get("required") and name not in exchange.query:
            raise ContractError(f"{op.operation_id}: required query parameter {name!r} missing")


def check_headers(contract: SpecContract, exchange: RecordedRequest) -> None:
    """Validate the operation's declared header parameters the request carries (types and enums)."""
    op = contract.operation(exchange.method, exchange.path)
    pointer = f"/paths/{contract._escape(op.template)}/{op.method.lower()}/parameters"
    sent = {name.lower(): value for name, value in exchange.headers.items()}
    for index, _ in enumerate(op.spec.get("parameters", [])):
        node, _ = contract._resolve(f"{pointer}/{index}")
        if node.get("in") != "header":
            continue
        value = sent.get(node["name"].lower())
        if value is None:
            if node.get("required"):
                raise ContractError(f"{op.operation_id}: required header {node['name']!r} missing")
            continue
        if "enum" in node and value not in node["enum"]:
            raise ContractError(f"{op.operation_id}: header {node['name']}={value!r} is not one of {node['enum']}")
        if not value.strip():
            raise ContractError(f"{op.operation_id}: header {node['name']!r} is empty")


def check_traffic(emulator: AmazonEmulator, search_pages: int | None = None) -> int:
    """Contract-check every SP-API exchange the emulator recorded; returns how many were checked.

    ``search_pages`` limits how many searchOrders answers of 100 orders are validated
    (their requests always are); the dedicated contract test validates all of them.
    """
    checked = 0
    pages = 0
    for exchange in emulator.calls():
        contract = contract_for(exchange.path)
        if contract is None:
            continue
        if search_pages is not None and exchange.path == "/orders/2026-01-01/orders":
            pages += 1
            if pages > search_pages:
                check_query(contract, exchange)
                continue
        contract.check_exchange(exchange)
        check_query(contract, exchange)
        check_headers(contract, exchange)
        checked += 1
    return checked


@pytest.fixture
def emulator(clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[AmazonEmulator]:
    emu = AmazonEmulator(clock)
    add_store(emu, "MB-STORE-BERLIN", "Marketbridge Store – Berlin", STORE_ADDRESS)
    yield emu
    if request.node.get_closest_marker("no_contract") is None:
        sample = request.node.get_closest_marker("search_pages")
        check_traffic(emu, sample.args[0] if sample else None)


@pytest.fixture
def server(emulator: AmazonEmulator) -> Iterator[Any]:
    with emulator.serve() as running:
        yield running


@pytest.fixture
def make_channel(server: Any, clock: FakeClock) -> Callable[..., AmazonChannel]:
    """``make_channel(state=…, fulfilment_channel="merchant", timeout=5, **settings)`` → a wired channel."""
    def make(*, state: MemoryState | None = None, fulfilment_channel: str = "merchant", timeout: float = 5.0,
             refresh_token: str = "Atzr|emulator-refresh-token", marketplace: str = DE,
             **settings: Any) -> AmazonChannel:
        values = {"selling_partner_id": "A3EMULATORSELLER", "region": "eu", "lwa_client_id": CLIENT_ID,
                  "endpoint": server.url, "lwa_token_url": server.url + "/auth/o2/token", **settings}
        context = adapter_context(
            settings=values, secrets={"lwa_client_secret": CLIENT_SECRET, "refresh_token": refresh_token},
            clock=clock, state=state or MemoryState(), timeout=timeout,
            connection=connection_info(channel_kind="amazon", marketplace=marketplace,
                                       fulfilment_channel=fulfilment_channel))
        return AmazonChannel(context)
    return make


@pytest.fixture
def channel(make_channel: Callable[..., AmazonChannel]) -> AmazonChannel:
    return make_channel()


@pytest.fixture
def traffic_check() -> Callable[..., int]:
    """The contract check run at every test's teardown, for tests that call it themselves."""
    return check_traffic


@pytest.fixture
def specs_dir() -> Path:
    """The saved Amazon models (``../shared/specs/amazon``)."""
    return SPECS


@pytest.fixture
def store_address() -> dict[str, str]:
    """The supply source address the emulator's pre-seeded pickup store MB-STORE-BERLIN has."""
    return dict(STORE_ADDRESS)


@pytest.fixture
def generator() -> OrderGenerator:
    return OrderGenerator("A3EMULATORSELLER", DE, seed=11, mix=Mix(), stores=[STORE_ADDRESS])


@dataclass
class ImportRun:
    """What an import driver run saw."""

    pages: int = 0
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  #: latest version by order id
    seen: list[str] = field(default_factory=list)  #: every order id in page order
    rejected: list[RejectedOrder] = field(default_factory=list)
    rate_limited: int = 0
    cursor: str | None = None


@pytest.fixture
def run_import(clock: FakeClock) -> Callable[..., ImportRun]:
    """Drive ``fetch_orders`` like the engine: reschedule on RateLimited, wait ``poll`` s between idle polls."""
    def run(channel: AmazonChannel, since: datetime, *, cursor: str | None = None, open_only: bool = True,
            poll: float = 60.0, max_steps: int = 2000, stop_when_caught_up: bool = True) -> ImportRun:
        result = ImportRun(cursor=cursor)
        for _ in range(max_steps):
            try:
                page = channel.fetch_orders(FetchRequest(result.cursor, since, open_only))
            except RateLimited as exc:
                result.rate_limited += 1
                clock.advance(exc.retry_after)
                continue
            result.pages += 1
            result.cursor = page.cursor
            for order in page.orders:
                result.orders[order["marketplace_order_id"]] = order
                result.seen.append(order["marketplace_order_id"])
            result.rejected.extend(page.rejected)
            if page.more:
                continue
            state = json.loads(page.cursor or "{}")
            if stop_when_caught_up and not state.get("report") and not state.get("recheck") \
                    and state.get("phase") == "updates":
                return result
            clock.advance(poll)
        raise AssertionError("the import did not catch up")
    return run


# -- end to end through the engine (channel_loop: the example shop, the app, the engine's jobs) ----------------

PLAIN = Mix.none()


@dataclass
class AmazonLoop:
    """``channel_loop``'s loop plus the emulator, an order generator and helpers to let time pass."""

    loop: Any
    emulator: AmazonEmulator
    generator: OrderGenerator
    clock: FakeClock

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loop, name)

    def place(self, in_minutes: float = 1, pending_minutes: float = 1, **kinds: Any) -> Any:
        """An order placed ``in_minutes`` from now, Pending for ``pending_minutes`` (then Unshipped)."""
        from datetime import timedelta

        created = self.clock.now() + timedelta(minutes=in_minutes)
        kinds.setdefault("status_events", [(created, "PENDING"),
                                           (created + timedelta(minutes=pending_minutes), "UNSHIPPED")])
        order = self.generator.order(created, **kinds)
        self.emulator.add_order(order)
        return order

    def run(self, minutes: float = 10, step: float = 1.5, shop: bool = True) -> None:
        """Let ``minutes`` pass like the scheduler would: a connection cycle (and a shop cycle) per step."""
        from marketbridge.jobs import work

        passed = 0.0
        while passed < minutes:
            self.clock.advance(minutes=step)
            passed += step
            work.connection_cycle(self.loop.host, self.loop.connection.id)
            if shop:
                self.loop.shop_cycle()

    def import_now(self) -> None:
        """Five minutes later (past Amazon's two-minute rule), one connection cycle: placed orders reach the shop."""
        from marketbridge.jobs import work

        self.clock.advance(minutes=5)
        work.connection_cycle(self.loop.host, self.loop.connection.id)

    def shop_cycle(self) -> int:
        """A minute later (the shop's poll interval), poll the shop's changes and stock and deliver."""
        self.clock.advance(seconds=61)
        return int(self.loop.shop_cycle())

    def shop_order_of(self, amazon_order_id: str) -> dict[str, Any]:
        refs = [o for o in self.loop.shop.orders.values() if o["external_ref"] == f"amazon:{amazon_order_id}"]
        assert len(refs) == 1, f"{amazon_order_id} is {len(refs)} times in the shop"
        return refs[0]


@pytest.fixture
def amazon_loop(channel_loop: Callable[..., Any], emulator: AmazonEmulator, server: Any,
                clock: FakeClock) -> Callable[..., AmazonLoop]:
    """``amazon_loop(settings=None, **connection)``: the app (``settings``: its config) with this plugin and the example shop, an active connection
    to the emulator's Amazon.de seller (default carrier DHL). Add ``any_database_url`` to the test to run it
    on SQLite and PostgreSQL."""
    from marketbridge_amazon import plugin

    def make(settings: dict[str, Any] | None = None, **connection: Any) -> AmazonLoop:
        loop = channel_loop(
            "amazon", marketplace=emulator, plugins=[plugin], settings=settings,
            account_settings={"selling_partner_id": "A3EMULATORSELLER", "region": "eu", "lwa_client_id": CLIENT_ID,
                              "endpoint": server.url, "lwa_token_url": server.url + "/auth/o2/token"},
            account_secrets={"lwa_client_secret": CLIENT_SECRET, "refresh_token": "Atzr|emulator-refresh-token"},
            **connection)
        return AmazonLoop(loop, emulator, OrderGenerator("A3EMULATORSELLER", DE, seed=5, mix=PLAIN,
                                                         stores=[STORE_ADDRESS]), clock)
    return make
