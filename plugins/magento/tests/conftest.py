"""Fixtures: a seeded Magento emulator on a real port, adapters wired to it, canonical drafts."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ProductIdentifier
from marketbridge.clock import FakeClock
from marketbridge.order import load_order
from marketbridge.testing import SpecContract
from marketbridge.testing.context import MemoryState, adapter_context
from marketbridge.testing.emulator import EmulatorServer

from marketbridge_magento.adapter import MagentoShopAdapter
from marketbridge_magento.emulator import MagentoEmulator

SPEC_DIR = Path(__file__).resolve().parents[1] / "specs"  # the saved Magento specification, shipped with the plugin
MAGENTO_SPEC = SPEC_DIR / "admin-rest.swagger.subset.json"


@pytest.fixture
def emulator(clock: FakeClock) -> MagentoEmulator:
    emu = MagentoEmulator(clock=clock)
    emu.seed_demo()
    return emu


@pytest.fixture
def server(emulator: MagentoEmulator) -> Iterator[EmulatorServer]:
    with emulator.serve() as srv:
        yield srv


def secrets_of(emulator: MagentoEmulator) -> dict[str, str]:
    return {"consumer_key": emulator.consumer_key, "consumer_secret": emulator.consumer_secret,
            "access_token": emulator.access_token, "access_token_secret": emulator.access_token_secret}


@pytest.fixture
def make_adapter(server: EmulatorServer, emulator: MagentoEmulator, clock: FakeClock
                 ) -> Callable[..., MagentoShopAdapter]:
    def make(*, secrets: dict[str, str] | None = None, timeout: float = 5.0, state: MemoryState | None = None,
             **settings: Any) -> MagentoShopAdapter:
        values = {"url": server.url, "email_domain": "orders.shop-example.com", **settings}
        ctx = adapter_context(settings=values, secrets=secrets if secrets is not None else secrets_of(emulator),
                              clock=clock, timeout=timeout, state=state)
        return MagentoShopAdapter(ctx)
    return make


@pytest.fixture
def adapter(make_adapter: Callable[..., MagentoShopAdapter]) -> MagentoShopAdapter:
    return make_adapter()


def canonical_order(order_id: str = "302-1234567-1234567", *, lines: list[tuple[str, int, str, str]] | None = None,
                    pickup_store: str | None = None, phone: str | None = "+49 30 1234567",
                    total: str | None = None) -> dict[str, Any]:
    """A canonical Amazon.de order dict; ``lines`` are (sku, qty, gross unit price, line tax)."""
    lines = lines or [("MB-MUG-BLUE", 2, "12.50", "3.99"), ("MB-TEE-M", 1, "19.99", "3.19")]
    shipping_price, shipping_tax = Decimal("4.90"), Decimal("0.78")
    computed = sum(Decimal(p) * q for _, q, p, _ in lines) + shipping_price
    address = {"name": "Erika Mustermann", "line1": "Heidestrasse 17", "city": "Koeln", "postal_code": "51147",
               "country_code": "DE", "phone": phone}
    return {
        "marketplace": "amazon", "marketplace_order_id": order_id, "status": "unshipped",
        "marketplace_status": "Unshipped", "purchased_at": "2026-11-01T10:00:00+00:00",
        "updated_at": "2026-11-01T10:05:00+00:00", "currency": "EUR",
        "lines": [{"line_id": f"L{i}", "title": f"Item {sku}", "quantity": qty, "sku": sku,
                   "unit_price": {"amount": price, "currency": "EUR"}, "tax": {"amount": tax, "currency": "EUR"},
                   "discount": {"amount": "0.00", "currency": "EUR"}, "tax_rate": "19"}
                  for i, (sku, qty, price, tax) in enumerate(lines)],
        "shipping": {"method": "Standard", "price": {"amount": str(shipping_price), "currency": "EUR"},
                     "tax": {"amount": str(shipping_tax), "currency": "EUR"},
                     "discount": {"amount": "0.00", "currency": "EUR"}},
        "total": {"amount": total or str(computed), "currency": "EUR"},
        "shipping_address": address, "billing_address": address,
        "flags": {"pickup": pickup_store is not None}, "pickup_store_code": pickup_store,
    }


def make_draft(adapter: MagentoShopAdapter, order: dict[str, Any] | None = None, *,
               initial_status: str | None = None, test: bool = False) -> OrderDraft:
    """Match the lines by SKU through the adapter (as the engine does) and build the draft."""
    canonical = load_order(order or canonical_order())
    found = adapter.find_products(ProductIdentifier.SKU, [line.sku or "" for line in canonical.lines])
    planned = tuple(PlannedLine(line, found[line.sku or ""]) for line in canonical.lines)
    pickup = canonical.flags.pickup
    marker = Marker("amazon", "Amazon Click & Collect" if pickup else "Amazon", pickup=pickup, test=test)
    return OrderDraft(order=canonical, external_ref=canonical.key, lines=planned, marker=marker,
                      initial_status=initial_status, connection_name="Amazon.de")


@pytest.fixture
def order_dict() -> Callable[..., dict[str, Any]]:
    """Factory of canonical order dicts (see :func:`canonical_order`)."""
    return canonical_order


@pytest.fixture
def draft_for() -> Callable[..., OrderDraft]:
    """Factory of drafts matched through an adapter (see :func:`make_draft`)."""
    return make_draft


@pytest.fixture(scope="session")
def contract() -> SpecContract:
    """Magento's saved admin REST spec (``specs/magento/admin-rest.swagger.subset.json``)."""
    if not MAGENTO_SPEC.exists():
        pytest.fail(f"Magento's spec is missing at {MAGENTO_SPEC}; it ships in plugins/magento/specs")
    return SpecContract.load(MAGENTO_SPEC)


