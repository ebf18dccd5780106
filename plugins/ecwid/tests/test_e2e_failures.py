"""Crashes and Ecwid failures end to end, on SQLite and PostgreSQL: rerunning heals everything.

After a simulated crash at each engine checkpoint, or one of Ecwid's own
failures, the jobs run again as the scheduler would (past leases and
backoff): exactly one Ecwid order per marketplace order, one marketplace
call per shipment, nothing lost.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketbridge.engine.checkpoints import CHECKPOINTS
from marketbridge.models import Order, OutboxMessage, Shop, SyncProblem, db
from marketbridge.testing import Fault
from marketbridge.testing.crash import SimulatedCrash, crash_at

PIPELINE_POINTS = [p for p in CHECKPOINTS if p.startswith("pipeline.")]
OUTBOX_POINTS = [p for p in CHECKPOINTS if p.startswith("outbox.")]
TRACKING = "00340434116100000014"


def rerun(ecwid, step, times: int = 3) -> None:
    """Run ``step`` again like the scheduler: each time after the dead worker's leases and any backoff expired."""
    for _ in range(times):
        ecwid.clock.advance(minutes=10)
        step()


def assert_imported_once(ecwid, marketplace_id: str) -> None:
    order = ecwid.ecwid_order(marketplace_id)  # exactly one Ecwid order carries the reference
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert (row.state, row.shop_order_id) == ("created", order["id"])
    assert len(ecwid.store.orders) == 1
    assert ecwid.store.stock_of("MB-MUG-BLUE") == 119, "Ecwid moved the stock once"


@pytest.mark.parametrize("point", PIPELINE_POINTS)
def test_crash_while_importing_heals_without_a_second_order(ecwid_loop, any_database_url, point):
    ecwid = ecwid_loop()
    marketplace_id = ecwid.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])

    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        ecwid.loop.cycle()
    db.session.rollback()
    assert fired == [point]
    rerun(ecwid, ecwid.loop.cycle)

    assert_imported_once(ecwid, marketplace_id)
    assert ecwid.creates() == 1, "one create call in all: the retry found the order"


@pytest.mark.parametrize("point", OUTBOX_POINTS)
def test_crash_while_delivering_a_shipment_sends_it_once(ecwid_loop, any_database_url, point):
    ecwid = ecwid_loop()
    marketplace_id, ecwid_id = ecwid.import_order(skus=[("MB-CANDLE", 2)])
    ecwid.store.ship_order(ecwid_id, TRACKING, carrier="DHL")

    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        ecwid.poll()
    db.session.rollback()
    assert fired == [point]
    rerun(ecwid, ecwid.loop.shop_cycle)

    sends = [c for c in ecwid.marketplace.calls("POST") if c.path.endswith("/shipments")]
    assert len(sends) == 1, "the marketplace was called once, also after the crash"
    assert [(s["order_id"], s["carrier"], s["tracking"], s["lines"]) for s in ecwid.marketplace.shipments] == [
        (marketplace_id, "DHL", TRACKING, [{"item": f"{marketplace_id}-1", "qty": 2}])]
    assert db.session.execute(sa.select(OutboxMessage.state)).scalars().all() == ["delivered"]


@pytest.mark.parametrize("make_fault", [
    lambda: Fault(kind="malformed", method="POST", path=r"/orders$"),
    lambda: Fault(kind="after", status=502, method="POST", path=r"/orders$"),
], ids=["garbled-answer", "502-after-commit"])
def test_create_that_happened_but_failed_to_answer_is_found_not_repeated(ecwid_loop, any_database_url, make_fault):
    ecwid = ecwid_loop()
    fault = ecwid.store.faults.add(make_fault())
    marketplace_id = ecwid.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])

    report = ecwid.loop.cycle()
    assert report.created == 0 and fault.fired == 1
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert row.state == "creating" and row.last_error, "kept for a retry, with the reason"
    rerun(ecwid, ecwid.loop.cycle)

    assert_imported_once(ecwid, marketplace_id)
    assert ecwid.creates() == 1
    history = db.session.execute(sa.text("select message from order_events")).scalars().all()
    assert any("created earlier" in m for m in history), "the retry found the order instead of creating it"


def test_create_that_timed_out_after_ecwid_committed_is_found(ecwid_loop, any_database_url):
    ecwid = ecwid_loop(app_settings={"HTTP_TIMEOUT": 2.0})
    ecwid.store.stall_next_create()
    marketplace_id = ecwid.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])

    assert ecwid.loop.cycle().created == 0
    rerun(ecwid, ecwid.loop.cycle)

    assert_imported_once(ecwid, marketplace_id)
    assert ecwid.creates() == 1


def test_rate_limit_waits_for_retry_after_then_creates_once(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    ecwid.store.faults.add(Fault(status=429, headers={"Retry-After": "90", "Content-Type": "application/json"},
                                 body='{"errorCode": "RATE_LIMITED", "errorMessage": "Too many requests"}',
                                 method="POST", path=r"/orders$"))
    marketplace_id = ecwid.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])

    assert ecwid.loop.cycle().created == 0
    ecwid.clock.advance(seconds=60)
    assert ecwid.loop.cycle().created == 0, "not before Ecwid's Retry-After"
    assert ecwid.creates() == 1
    ecwid.clock.advance(seconds=31)
    assert ecwid.loop.cycle().created == 1

    assert_imported_once(ecwid, marketplace_id)
    assert ecwid.creates() == 2, "the refused call, then the one that created the order"


def test_refused_token_pauses_the_shop_with_a_plain_reason_until_fixed(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    ecwid.store.faults.add(Fault(status=401, method="GET", path=r"/products$"))
    marketplace_id = ecwid.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])

    ecwid.loop.cycle()
    shop = db.session.get(Shop, ecwid.connection.shop_id)
    assert "secret token" in (shop.auth_problem or "")
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert "paused" in problem.message
    rerun(ecwid, ecwid.loop.cycle, times=1)
    assert ecwid.store.orders == {}, "paused: nothing is tried while the token is refused"

    shop.auth_problem = None  # the merchant saves a working token (the shop form clears the problem)
    db.session.commit()
    rerun(ecwid, ecwid.loop.cycle)
    assert_imported_once(ecwid, marketplace_id)


def test_ecwid_outage_while_reading_changes_delays_the_shipment_but_loses_nothing(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    marketplace_id, ecwid_id = ecwid.import_order()
    ecwid.store.ship_order(ecwid_id, TRACKING, carrier="DHL")
    ecwid.store.faults.add(Fault(status=503, method="GET", path=r"/orders$", times=2))

    ecwid.poll()
    assert ecwid.marketplace.shipments == []
    rerun(ecwid, ecwid.loop.shop_cycle)

    assert [s["tracking"] for s in ecwid.marketplace.shipments] == [TRACKING]
