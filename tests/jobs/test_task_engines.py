"""The same job code on every task engine: inline, embedded SQLite queue, Redis, PostgreSQL.

The Redis and PostgreSQL tests use the real local services and a real Huey
consumer in threads; they skip without the service, and fail under CI=true.
"""
from __future__ import annotations

import time
import uuid
from typing import Callable

import pytest
import sqlalchemy as sa

from marketbridge.jobs import current_jobs, enqueue_connection
from marketbridge.jobs.backend import make_huey
from marketbridge.jobs.runner import EmbeddedWorker
from marketbridge.jobs.work import due_work
from marketbridge.models import Order, db
from marketbridge.errors import ConfigurationError


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll a condition a real worker thread will make true (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not finish in time")


def created_count() -> int:
    db.session.rollback()  # see the worker's commits
    return int(db.session.execute(sa.select(sa.func.count()).select_from(Order)
                                  .where(Order.state == "created")).scalar_one())


def test_immediate_backend_runs_the_cycle_inline(loop):
    loop.marketplace.add_order()
    enqueue_connection(loop.connection_id)
    assert created_count() == 1


def test_due_work_lists_active_connections_and_their_shops(loop):
    inactive = loop.wire(active=False, marketplace="OTHER")
    connections, shops = due_work(loop.host)
    assert connections == [loop.connection_id] and inactive.id not in connections
    assert shops == [loop.connection.shop_id]


def test_unknown_backend_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="amqp://"):
        make_huey("amqp://localhost", str(tmp_path))


def run_with_worker(loop, *, expected: int = 2) -> None:
    loop.marketplace.add_order()
    loop.marketplace.add_order(skus=[("MB-KETTLE", 1)])
    worker = EmbeddedWorker(loop.app, workers=2, beat=False)
    worker.start()
    try:
        current_jobs().tick()
        wait_for(lambda: created_count() == expected)
    finally:
        worker.stop()
    assert len(loop.shop.orders) == expected


@pytest.fixture
def queue_name() -> str:
    return f"marketbridge-test-{uuid.uuid4().hex[:8]}"


def test_embedded_sqlite_queue_with_consumer_threads(request, queue_name):
    """The default embedded mode: Huey's SQLite queue file and consumer threads in-process."""
    loop = _loop(request, JOBS="sqlite", JOBS_QUEUE=queue_name)
    run_with_worker(loop)


def test_redis_task_engine(request, queue_name, require_service):
    require_service("redis")
    loop = _loop(request, JOBS="redis://127.0.0.1:6379/0", JOBS_QUEUE=queue_name, database="postgresql")
    run_with_worker(loop)


def test_postgres_task_engine(request, queue_name, require_service):
    require_service("postgres")
    loop = _loop(request, JOBS=None, JOBS_QUEUE=queue_name, database="postgresql")
    run_with_worker(loop)


def _loop(request: pytest.FixtureRequest, *, database: str = "sqlite", **settings):
    """The example loop on the chosen database and task engine."""
    from tests.conftest import EXAMPLE_PLUGINS, Loop
    from marketbridge.testing.examples.example_channel import ExampleMarketplaceEmulator
    from marketbridge.testing.examples.example_shop import ExampleShopEmulator

    clock = request.getfixturevalue("clock")
    make_app = request.getfixturevalue("make_app")
    wire_connection = request.getfixturevalue("wire_connection")
    if database == "postgresql":
        from marketbridge.testing.pytest_plugin import _fresh_postgres

        url = _fresh_postgres(request.getfixturevalue("_postgres_template"))
    else:
        url = request.getfixturevalue("database_url")
    if settings.get("JOBS") is None:
        settings["JOBS"] = url
    shop, marketplace = ExampleShopEmulator(clock=clock), ExampleMarketplaceEmulator(clock=clock)
    shop_server = request.getfixturevalue("_serve")(shop)
    market_server = request.getfixturevalue("_serve")(marketplace)
    app = make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False, DATABASE_URL=url, **settings)
    connection = wire_connection(
        "example_shop", "example_channel", shop_settings={"url": shop_server.url},
        shop_secrets={"api_key": ExampleShopEmulator.api_key}, account_settings={"url": market_server.url},
        account_secrets={"token": ExampleMarketplaceEmulator.token}, default_carrier="DHL")
    from marketbridge.host import current_host

    return Loop(app, current_host(), shop, marketplace, connection, clock, lambda **kw: None)
