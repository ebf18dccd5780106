"""Crashes and the shop's failures through the engine, on SQLite and PostgreSQL: whatever breaks, the
rerun leaves exactly one Shopware order, one marketplace call per change, and nothing lost (O1, C9, S3).

Each crash is simulated at an engine checkpoint (``crash_at``); each shop failure is one of the
emulator's fault switches on ``POST /api/order``. The cycles are then rerun like the scheduler
would, with the clock moved past leases and backoff.
"""
from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
import sqlalchemy as sa

from marketbridge.engine.leases import LeaseLost
from marketbridge.models import Order, SyncProblem, db
from marketbridge.testing.crash import SimulatedCrash, crash_at
from marketbridge.testing.faults import Fault

from sw_engine import ShopwareRun

PIPELINE_POINTS = ["pipeline.before_shop_call", "pipeline.after_shop_call", "pipeline.before_commit",
                   "pipeline.after_commit"]
DELIVERY_POINTS = ["changes.before_commit", "outbox.before_send", "outbox.after_send", "outbox.before_commit",
                   "outbox.after_commit"]
CREATE = r"^/api/order$"


def rerun(run: ShopwareRun, step, times: int = 2) -> None:
    """Run ``step`` again like the scheduler, letting the dead worker's leases and any backoff expire."""
    for _ in range(times):
        run.clock.advance(minutes=10)
        try:
            step()
        except LeaseLost:
            pass


def assert_one_order(run: ShopwareRun, oid: str) -> None:
    [row] = run.loop.orders()
    assert row.state == "created", (row.state, row.last_error, row.holds)
    assert [o["reference"] for o in run.shop_orders()] == [f"example_channel:{oid}"], "exactly one Shopware order"
    assert [o["id"] for o in run.shop_orders()] == [row.shop_order_id]


@pytest.mark.parametrize("point", PIPELINE_POINTS)
def test_crash_while_creating_heals_with_one_shopware_order(any_database_url: str, sw_loop, point: str) -> None:
    run: ShopwareRun = sw_loop()
    oid = run.marketplace.add_order(skus=[("MB-CANDLE", 3)])
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        run.loop.cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(run, run.loop.cycle)
    assert_one_order(run, oid)
    assert len(run.creates()) == 1, "the retry looked the order up instead of creating it again"
    assert run.shop.product_by_number("MB-CANDLE")["stock"] == 197, "stock moved once"


@pytest.mark.parametrize("point", DELIVERY_POINTS)
def test_crash_while_reporting_a_shipment_sends_it_once(any_database_url: str, sw_loop, point: str) -> None:
    run: ShopwareRun = sw_loop()
    oid, shop_order = run.imported(skus=[("MB-BOOK-COOK", 2)])
    run.loop.shop_cycle()
    run.shop.ship(shop_order, "00340434161094042557", carrier="DHL")
    run.clock.advance(seconds=61)
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        run.loop.shop_cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(run, run.loop.shop_cycle)
    assert [(s["order_id"], s["tracking"], s["carrier"], s["lines"]) for s in run.marketplace.shipments] == [
        (oid, "00340434161094042557", "DHL", [{"item": f"{oid}-1", "qty": 2}])]
    sends = [c for c in run.marketplace.calls("POST") if c.path.endswith("/shipments")]
    assert len(sends) == 1, "the marketplace was called once, also after the crash"
    assert [m.state for m in run.outbox()] == ["delivered"]


@pytest.mark.parametrize(("fault", "saved"), [
    pytest.param(lambda shop: shop.faults.add(Fault(kind="timeout", method="POST", path=CREATE)), False,
                 id="timeout-before-saving"),
    pytest.param(lambda shop: shop.hang_after.add(Fault(method="POST", path=CREATE)), True,
                 id="timeout-after-saving"),
    pytest.param(lambda shop: shop.faults.add(Fault(kind="malformed", method="POST", path=CREATE)), True,
                 id="garbled-answer-after-saving"),
    pytest.param(lambda shop: shop.faults.add(Fault(kind="after", status=503, method="POST", path=CREATE)), True,
                 id="5xx-after-saving"),
])
def test_create_that_failed_on_the_way_is_retried_and_never_duplicated(any_database_url: str, sw_loop, fault,
                                                                        saved: bool) -> None:
    run: ShopwareRun = sw_loop(settings={"HTTP_TIMEOUT": 2.0})
    oid = run.marketplace.add_order(skus=[("MB-KETTLE", 1)])
    fault(run.shop)
    report = run.loop.cycle()
    assert report.created == 0
    [row] = run.loop.orders()
    assert row.state == "creating" and row.last_error, "claimed, not lost; the reason is kept"
    assert len(run.shop_orders()) == (1 if saved else 0)
    rerun(run, run.loop.cycle)
    assert_one_order(run, oid)
    assert len(run.creates()) == (1 if saved else 2), "a saved order is found, an unsaved one created once"


def test_429_waits_as_long_as_the_shop_asks(any_database_url: str, sw_loop) -> None:
    """``Retry-After`` in seconds, then as an HTTP date (read against the adapter's clock)."""
    run: ShopwareRun = sw_loop()
    oid = run.marketplace.add_order()
    body = '{"errors":[{"status":"429","code":"TOO_MANY_REQUESTS","title":"Too Many Requests","detail":"Slow down."}]}'
    for retry_after, creates in (("30", 1), (format_datetime(run.clock.now() + timedelta(seconds=60), usegmt=True), 2)):
        run.shop.faults.add(Fault(status=429, method="POST", path=CREATE, body=body,
                                  headers={"Retry-After": retry_after, "Content-Type": "application/json"}))
        assert run.loop.cycle().created == 0 and len(run.creates()) == creates
        cursor = run.cursor("connection", "pipeline")
        waits = (cursor.not_before.replace(tzinfo=run.clock.now().tzinfo) - run.clock.now()).total_seconds()
        assert 29 <= waits <= 30, waits
        run.clock.advance(seconds=20)
        assert run.loop.cycle().created == 0 and len(run.creates()) == creates, "nothing is sent before its time"
        run.clock.advance(seconds=11)
    assert run.loop.cycle().created == 1
    assert_one_order(run, oid)
    assert len(run.creates()) == 3


def test_401_pauses_the_shop_tells_what_to_fix_and_resumes_without_duplicates(any_database_url: str,
                                                                               sw_loop) -> None:
    run: ShopwareRun = sw_loop()
    oid = run.marketplace.add_order()
    unauthorized = ('{"errors":[{"status":"401","code":"9","title":"Unauthorized",'
                    '"detail":"Access token could not be verified."}]}')
    run.shop.faults.add(Fault(status=401, method="POST", path=CREATE, times=2, body=unauthorized,
                              headers={"Content-Type": "application/json"}))
    assert run.loop.cycle().created == 0
    assert len(run.creates()) == 2, "one retry with a fresh token, then it stops"
    shop = run.shop_row
    assert shop.auth_problem and "Settings > System > Integrations" in shop.auth_problem
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert "paused" in problem.message
    run.clock.advance(minutes=10)
    assert run.loop.cycle().created == 0 and len(run.creates()) == 2, "paused until the merchant acts"
    shop.auth_problem = None  # what saving the shop's credentials again does
    db.session.commit()
    rerun(run, run.loop.cycle)
    assert_one_order(run, oid)
    assert len(run.creates()) == 3
    assert db.session.execute(sa.select(Order.attempts)).scalar_one() == 1
