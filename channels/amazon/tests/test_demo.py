"""The demo: ``make run`` picks Amazon, ``marketbridge.demo.ensure_rows`` wires it, and the world moves."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketbridge.demo import choose, ensure_rows
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Connection, Listing, Order, SyncProblem, db
from marketbridge.testing.examples import example_shop

from marketbridge_amazon import plugin
from marketbridge_amazon.demo import SCENARIO, DemoWorld

DE = "A1PA6795UKMFR9"


@pytest.fixture
def demo(make_app, clock):
    make_app(plugins=[example_shop, plugin], load_entrypoints=False)
    parties = choose(current_host())
    with parties.channel.emulator.serve() as amazon, parties.shop.emulator.serve() as shop:
        yield parties, ensure_rows(current_host(), parties, shop.url, amazon.url)


def test_the_demo_prefers_amazon_and_wires_a_connection(demo):
    parties, connection = demo
    assert parties.channel_kind == "amazon" and parties.shop_kind == "example_shop"
    assert (connection.marketplace, connection.default_carrier, connection.require_weights) == (DE, "DHL", True)
    assert connection.account.settings["demo"] and connection.account.settings["endpoint"].startswith("http://127.")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() >= 10
    assert current_host().channel_adapter(connection).check_connection().ok


def test_the_demo_world_moves(demo, clock):
    parties, connection = demo
    host = current_host()
    world: DemoWorld = parties.channel.emulator.demo_world
    world.interval = timedelta(seconds=15)  # the whole scenario within three minutes (40 s in the real demo)
    for _ in range(7):  # a step every 30 seconds, the scheduler's cycles every two minutes
        for _ in range(4):
            clock.advance(seconds=30)
            parties.channel.step(clock.now())
        parties.shop.step(clock.now())
        work.connection_cycle(host, connection.id)
        work.shop_cycle(host, connection.shop_id)

    assert len(world.placed) >= len(SCENARIO) + 3, "a few orders at once, then one per interval"
    orders = {o.marketplace_order_id: o for o in db.session.execute(sa.select(Order)).scalars()}
    state = {scene.name: orders[order.order_id].state for scene, order in world.placed[:len(SCENARIO)]}
    assert state["prime"] == state["pickup"] == state["business"] == state["multi_line"] == "created"
    assert state["unknown_sku"] == state["no_weight"] == "held"
    assert state["pending_then_unshipped"] == "created" and state["cancelled_while_pending"] == "skipped"
    first = dict((scene.name, order) for scene, order in world.placed[:len(SCENARIO)])
    assert orders[first["prime"].order_id].prime and "Amazon Prime Order" in orders[first["prime"].order_id].tags
    assert orders[first["pickup"].order_id].payload["pickup_store_code"] == "MB-STORE-BERLIN"
    assert orders[first["business"].order_id].business
    codes = Counter(db.session.execute(sa.select(SyncProblem.code)).scalars())
    assert codes["product_not_found"] >= 1 and codes["missing_weight"] >= 1
    confirmations = parties.channel.emulator.confirmations
    assert confirmations, "the demo merchant's shipments reached Amazon"
    assert all(c["body"]["packageDetail"]["carrierCode"].startswith("DHL") for c in confirmations)
    assert db.session.get(Connection, connection.id).account.auth_problem is None
