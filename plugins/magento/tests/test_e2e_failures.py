"""Crashes and Magento failures through the engine, on SQLite and PostgreSQL: after rerunning the cycles
(clock moved past leases and backoff) there is exactly one Magento order, one marketplace call, nothing lost
(O1, C9, S3)."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from email.utils import format_datetime

import pytest
import sqlalchemy as sa

from marketbridge.engine.leases import LeaseLost
from marketbridge.models import Order, OutboxMessage, Shop, SyncProblem, db
from marketbridge.testing import Fault
from marketbridge.testing.crash import SimulatedCrash, crash_at

from .conftest import FAULT_HTTP_TIMEOUT

PIPELINE_POINTS = ["pipeline.before_shop_call", "pipeline.after_shop_call", "pipeline.before_commit",
                   "pipeline.after_commit"]
DELIVERY_POINTS = ["changes.before_commit", "outbox.before_send", "outbox.after_send", "outbox.before_commit",
                   "outbox.after_commit"]
PLACE = r"/carts/\d+/order$"
TRACKING = "00340434161234567890"


def rerun(loop, step, rounds: int = 1, minutes: int = 10):
    """Run ``step`` like the scheduler would, letting leases of a 'dead' worker and backoff expire."""
    for _ in range(rounds):
        loop.clock.advance(minutes=minutes)
        try:
            step()
        except LeaseLost:
            pass


def placements(emulator) -> int:
    """Checkouts that reached Magento's handler (a fault that answered instead of the handler does not count)."""
    return len([c for c in emulator.calls("PUT", "/order") if c.fault in (None, "after", "malformed")])


def assert_each_order_once(loop, emulator, oids):
    refs = sorted(o.get("ext_order_id") for o in emulator.shop.orders.values())
    assert refs == sorted(f"example_channel:{oid}" for oid in oids), "every order exactly once in Magento"
    assert placements(emulator) == len(oids), "no checkout was placed twice"
    assert [o.state for o in loop.orders()] == ["created"] * len(oids), "nothing lost"
    for row in loop.orders():
        order = emulator.shop.order(int(row.shop_order_id))
        comments = [h for h in order["status_histories"] if "imported by Marketbridge" in h["comment"]]
        assert len(comments) == 1, "the marketplace comment is written once"


@pytest.mark.parametrize("point", PIPELINE_POINTS)
def test_crash_while_creating_orders_heals_without_duplicates(magento_loop, emulator, point):
    loop = magento_loop()
    oids = [loop.marketplace.add_order(skus=[("MB-CANDLE", 1)]) for _ in range(2)]
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            loop.cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(loop, loop.cycle)
    assert_each_order_once(loop, emulator, oids)


@pytest.mark.parametrize("point", DELIVERY_POINTS)
def test_crash_while_reporting_a_shipment_sends_it_once(magento_loop, emulator, point):
    loop = magento_loop()
    oid = loop.marketplace.add_order(skus=[("MB-CANDLE", 2)])
    loop.cycle()
    loop.shop_cycle()
    emulator.ship_order(int(loop.orders()[0].shop_order_id), carrier_code="dhl", title="DHL", tracking_number=TRACKING)
    loop.clock.advance(seconds=61)
    with crash_at(point) as fired:
        with pytest.raises(SimulatedCrash):
            loop.shop_cycle()
    assert fired == [point]
    db.session.rollback()
    rerun(loop, loop.shop_cycle)

    assert [(s["order_id"], s["tracking"], s["carrier"]) for s in loop.marketplace.shipments] == [(oid, TRACKING, "DHL")]
    assert len([c for c in loop.marketplace.calls("POST") if c.path.endswith("/shipments")]) == 1, \
        "the marketplace was called once, also after the crash"
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.state == "delivered" and message.payload["lines"] == [{"line_id": f"{oid}-1", "quantity": 2}]


MAGENTO_ERROR = json.dumps({"message": "Internal Error. Details are available in Magento log file. Report ID: %1",
                            "parameters": ["webapi-6a3f"]})
