"""Crash safety: a crash at any engine checkpoint heals on retry — no duplicate shop order,
no duplicate marketplace call, nothing lost (O1, S3, C9). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketbridge.engine import inbox, outbox, pipeline, shop_changes
from marketbridge.engine.leases import LeaseLost
from marketbridge.models import Order, OrderState, OutboxMessage, db
from marketbridge.testing.crash import SimulatedCrash, crash_at

IMPORT_POINTS = ["inbox.before_commit", "inbox.after_commit", "pipeline.before_shop_call",
                 "pipeline.after_shop_call", "pipeline.before_commit", "pipeline.after_commit"]
DELIVERY_POINTS = ["changes.before_commit", "outbox.before_send", "outbox.after_send", "outbox.before_commit",
                   "outbox.after_commit"]


@pytest.fixture
def loop_any_db(any_database_url, loop):
    """The example loop on SQLite and on PostgreSQL."""
    return loop


def run_until_quiet(loop, steps):
    """Rerun the given engine steps like the scheduler would, letting leases of the 'dead' worker expire."""
    for _ in range(4):
        loop.clock.advance(minutes=10)
        for step in steps:
            try:
                step()
            except LeaseLost:
                pass


def import_steps(loop):
    return [lambda: inbox.fetch_orders(loop.host, loop.connection_id),
            lambda: pipeline.process_orders(loop.host, loop.connection_id)]


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_crash_during_import_heals_without_duplicates(loop_any_db, point):
    loop = loop_any_db
    ids = [loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)]) for _ in range(3)]
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            inbox.fetch_orders(loop.host, loop.connection_id)
            pipeline.process_orders(loop.host, loop.connection_id)
    assert fired == [point]
    db.session.rollback()
    run_until_quiet(loop, import_steps(loop))

    refs = sorted(o["external_ref"] for o in loop.shop.orders.values())
    assert refs == sorted(f"example_channel:{i}" for i in ids), "every order exactly once in the shop"
    rows = db.session.execute(sa.select(Order.state)).scalars().all()
    assert rows == [OrderState.CREATED] * 3
    creates = loop.shop.calls("POST", "/orders")
    assert len([c for c in creates if c.path == "/orders"]) == 3, "no create was repeated"


@pytest.mark.parametrize("point", DELIVERY_POINTS)
def test_crash_during_shipment_delivery_sends_once(loop_any_db, point):
    loop = loop_any_db
    oid = loop.marketplace.add_order(skus=[("MB-CANDLE", 2)])
    inbox.fetch_orders(loop.host, loop.connection_id)
    pipeline.process_orders(loop.host, loop.connection_id)
    shop_order = next(iter(loop.shop.orders))
    loop.shop.ship(shop_order, "00340434161234567890", carrier="DHL")

    steps = [lambda: shop_changes.poll_shop_changes(loop.host, loop.connection.shop_id),
             lambda: outbox.deliver(loop.host, loop.connection_id)]
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            for step in steps:
                step()
    assert fired == [point]
    db.session.rollback()
    run_until_quiet(loop, steps)

    assert [(s["order_id"], s["tracking"]) for s in loop.marketplace.shipments] == [(oid, "00340434161234567890")]
    sends = [c for c in loop.marketplace.calls("POST") if c.path.endswith("/shipments")]
    assert len(sends) == 1, "the marketplace was called once, also after the crash"
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.state == "delivered"
    assert message.payload["lines"] == [{"line_id": f"{oid}-1", "quantity": 2}]


def test_crash_between_claim_and_create_does_not_let_a_second_route_duplicate(loop_any_db):
    """C9 under a crash: the claim is committed before the shop call, so the other route backs off."""
    loop = loop_any_db
    second = loop.wire(marketplace="A13V1IB3VIYZZH", shop=loop.connection.shop)
    oid = loop.marketplace.add_order()
    with crash_at("pipeline.before_shop_call"):
        with pytest.raises(SimulatedCrash):
            inbox.fetch_orders(loop.host, loop.connection_id)
            pipeline.process_orders(loop.host, loop.connection_id)
    db.session.rollback()
    inbox.fetch_orders(loop.host, second.id)
    pipeline.process_orders(loop.host, second.id)
    run_until_quiet(loop, import_steps(loop))
    states = dict(db.session.execute(sa.select(Order.connection_id, Order.state)).all())
    assert states == {loop.connection_id: "created", second.id: "duplicate"}
    assert len(loop.shop.orders) == 1
    assert oid in next(iter(loop.shop.orders.values()))["external_ref"]
