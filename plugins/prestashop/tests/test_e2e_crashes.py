"""Crashes and shop failures through the engine heal on retry: exactly one PrestaShop order, one marketplace
call, nothing lost (O1, C9, S3). SQLite and PostgreSQL.

A crash is simulated at each engine checkpoint (``crash_at``); the shop's own failures come from the
emulator's fault switches. The cycles are then rerun as the scheduler would, with the clock moved past the
dead worker's leases and the backoff.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketbridge.engine.leases import LeaseLost
from marketbridge.models import OutboxMessage, Shop, SyncCursor, SyncProblem, db
from marketbridge.testing import Fault
from marketbridge.testing.crash import SimulatedCrash, crash_at

from .conftest import FAULT_HTTP_TIMEOUT

pytestmark = pytest.mark.usefixtures("any_database_url")

PIPELINE_POINTS = ["pipeline.before_shop_call", "pipeline.after_shop_call", "pipeline.before_commit",
                   "pipeline.after_commit"]
DELIVERY_POINTS = ["changes.before_commit", "outbox.before_send", "outbox.after_send", "outbox.before_commit",
                   "outbox.after_commit"]
DHL = "00340434161094042557"


def rerun(loop, step, rounds: int = 2, minutes: int = 10) -> None:
    """Run ``step`` like the scheduler: every few minutes, past leases of a dead worker and any backoff."""
    for _ in range(rounds):
        loop.clock.advance(minutes=minutes)
        try:
            step()
        except LeaseLost:
            pass


def assert_each_once(loop, shop, ids, unanswered: int = 0) -> None:
    """Every marketplace order is exactly one finished PrestaShop order, created by one POST.

    ``unanswered`` POSTs never reached PrestaShop's code (the emulator's timeout answers nothing).
    """
    notes = [o["note"] for o in shop.orders()]
    for oid in ids:
        assert sum(f"example_channel:{oid}" in note for note in notes) == 1, oid
    assert len(shop.orders()) == len(ids)
    assert len(shop.calls("POST", "/api/orders")) == len(ids) + unanswered, "no order was posted twice"
    assert [o.state for o in loop.orders()] == ["created"] * len(ids)
    assert {o.shop_order_id for o in loop.orders()} == {o["id"] for o in shop.orders()}
    assert all(o["current_state"] == "3" for o in shop.orders())


@pytest.mark.parametrize("point", PIPELINE_POINTS)
def test_a_crash_while_importing_heals_without_a_second_order(loop, shop, point):
    ids = [loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)]) for _ in range(2)]
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        loop.cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(loop, loop.cycle)
    assert_each_once(loop, shop, ids)


@pytest.mark.parametrize("point", DELIVERY_POINTS)
def test_a_crash_while_reporting_a_shipment_sends_it_once(loop, shop, point):
    oid = loop.marketplace.add_order(skus=[("MB-CANDLE", 2)])
    loop.cycle()
    [row] = loop.orders()
    shop.ship_order(row.shop_order_id, DHL, carrier_reference=3)
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        loop.shop_cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(loop, loop.shop_cycle)
    assert [(s["order_id"], s["tracking"], s["carrier"]) for s in loop.marketplace.shipments] == [(oid, DHL, "DHL")]
    sends = [c for c in loop.marketplace.calls("POST") if c.path.endswith("/shipments")]
    assert len(sends) == 1, "the marketplace was called once, also after the crash"
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalar_one()
    assert message.state == "delivered"
    assert message.payload["lines"] == [{"line_id": f"{oid}-1", "quantity": 2}]


@pytest.mark.parametrize("fault", [
    Fault(kind="after", status=504, method="POST", path=r"^/api/orders$"),  # created, then the gateway gave up
    Fault(kind="malformed", method="POST", path=r"^/api/orders$"),  # created, answer garbled
    Fault(kind="timeout", method="POST", path=r"^/api/orders$"),  # no answer in time: unknown to the engine
], ids=["after-504", "garbled", "timeout"])
def test_a_create_that_may_have_happened_is_found_by_its_cart_not_repeated(make_loop, shop, fault):
    loop = make_loop(http_timeout=FAULT_HTTP_TIMEOUT)
    ids = [loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])]
    shop.faults.add(fault)
    report = loop.cycle()
    assert report.created == 0
    [row] = loop.orders()
    assert row.state == "creating" and "PrestaShop" in (row.last_error or "")
    assert len(shop.orders()) == (0 if fault.kind == "timeout" else 1)  # the emulator's timeout never answers
    rerun(loop, loop.cycle)
    assert_each_once(loop, shop, ids, unanswered=1 if fault.kind == "timeout" else 0)
    assert shop.history(shop.orders()[0]["id"]).count(3) == 1


def test_a_429_from_the_shop_waits_for_retry_after_then_imports_once(loop, shop, clock):
    oid = loop.marketplace.add_order()
    shop.faults.add(Fault(status=429, headers={"Retry-After": "120"}, method="POST", path=r"^/api/carts$"))
    loop.cycle()
    cursor = db.session.execute(sa.select(SyncCursor).filter_by(scope="connection", stream="pipeline")).scalar_one()
    assert (cursor.not_before - clock.now()).total_seconds() == 120
    clock.advance(seconds=60)
    assert loop.cycle().created == 0, "not before Retry-After"
    clock.advance(seconds=61)
    assert loop.cycle().created == 1
    assert_each_once(loop, shop, [oid])


def test_a_refused_key_pauses_the_shop_and_nothing_is_lost(loop, shop, clock):
    oid = loop.marketplace.add_order()
    shop.faults.add(Fault(status=401, times=1000))
    loop.cycle()
    shop_row = db.session.get(Shop, loop.connection.shop_id)
    assert "refused the Webservice key" in (shop_row.auth_problem or "")
    assert db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    clock.advance(minutes=10)
    assert loop.cycle().created == 0, "paused until the merchant fixes the key"
    assert shop.orders() == []
    shop.faults.clear()
    shop_row.auth_problem = None  # what saving new credentials on the shop page does
    db.session.commit()
    rerun(loop, loop.cycle, rounds=1)
    assert_each_once(loop, shop, [oid])


def test_a_shop_outage_while_polling_changes_delays_the_shipment_but_sends_it_once(loop, shop, clock):
    oid = loop.marketplace.add_order()
    loop.cycle()
    [row] = loop.orders()
    shop.ship_order(row.shop_order_id, DHL, carrier_reference=3)
    shop.faults.add(Fault(status=503, method="GET", path=r"^/api/orders$", times=2))
    loop.shop_cycle()
    assert loop.marketplace.shipments == []
    rerun(loop, loop.shop_cycle, rounds=3, minutes=2)
    assert [(s["order_id"], s["tracking"]) for s in loop.marketplace.shipments] == [(oid, DHL)]