CREATE_FAILURES = {
    # the checkout never reached Magento: the retry places it with a new cart
    "timeout before placing": Fault(kind="timeout", method="PUT", path=PLACE),
    "5xx before the cart": Fault(status=503, body=MAGENTO_ERROR, method="POST", path=r"/carts/$"),
    # Magento placed the order but the answer was lost: the retry finds it by its e-mail address and finishes it
    "timed out after placing": Fault(kind="after", status=504, body="<html>Gateway Time-out</html>", method="PUT",
                                     path=PLACE),
    "garbled answer to placing": Fault(kind="malformed", method="PUT", path=PLACE),
    "5xx after the comment": Fault(kind="after", status=500, body=MAGENTO_ERROR, method="POST",
                                   path=r"/orders/\d+/comments$"),
    # the final save with ext_order_id went through: the retry's lookup finds the order
    "5xx after the final save": Fault(kind="after", status=502, body="Bad Gateway", method="POST", path=r"/V1/orders$"),
    "garbled answer to the final save": Fault(kind="malformed", method="POST", path=r"/V1/orders$"),
}


def test_magento_failures_while_creating_are_retried_without_duplicates(magento_loop, emulator):
    loop = magento_loop(http_timeout=FAULT_HTTP_TIMEOUT)
    oids = []
    for case, template in CREATE_FAILURES.items():
        oids.append(loop.marketplace.add_order(skus=[("MB-MUG-RED", 1)]))
        fault = emulator.faults.add(dataclasses.replace(template))  # a fresh switch for each run
        loop.clock.advance(minutes=2)  # the marketplace is due for a fetch again
        report = loop.cycle()
        assert fault.fired == 1 and report.created == 0, case
        row = next(o for o in loop.orders() if o.marketplace_order_id == oids[-1])
        assert row.state == "creating" and row.last_error, f"{case}: the order waits for the retry, with the reason"
        rerun(loop, loop.cycle)
        assert_each_order_once(loop, emulator, oids)
        order = emulator.shop.order(int(loop.orders()[-1].shop_order_id))
        assert order["grand_total"] == 14.90 + 4.90, case


def test_429_waits_as_long_as_magento_asks(magento_loop, emulator):
    loop = magento_loop()
    oids = []
    for form in ("seconds", "HTTP date"):
        oids.append(loop.marketplace.add_order())
        loop.clock.advance(minutes=2)
        value = "120" if form == "seconds" else format_datetime(
            loop.clock.now().replace(microsecond=0) + timedelta(seconds=120), usegmt=True)
        emulator.faults.add(Fault(status=429, body=json.dumps({"message": "Too Many Requests"}),
                                  headers={"Retry-After": value}, method="POST", path=r"/carts/\d+/items$"))
        assert loop.cycle().created == 0
        loop.clock.advance(seconds=100)
        assert loop.cycle().created == 0, f"{form}: not before Magento's Retry-After (on the app's clock)"
        loop.clock.advance(seconds=21)
        assert loop.cycle().created == 1, form
    assert_each_order_once(loop, emulator, oids)


def test_401_pauses_the_shop_until_access_is_fixed_then_creates_once(magento_loop, emulator):
    loop = magento_loop()
    oid = loop.marketplace.add_order()
    emulator.granted.discard("Magento_Cart::manage")  # the integration lost "Carts > Manage carts"
    assert loop.cycle().created == 0
    shop = db.session.get(Shop, loop.connection.shop_id)
    assert "Magento_Cart::manage" in shop.auth_problem and "Reauthorize" in shop.auth_problem
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert "Magento_Cart::manage" in problem.params["error"]
    loop.clock.advance(minutes=10)
    loop.cycle()
    assert emulator.shop.orders == {}, "paused: nothing is tried while access is refused"

    emulator.granted.add("Magento_Cart::manage")  # the merchant ticks the resource and reauthorizes ...
    shop.auth_problem = None  # ... and saves the shop's access details (what the shop form does)
    db.session.commit()
    rerun(loop, loop.cycle, rounds=1)
    assert_each_order_once(loop, emulator, [oid])


def test_failures_while_polling_changes_lose_no_shipment(magento_loop, emulator):
    loop = magento_loop()
    oid = loop.marketplace.add_order()
    loop.cycle()
    loop.shop_cycle()
    emulator.ship_order(int(loop.orders()[0].shop_order_id), carrier_code="dhl", title="DHL", tracking_number=TRACKING)
    emulator.faults.add(Fault(status=503, body=MAGENTO_ERROR, method="GET", path=r"/V1/shipments$"))
    emulator.faults.add(Fault(kind="malformed", method="GET", path=r"/V1/orders$"))
    loop.clock.advance(seconds=61)
    loop.shop_cycle()
    assert loop.marketplace.shipments == []
    rerun(loop, loop.shop_cycle, minutes=2)
    assert [(s["order_id"], s["tracking"]) for s in loop.marketplace.shipments] == [(oid, TRACKING)]
    assert db.session.execute(sa.select(Order.state)).scalar_one() == "created"