# -- end-to-end through the engine ------------------------------------------------------------------------------
E2E_SHOP_SETTINGS = {"email_domain": "orders.shop-example.com", "phone_placeholder": "+49 30 1234567"}
#: Remote-call timeout of the app under test: far above any answer of the local emulator, even on a loaded machine.
E2E_HTTP_TIMEOUT = 10.0
#: For tests that inject a ``timeout`` fault, whose request the emulator holds until the client gives up.
FAULT_HTTP_TIMEOUT = 2.0


@pytest.fixture
def magento_loop(engine_loop: Callable[..., Any], emulator: MagentoEmulator, server: EmulatorServer,
                 any_database_url: str, clock: FakeClock) -> Callable[..., Any]:
    """``magento_loop(**connection)``: the engine (example marketplace ↔ this Magento emulator), on SQLite and
    PostgreSQL. ``shop_settings``/``shop_secrets`` extend the defaults; ``http_timeout`` is generous unless a
    test injects a ``timeout`` fault and passes :data:`FAULT_HTTP_TIMEOUT`.

    The store was set up (catalogue saved) a while before Marketbridge connects, as in life, so the first
    polling window does not re-read the whole catalogue.
    """
    from marketbridge_magento import plugin

    clock.advance(minutes=5)

    def make(*, shop_settings: dict[str, Any] | None = None, shop_secrets: dict[str, str] | None = None,
             http_timeout: float = E2E_HTTP_TIMEOUT, **connection: Any) -> Any:
        return engine_loop("magento", shop_settings={"url": server.url, **E2E_SHOP_SETTINGS, **(shop_settings or {})},
                           shop_secrets={**secrets_of(emulator), **(shop_secrets or {})}, plugins=[plugin],
                           settings={"HTTP_TIMEOUT": http_timeout}, **connection)
    return make


# -- browsers on the app under test ------------------------------------------------------------------------------
MERCHANT_EMAIL = "merchant@example.com"
MERCHANT_PASSWORD = "correct horse battery"


class FreshContext:
    """WSGI middleware: every request runs in an app context of its own, as under a real server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.app.app_context():
            return list(self.app.wsgi_app(environ, start_response))


@pytest.fixture
def browser() -> Callable[..., Any]:
    """``browser(app)``: an anonymous WebTest client (English)."""
    import webtest

    def make(app: Any) -> webtest.TestApp:
        return webtest.TestApp(FreshContext(app), extra_environ={"HTTP_ACCEPT_LANGUAGE": "en"})
    return make


def add_merchant() -> None:
    """The installation's merchant (a cheap password hash: the tests are not about hashing)."""
    from werkzeug.security import generate_password_hash

    from marketbridge.models import User, db

    db.session.add(User(email=MERCHANT_EMAIL, is_admin=True, created_at=datetime.now(timezone.utc),
                        password_hash=generate_password_hash(MERCHANT_PASSWORD, "pbkdf2:sha256:1000")))
    db.session.commit()


@pytest.fixture
def merchant_exists() -> Callable[[], None]:
    """``merchant_exists()``: create the merchant user (so anonymous visitors are sent to the login page)."""
    return add_merchant


@pytest.fixture
def merchant(browser: Callable[..., Any]) -> Callable[..., Any]:
    """``merchant(app)``: a client logged in through the login form as the installation's merchant."""

    def make(app: Any) -> Any:
        add_merchant()
        client = browser(app)
        form = client.get("/login").forms["login-form"]
        form["email"], form["password"] = MERCHANT_EMAIL, MERCHANT_PASSWORD
        form.submit().follow()
        return client
    return make
