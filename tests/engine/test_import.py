"""Orders from the marketplace into the shop: inbox, pipeline, holds, waiting, duplicates (O1, C2–C5, C9)."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.engine import inbox, pipeline
from marketbridge.jobs import work
from marketbridge.models import Order, OrderState, SyncProblem, db


def states(connection_id: int) -> dict[str, str]:
    rows = db.session.execute(sa.select(Order.marketplace_order_id, Order.state)
                              .where(Order.connection_id == connection_id)).all()
    return dict(rows)


def test_orders_are_created_in_the_shop_once(loop):
    first = loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    second = loop.marketplace.add_order(skus=[("MB-KETTLE", 1)], prime=True)

    report = work.connection_cycle(loop.host, loop.connection_id)
    assert report.created == 2
    work.connection_cycle(loop.host, loop.connection_id)
    loop.clock.advance(minutes=2)
    work.connection_cycle(loop.host, loop.connection_id)

    assert states(loop.connection_id) == {first: "created", second: "created"}
    assert sorted(o["external_ref"] for o in loop.shop.orders.values()) == [
        f"example_channel:{first}", f"example_channel:{second}"]
    created = next(o for o in loop.shop.orders.values() if o["external_ref"].endswith(second))
    assert created["marker"] == "Example Marketplace"
    assert "Example Prime" in created["tags"]
    assert [line["unit_price"] for line in created["lines"]] == ["39.00"], "marketplace price kept as charged"


def test_inactive_connection_fetches_nothing(loop):
    """C2: a connection is created inactive and nothing is fetched until activation."""
    inactive = loop.wire(active=False, marketplace="OTHER")
    loop.marketplace.add_order()
    outcome = inbox.fetch_orders(loop.host, inactive.id)
    assert outcome.skipped == "inactive"
    assert not loop.marketplace.calls("GET", "/orders")


def test_unmatched_product_holds_only_that_order(loop):
    """C5: an unknown product holds the order with a reason; other orders go on; fixed → imported."""
    held = loop.marketplace.add_order(skus=[("MB-UNKNOWN", 1)])
    fine = loop.marketplace.add_order(skus=[("MB-CANDLE", 3)])
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id) == {held: "held", fine: "created"}
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=held)).scalar_one()
    assert order.holds[0]["code"] == "product_not_found"
    assert "MB-UNKNOWN" in order.holds[0]["params"]["value"]
    problem = db.session.execute(sa.select(SyncProblem).filter_by(order_id=order.id)).scalar_one()
    assert problem.code == "product_not_found" and problem.resolved_at is None

    loop.shop.products["99"] = {"id": "99", "sku": "MB-UNKNOWN", "ean": "1", "name": "New", "weight": "1",
                                "stock": 5, "active": True}
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id)[held] == "held", "re-checked only after the hold period"
    loop.clock.advance(minutes=6)
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id)[held] == "created"
    db.session.refresh(problem)
    assert problem.resolved_at is not None


def test_missing_weight_holds_when_connection_requires_weights(loop):
    """O4: products without weight hold the order on connections that require weights."""
    loop.connection.require_weights = True
    db.session.commit()
    oid = loop.marketplace.add_order(skus=[("MB-LAMP-NOWEIGHT", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    assert order.state == OrderState.HELD
    assert [h["code"] for h in order.holds] == ["missing_weight"]


def test_disabled_product_is_held_not_sent(loop):
    oid = loop.marketplace.add_order(skus=[("MB-RETIRED", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    assert [h["code"] for h in order.holds] == ["product_inactive"]
    assert not loop.shop.orders


def test_invalid_marketplace_data_is_held_with_raw_data(loop):
    """Bad input from the marketplace becomes a held order with its reason, never lost."""
    oid = loop.marketplace.add_order(broken=True)
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    assert order.state == OrderState.HELD
    assert order.holds[0]["code"] == "invalid_order_data"
    assert "currency" in order.holds[0]["params"]["details"]
    assert order.raw["currency"] == "euro", "the raw order is kept"
    assert not loop.shop.orders


def test_pending_order_waits_then_imports(loop):
    """A pending order is re-checked until importable; it does not fall behind the watermark."""
    oid = loop.marketplace.add_order(state="pending")
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id)[oid] == "waiting"
    loop.marketplace.orders[oid]["state"] = "paid"  # changed without a new change-log entry: only a re-check sees it
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id)[oid] == "created"
    assert loop.marketplace.calls("GET", f"/orders/{oid}"), "re-checked by id"


def test_cancelled_before_import_is_never_created(loop):
    oid = loop.marketplace.add_order(state="pending")
    work.connection_cycle(loop.host, loop.connection_id)
    loop.marketplace.set_state(oid, "cancelled")
    loop.clock.advance(minutes=2)
    work.connection_cycle(loop.host, loop.connection_id)
    assert states(loop.connection_id)[oid] == "skipped"
    assert not loop.shop.orders


def test_two_routes_to_the_same_order_create_one_shop_order(loop):
    """C9: a second route (connection) delivering the same order to the same shop marks it a duplicate."""
    second = loop.wire(marketplace="A13V1IB3VIYZZH", shop=loop.connection.shop)
    oid = loop.marketplace.add_order(skus=[("MB-MUG-RED", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    work.connection_cycle(loop.host, second.id)
    assert states(loop.connection_id)[oid] == "created"
    assert states(second.id)[oid] == "duplicate"
    assert len(loop.shop.orders) == 1


def test_rate_limit_reschedules_instead_of_sleeping(loop):
    loop.marketplace.bucket.drain()
    loop.marketplace.add_order()
    outcome = inbox.fetch_orders(loop.host, loop.connection_id)
    assert outcome.pages == 0
    cursor = db.session.execute(sa.text("select not_before, value from sync_cursors where stream='orders'")).one()
    assert cursor.value is None, "cursor unchanged"
    assert inbox.fetch_orders(loop.host, loop.connection_id).skipped == "not due"
    loop.clock.advance(seconds=2)
    assert inbox.fetch_orders(loop.host, loop.connection_id).received == 1


def test_shop_outage_stops_the_run_and_keeps_order(loop):
    from marketbridge.testing import Fault

    first = loop.marketplace.add_order()
    second = loop.marketplace.add_order()
    inbox.fetch_orders(loop.host, loop.connection_id)
    loop.shop.faults.add(Fault(status=503, method="POST", path="/orders"))
    outcome = pipeline.process_orders(loop.host, loop.connection_id)
    assert outcome.stopped == "temporary_failure"
    assert states(loop.connection_id) == {first: "creating", second: "creating"}, "claimed, resumed by lookup"
    assert not loop.shop.orders
    assert pipeline.process_orders(loop.host, loop.connection_id).stopped == "not due"
    loop.clock.advance(minutes=10)
    assert pipeline.process_orders(loop.host, loop.connection_id).created == 2
    assert len(loop.shop.orders) == 2


def test_shop_credentials_refused_pauses_with_what_to_fix(loop):
    loop.shop.api_key = "rotated"
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    shop = loop.connection.shop
    db.session.refresh(shop)
    assert "Check the API key" in shop.auth_problem
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert "paused" in problem.message


def test_moving_the_activation_date_back_fetches_older_open_orders(loop):
    """C3: backfill — the window restarts at the earlier date; known orders are not duplicated."""
    from datetime import timedelta

    from marketbridge.engine.inbox import restart_from
    from marketbridge.models import SyncCursor

    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    restart_from(loop.connection, loop.connection.activation_date - timedelta(days=30))
    db.session.commit()
    cursor = db.session.execute(sa.select(SyncCursor).filter_by(stream="orders")).scalar_one()
    assert cursor.value is None
    work.connection_cycle(loop.host, loop.connection_id)
    first_request = loop.marketplace.calls("GET", "/orders")[-1]
    assert first_request.query["after"] == ["0"], "the window starts again"
    assert len(loop.shop.orders) == 1


def test_fixing_credentials_resumes_the_paused_jobs_at_once(loop):
    from marketbridge.engine.failures import resume

    loop.shop.api_key = "rotated"
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    assert loop.connection.shop.auth_problem
    loop.shop.api_key = "shop-key-123456"
    resume(loop.clock.now(), shop=loop.connection.shop)
    db.session.commit()
    assert work.connection_cycle(loop.host, loop.connection_id).created == 1, "no wait for the back-off"
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert problem.resolved_at is not None
