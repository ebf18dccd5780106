"""Pytest fixtures for Marketbridge and its plugins (loaded through the ``pytest11`` entry point).

* ``clock`` – a :class:`~marketbridge.clock.FakeClock` at 2026-11-02 09:00 UTC.
* ``require_service`` – skip (or, under ``CI=true``, fail) when a local service is missing.
* ``database_url`` – a fresh SQLite database for this test, migrated to core's schema
  (a plugin with its own migration branch upgrades it in its own fixture).
* ``any_database_url`` – parametrised: the same test on SQLite and on PostgreSQL.
* ``make_app`` – build an app (with its context pushed) on ``database_url`` and ``clock``.
* ``wire_connection`` – create a shop, a marketplace account and a connection between them.
* ``engine_loop`` – run a shop plugin end to end against the example marketplace,
  ``channel_loop`` – a channel plugin against the example shop
  (see :mod:`marketbridge.testing.examples`).

Plugin test suites use them as they are::

    def test_import(make_app, wire_connection, clock):
        app = make_app()
        connection = wire_connection("myshop", "amazon", shop_settings={"url": emulator_url})
"""
from __future__ import annotations

import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from marketbridge.clock import FakeClock

SERVICES = {"postgres": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379), "rabbitmq": ("127.0.0.1", 5672)}
#: A fixed Fernet key for tests (never use it for real data).
TEST_ENCRYPTION_KEY = "pW6sR1m0m3yQ0Yj0b7zJc7cJbq5w2bq3hFQ9z0q5m2U="
POSTGRES_ADMIN_URL = os.environ.get("MARKETBRIDGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def service_or_skip(name: str) -> None:
    """Skip the calling test when service ``name`` is not reachable; under CI=true fail instead."""
    host, port = SERVICES[name]
    if _reachable(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}, and CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; start it to run this test")


def _base_config(database_url: str, instance: Path) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "JOBS": "immediate",
            "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY, "SECRET_KEY": "test-secret", "TESTING": True}


def _migrate(database_url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    from marketbridge.app import create_app
    from marketbridge.models import db

    app = create_app(_base_config(database_url, instance), load_entrypoints=False)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock; move it with ``clock.advance(seconds)``."""
    return FakeClock()


@pytest.fixture
def require_service() -> Callable[[str], None]:
    """``require_service("postgres")`` skips or fails (CI) when the service is missing."""
    return service_or_skip


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("marketbridge-template")
    path = folder / "template.sqlite"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def _postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service_or_skip("postgres")
    import psycopg

    name = f"marketbridge_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url, tmp_path_factory.mktemp("marketbridge-pg"))
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_postgres(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A fresh migrated SQLite database for this test."""
    path = tmp_path / "marketbridge.sqlite"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL (skipped, or failed under CI, without it)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("database_url"))
    return _fresh_postgres(request.getfixturevalue("_postgres_template"))


@pytest.fixture
def make_app(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    """``make_app(plugins=[...], **settings)`` → app with its context pushed, on this test's database.

    Uses ``any_database_url`` when the test asks for it, else ``database_url``.
    """
    contexts: list[Any] = []

    def factory(*, plugins: tuple[Any, ...] | list[Any] = (), load_entrypoints: bool = True,
                **settings: Any) -> Any:
        from marketbridge.app import create_app

        fixture = "any_database_url" if "any_database_url" in request.fixturenames else "database_url"
        url = settings.pop("DATABASE_URL", None) or request.getfixturevalue(fixture)
        config = {**_base_config(url, tmp_path / "instance"), **settings}
        app = create_app(config, clock=clock, plugins=plugins, load_entrypoints=load_entrypoints)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return app

    yield factory
    from marketbridge.models import db

    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()


@pytest.fixture
def wire_connection(clock: FakeClock) -> Callable[..., Any]:
    """Create shop + account + connection rows; returns the :class:`~marketbridge.models.Connection`.

    ``wire_connection(shop_kind, channel_kind, shop_settings=..., shop_secrets=...,
    account_settings=..., account_secrets=..., active=True, **connection_fields)``.
    Must be called after ``make_app``.
    """

    def factory(shop_kind: str, channel_kind: str, *, shop_settings: dict[str, Any] | None = None,
                shop_secrets: dict[str, str] | None = None, account_settings: dict[str, Any] | None = None,
                account_secrets: dict[str, str] | None = None, active: bool = True,
                activation_date: datetime | None = None, shop: Any = None, account: Any = None,
                **fields: Any) -> Any:
        from marketbridge.host import current_host
        from marketbridge.models import Connection, MarketplaceAccount, Shop, db

        host = current_host()
        now = clock.now()
        if shop is None:
            shop = Shop(kind=shop_kind, name=f"{shop_kind} shop", settings=shop_settings or {},
                        secrets=host.seal(shop_secrets or {}), created_at=now)
            db.session.add(shop)
        if account is None:
            account = MarketplaceAccount(kind=channel_kind, name=f"{channel_kind} account",
                                         settings=account_settings or {}, secrets=host.seal(account_secrets or {}),
                                         granted_at=now, created_at=now)
            db.session.add(account)
        db.session.flush()
        values: dict[str, Any] = dict(name=f"{shop_kind} ↔ {channel_kind}", marketplace="A1PA6795UKMFR9", country="DE",
                                      fulfilment_channel="merchant", product_identifier="sku", created_at=now,
                                      activation_date=activation_date or now, active=active,
                                      activated_at=now if active else None, settings={})
        values.update(fields)
        connection = Connection(shop_id=shop.id, account_id=account.id, **values)
        db.session.add(connection)
        db.session.commit()
        return connection

    return factory


@dataclass
class EngineLoop:
    """A running app with the example marketplace served and one active connection to a shop.

    ``marketplace`` is the :class:`~marketbridge.testing.examples.example_channel.ExampleMarketplaceEmulator`
    (place orders with ``add_order``; read ``shipments``, ``status_calls``, ``stock``); ``cycle()``
    and ``shop_cycle()`` run the same jobs the scheduler runs.
    """

    app: Any
    host: Any
    marketplace: Any
    connection: Any
    clock: FakeClock

    def cycle(self) -> Any:
        """Fetch, import and deliver for the connection (what the scheduler does every few seconds)."""
        from marketbridge.jobs import work

        return work.connection_cycle(self.host, self.connection.id)

    def shop_cycle(self) -> int:
        """Poll the shop's changes and stock, and deliver what they produced."""
        from marketbridge.jobs import work

        queued = work.shop_cycle(self.host, self.connection.shop_id)
        work.deliver(self.host, self.connection.id)
        return queued

    def recover(self) -> None:
        """After a simulated crash: forget the dead worker's transaction and let its leases expire."""
        from marketbridge.engine.leases import LEASE_SECONDS
        from marketbridge.models import db

        db.session.rollback()
        self.clock.advance(seconds=LEASE_SECONDS + 1)

    def orders(self) -> list[Any]:
        """The connection's orders as Marketbridge keeps them."""
        import sqlalchemy as sa

        from marketbridge.models import Order, db

        return list(db.session.execute(sa.select(Order).where(Order.connection_id == self.connection.id)
                                       .order_by(Order.id)).scalars())


@pytest.fixture
def engine_loop(make_app: Callable[..., Any], wire_connection: Callable[..., Any],
                clock: FakeClock) -> Iterator[Callable[..., EngineLoop]]:
    """``engine_loop(shop_kind, shop_settings=…, shop_secrets=…, plugins=[my_plugin], **connection)``.

    Serves the example marketplace, builds the app with the given plugin
    modules (installed plugins are not loaded, so a broken neighbour cannot
    break your tests), and wires an active connection with default carrier
    ``DHL``. Works with ``any_database_url`` for SQLite + PostgreSQL runs.
    """
    from contextlib import ExitStack

    from marketbridge.host import current_host
    from marketbridge.testing.examples import example_channel
    from marketbridge.testing.examples.example_channel import ExampleMarketplaceEmulator

    with ExitStack() as stack:
        def factory(shop_kind: str, *, shop_settings: dict[str, Any] | None = None,
                    shop_secrets: dict[str, str] | None = None, plugins: tuple[Any, ...] | list[Any] = (),
                    settings: dict[str, Any] | None = None, **connection: Any) -> EngineLoop:
            marketplace = ExampleMarketplaceEmulator(clock=clock)
            server = stack.enter_context(marketplace.serve())
            app = make_app(plugins=[example_channel, *plugins], load_entrypoints=False, **(settings or {}))
            connection.setdefault("default_carrier", "DHL")
            wired = wire_connection(shop_kind, "example_channel", shop_settings=shop_settings,
                                    shop_secrets=shop_secrets, account_settings={"url": server.url},
                                    account_secrets={"token": ExampleMarketplaceEmulator.token}, **connection)
            return EngineLoop(app, current_host(), marketplace, wired, clock)

        yield factory


@dataclass
class ChannelLoop(EngineLoop):
    """A running app with the example shop served and one active connection to a channel.

    ``shop`` is the :class:`~marketbridge.testing.examples.example_shop.ExampleShopEmulator`
    (the merchant's side: ``orders``, ``ship(...)``, ``set_status(...)``, ``set_stock(...)``);
    ``marketplace`` is whatever the test passed as the channel's emulator.
    """

    shop: Any = None


@pytest.fixture
def channel_loop(make_app: Callable[..., Any], wire_connection: Callable[..., Any],
                 clock: FakeClock) -> Iterator[Callable[..., ChannelLoop]]:
    """``channel_loop(channel_kind, marketplace=emulator, account_settings=…, account_secrets=…, plugins=[…])``.

    The mirror of ``engine_loop`` for channel plugins: serves the example shop,
    builds the app with the given plugin modules and wires an active
    connection from the channel to the example shop (default carrier ``DHL``).
    """
    from contextlib import ExitStack

    from marketbridge.host import current_host
    from marketbridge.testing.examples import example_shop
    from marketbridge.testing.examples.example_shop import ExampleShopEmulator

    with ExitStack() as stack:
        def factory(channel_kind: str, *, marketplace: Any = None, account_settings: dict[str, Any] | None = None,
                    account_secrets: dict[str, str] | None = None, plugins: tuple[Any, ...] | list[Any] = (),
                    settings: dict[str, Any] | None = None, **connection: Any) -> ChannelLoop:
            shop = ExampleShopEmulator(clock=clock)
            server = stack.enter_context(shop.serve())
            app = make_app(plugins=[example_shop, *plugins], load_entrypoints=False, **(settings or {}))
            connection.setdefault("default_carrier", "DHL")
            wired = wire_connection("example_shop", channel_kind, shop_settings={"url": server.url},
                                    shop_secrets={"api_key": ExampleShopEmulator.api_key},
                                    account_settings=account_settings, account_secrets=account_secrets, **connection)
            return ChannelLoop(app, current_host(), marketplace, wired, clock, shop=shop)

        yield factory
