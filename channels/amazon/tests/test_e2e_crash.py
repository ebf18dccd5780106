"""Crash safety with the Amazon channel: the worker dies at each engine checkpoint, the jobs run again.

After every crash the cycles are rerun like the scheduler would (the clock moves past the dead worker's
leases and the retry backoff). Whatever the checkpoint: one shop order per Amazon order, one
``confirmShipment`` per shipment, nothing lost. SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketbridge.engine.checkpoints import CHECKPOINTS
from marketbridge.jobs import work
from marketbridge.models import Order, OrderEvent, OutboxMessage, db
from marketbridge.testing.crash import SimulatedCrash, crash_at

IMPORT_POINTS = [p for p in CHECKPOINTS if p.startswith(("inbox.", "pipeline."))]
DELIVERY_POINTS = [p for p in CHECKPOINTS if p.startswith("outbox.")]


def test_every_import_and_delivery_checkpoint_is_covered():
    assert len(IMPORT_POINTS) == 6 and len(DELIVERY_POINTS) == 4


def heal(loop, shop: bool = False) -> None:
    """Rerun the jobs as the scheduler would, letting the dead worker's leases expire."""
    for _ in range(2):
        loop.clock.advance(minutes=10)
        work.connection_cycle(loop.host, loop.connection.id)
        if shop:
            loop.loop.shop_cycle()


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_a_crash_while_importing_heals_without_duplicates(any_database_url, amazon_loop, point):
    loop = amazon_loop()
    placed = [loop.place(prime=True, skus=[("MB-MUG-BLUE", 2), "MB-CANDLE"]), loop.place(skus=["MB-KETTLE"])]
    loop.clock.advance(minutes=5)
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            work.connection_cycle(loop.host, loop.connection.id)
    assert fired == [point]
    db.session.rollback()
    heal(loop)

    assert sorted(o["external_ref"] for o in loop.shop.orders.values()) == sorted(
        f"amazon:{p.order_id}" for p in placed), "every Amazon order exactly once in the shop"
    assert {o.marketplace_order_id: o.state for o in loop.orders()} == {p.order_id: "created" for p in placed}
    creates = [c for c in loop.shop.calls("POST", "/orders") if c.path == "/orders"]
    assert len(creates) == 2, "no order was created twice"


@pytest.mark.parametrize("point", DELIVERY_POINTS)
def test_a_crash_while_confirming_a_shipment_sends_it_once(any_database_url, amazon_loop, point):
    loop = amazon_loop()
    placed = loop.place(skus=[("MB-TEE-M", 2)])
    loop.import_now()
    shop_order = loop.shop_order_of(placed.order_id)["id"]
    loop.shop.ship(shop_order, "00340434161234567890", carrier="DHL")
    loop.clock.advance(minutes=2)
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            loop.loop.shop_cycle()
    assert fired == [point]
    db.session.rollback()
    heal(loop, shop=True)

    sends = loop.emulator.calls("POST", "/shipmentConfirmation")
    assert len(sends) == 1 and len(loop.emulator.confirmations) == 1, "Amazon was asked once, also after the crash"
    detail = sends[0].json()["packageDetail"]
    assert detail["orderItems"] == [{"orderItemId": placed.items[0].order_item_id, "quantity": 2}]
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalar_one()
    assert message.state == "delivered"
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=placed.order_id)).scalar_one()
    assert [line.quantity_shipped for line in row.lines] == [2]
    notes = [e.data.get("note", "") for e in db.session.execute(
        sa.select(OrderEvent).filter_by(order_id=row.id, kind="shipment_sent")).scalars()]
    if point in ("outbox.after_send", "outbox.before_commit"):  # sent, not recorded: read back from Amazon
        assert notes == [" (confirmed by the marketplace after an interruption)"]
    else:
        assert notes == [""]
