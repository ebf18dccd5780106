# tests/conftest.py
"""Fixtures: the Acme emulator on a real port, checked against the spec, and an adapter talking to it.

``clock`` (a ``FakeClock``), ``channel_loop`` and the other Marketbridge
fixtures come from ``marketbridge.testing.pytest_plugin``, which pytest loads
by itself once Marketbridge is installed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from marketbridge.clock import FakeClock
from marketbridge.models import db
from marketbridge.testing import RecordedRequest, SpecContract
from marketbridge.testing.context import adapter_context, connection_info
from marketbridge.testing.pytest_plugin import ChannelLoop

from marketbridge_acme import plugin
from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import TOKEN, WEBHOOK_SECRET, AcmeEmulator

SPEC = Path(__file__).resolve().parents[1] / "acme-openapi.json"


@pytest.fixture(scope="session")
def contract() -> SpecContract:
    """Acme's API document; ``contract.check_exchange`` validates bodies against it."""
    return SpecContract.load(SPEC)


@pytest.fixture
def acme(clock: FakeClock, contract: SpecContract) -> Iterator[AcmeEmulator]:
    """The Acme emulator. After the test, every exchange it saw is checked against the spec."""
    emulator = AcmeEmulator(clock)
    yield emulator
    for exchange in emulator.log:
        contract.check_exchange(exchange)
        check_parameters(contract, exchange)


@pytest.fixture
def acme_url(acme: AcmeEmulator) -> Iterator[str]:
    """The emulator served on a free local port, for the length of the test."""
    with acme.serve() as server:
        yield server.url


def check_parameters(contract: SpecContract, exchange: RecordedRequest) -> None:
    """What ``check_exchange`` leaves out: query names and required query and header parameters."""
    operation = contract.operation(exchange.method, exchange.path)
    declared = [_resolved(contract, p) for p in operation.spec.get("parameters", [])]
    unknown = set(exchange.query) - {p["name"] for p in declared if p["in"] == "query"}
    assert not unknown, f"{operation.operation_id}: undeclared query parameters {sorted(unknown)}"
    headers = {name.lower() for name in exchange.headers}
    for parameter in declared:
        if parameter.get("required") and parameter["in"] == "query":
            assert parameter["name"] in exchange.query, f"{operation.operation_id}: {parameter['name']} missing"
        if parameter.get("required") and parameter["in"] == "header":
            assert parameter["name"].lower() in headers, f"{operation.operation_id}: {parameter['name']} missing"


def _resolved(contract: SpecContract, node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/parameters/…``) to what it names."""
    if "$ref" not in node:
        return node
    target: Any = contract.document
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return target


@pytest.fixture
def adapter(acme_url: str, clock: FakeClock) -> AcmeChannel:
    """An Acme adapter for a merchant-fulfilled ``acme-de`` connection, talking to the emulator."""
    context = adapter_context(settings={"api_url": acme_url}, secrets={"api_token": TOKEN}, clock=clock,
                              connection=connection_info(channel_kind="acme", marketplace="acme-de"))
    return AcmeChannel(context)


@pytest.fixture
def loop(channel_loop: Callable[..., ChannelLoop], acme: AcmeEmulator, acme_url: str) -> ChannelLoop:
    """The app with this plugin and the example shop, and an active connection from Acme's German market."""
    loop = channel_loop("acme", marketplace=acme, account_settings={"api_url": acme_url},
                        account_secrets={"api_token": TOKEN, "webhook_secret": WEBHOOK_SECRET}, plugins=[plugin])
    loop.connection.marketplace = "acme-de"  # channel_loop's own `marketplace` argument is the emulator
    db.session.commit()
    return loop
