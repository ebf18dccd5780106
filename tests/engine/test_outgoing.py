"""From the shop back to the marketplace: statuses (S1, S2), shipments (S3, S4), stock (P1), test orders (C6)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketbridge.engine import outbox, shop_changes, stock
from marketbridge.engine.stock import queue_stock
from marketbridge.jobs import work
from marketbridge.models import CarrierRule, Listing, Order, OutboxMessage, StatusMapping, SyncProblem, db
from marketbridge.testing import Fault


def imported(loop, **order):
    oid = loop.marketplace.add_order(**order)
    work.connection_cycle(loop.host, loop.connection_id)
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    return oid, row.shop_order_id


def test_mapped_status_change_is_sent_once(loop):
    db.session.add(StatusMapping(connection_id=loop.connection_id, marketplace_status="cancelled",
                                 shop_status="cancelled"))
    db.session.commit()
    oid, shop_order = imported(loop)
    loop.shop.set_status(shop_order, "processing")  # not mapped: nothing sent
    loop.shop.set_status(shop_order, "cancelled")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    loop.clock.advance(minutes=2)
    work.shop_cycle(loop.host, loop.connection.shop_id)  # the same events again: still one message
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(oid, "cancelled")]
    history = db.session.execute(sa.text("select kind from order_events order by id")).scalars().all()
    assert "status_not_sent" in history and "status_sent" in history


def test_shipment_uses_detected_carrier_and_lines(loop):
    db.session.add(CarrierRule(connection_id=loop.connection_id, position=0, pattern=r"1Z[0-9A-Z]{16}",
                               carrier_code="UPS"))
    db.session.commit()
    oid, shop_order = imported(loop, skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    loop.shop.ship(shop_order, "1Z999AA10123456784", carrier="United Parcel",
                   lines=[{"sku": "MB-MUG-BLUE", "quantity": 2}])
    work.shop_cycle(loop.host, loop.connection.shop_id)
    [sent] = loop.marketplace.shipments
    assert sent["carrier"] == "UPS" and sent["tracking"] == "1Z999AA10123456784"
    assert sent["lines"] == [{"item": f"{oid}-1", "qty": 2}]
    lines = {line.line_id: line.quantity_shipped for line in
             db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one().lines}
    assert lines == {f"{oid}-1": 2, f"{oid}-2": 0}


def test_shipment_without_default_carrier_is_held_and_explained(loop):
    """S4: without a default carrier tracking codes are not sent, and the merchant is told."""
    loop.connection.default_carrier = None
    db.session.commit()
    oid, shop_order = imported(loop)
    loop.shop.ship(shop_order, "ABC123", carrier="Local courier")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="no_carrier")).scalar_one()
    assert "default carrier" in problem.message
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.state == "failed" and message.last_error == "no_carrier"


def test_carrier_code_the_marketplace_does_not_know_is_not_sent(loop):
    loop.connection.default_carrier = "Hermes Germany"
    db.session.commit()
    _, shop_order = imported(loop)
    loop.shop.ship(shop_order, "H1234567890", carrier="Hermes")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="unknown_carrier_code")).scalar_one()
    assert problem.params["code"] == "Hermes Germany"


def test_refused_shipment_becomes_a_problem_and_stops_retrying(loop):
    oid, shop_order = imported(loop)
    loop.marketplace.faults.add(Fault(status=400, body='{"error": "order already shipped"}',
                                      headers={"Content-Type": "application/json"}, method="POST", path="shipments"))
    loop.shop.ship(shop_order, "123456789", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.state == "failed" and "already shipped" in message.last_error
    assert db.session.execute(sa.select(SyncProblem).filter_by(code="delivery_rejected")).scalar_one()


def test_marketplace_outage_retries_with_backoff(loop):
    oid, shop_order = imported(loop)
    loop.marketplace.faults.add(Fault(status=503, method="POST", path="shipments", times=2))
    loop.shop.ship(shop_order, "123456789", carrier="DHL")
    shop_changes.poll_shop_changes(loop.host, loop.connection.shop_id)
    assert outbox.deliver(loop.host, loop.connection_id).retrying == 1
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    first_wait = message.next_attempt_at - loop.clock.now()
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=10)
    assert outbox.deliver(loop.host, loop.connection_id).delivered == 0, "not before its time"
    loop.clock.advance(seconds=11)
    outbox.deliver(loop.host, loop.connection_id)
    loop.clock.advance(seconds=25)
    assert outbox.deliver(loop.host, loop.connection_id).delivered == 1
    assert len(loop.marketplace.shipments) == 1


def test_test_orders_are_never_sent_back(loop):
    """C6: a test order goes into the shop but nothing about it reaches the marketplace."""
    oid, shop_order = imported(loop)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    order.is_test = True
    db.session.commit()
    loop.shop.ship(shop_order, "123456789", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 0


def listing(loop, sku: str, product_id: str) -> Listing:
    row = Listing(connection_id=loop.connection_id, sku=sku, product_id=product_id, store_code="")
    db.session.add(row)
    db.session.commit()
    return row


def test_stock_change_reaches_marketplace_once_and_deltas_only(loop):
    blue = loop.shop.product_by_sku("MB-MUG-BLUE")
    red = loop.shop.product_by_sku("MB-MUG-RED")
    listing(loop, "MB-MUG-BLUE", blue["id"])
    listing(loop, "MB-MUG-RED", red["id"])
    loop.shop.set_stock("MB-MUG-BLUE", 7)
    loop.shop.set_stock("MB-MUG-BLUE", 5)  # two changes, one update
    loop.shop.set_stock("MB-MUG-RED", 80)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert loop.marketplace.stock_calls == [[{"sku": "MB-MUG-BLUE", "quantity": 5},
                                             {"sku": "MB-MUG-RED", "quantity": 80}]]
    loop.shop.set_stock("MB-MUG-RED", 80)  # unchanged quantity: never re-sent
    loop.clock.advance(minutes=2)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert len(loop.marketplace.stock_calls) == 1


def test_stock_rules_and_refusals(loop):
    loop.connection.settings = {"stock_buffer": 2, "stock_max": 50}
    db.session.commit()
    blue = loop.shop.product_by_sku("MB-MUG-BLUE")
    row = listing(loop, "MB-MUG-BLUE", blue["id"])
    bad = listing(loop, "BAD-SKU", loop.shop.product_by_sku("MB-MUG-RED")["id"])
    loop.shop.set_stock("MB-MUG-BLUE", 120)
    loop.shop.set_stock("MB-MUG-RED", 3)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert loop.marketplace.stock == {"MB-MUG-BLUE": 50}
    db.session.refresh(row)
    db.session.refresh(bad)
    assert row.last_sent_quantity == 50 and bad.last_sent_quantity is None
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="stock_rejected")).scalar_one()
    assert problem.subject == "BAD-SKU"


def test_pending_stock_message_is_replaced_not_duplicated(loop):
    row = listing(loop, "MB-CANDLE", loop.shop.product_by_sku("MB-CANDLE")["id"])
    now = loop.clock.now()
    assert queue_stock(now, row, 10)
    assert not queue_stock(now, row, 10)
    assert queue_stock(now, row, 12)
    db.session.commit()
    pending = db.session.execute(sa.select(OutboxMessage).filter_by(state="pending")).scalars().all()
    assert [m.payload["quantity"] for m in pending] == [12]


def test_shipment_without_tracking_number_is_held_with_a_reason(loop):
    oid, shop_order = imported(loop)
    loop.shop.ship(shop_order, "", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="missing_tracking")).scalar_one()
    assert problem.params == {"order": oid}


def test_new_listings_get_their_first_quantity_without_a_stock_change(loop):
    """A listing is sent its quantity at the next stock poll even if the shop reports no change (P1)."""
    listing(loop, "MB-BOOK-COOK", loop.shop.product_by_sku("MB-BOOK-COOK")["id"])
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert loop.marketplace.stock == {"MB-BOOK-COOK": 42}
    loop.clock.advance(minutes=2)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert len(loop.marketplace.stock_calls) == 1, "already sent: not read and sent again"


def test_unmapped_status_is_noted_once_however_often_it_is_seen(loop):
    oid, shop_order = imported(loop)
    loop.shop.set_status(shop_order, "processing")
    for _ in range(3):
        shop_changes.poll_shop_changes(loop.host, loop.connection.shop_id, force=True)
    notes = db.session.execute(sa.text("select count(*) from order_events where kind='status_not_sent'")).scalar_one()
    assert notes == 1


def test_a_refused_stock_batch_fails_each_sku_instead_of_retrying_forever(loop):
    listing(loop, "MB-CANDLE", loop.shop.product_by_sku("MB-CANDLE")["id"])
    loop.shop.set_stock("MB-CANDLE", 150)
    loop.marketplace.faults.add(Fault(status=400, body='{"error": "listing suppressed"}',
                                      headers={"Content-Type": "application/json"}, path="/stock"))
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="stock")).scalar_one()
    assert message.state == "failed" and "suppressed" in message.last_error
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="stock_rejected")).scalar_one()
    assert problem.subject == "MB-CANDLE"


def test_fetch_now_skips_the_poll_interval_but_not_a_rate_limit(loop):
    from marketbridge.engine import inbox

    loop.marketplace.add_order()
    inbox.fetch_orders(loop.host, loop.connection_id)
    loop.marketplace.add_order()
    assert inbox.fetch_orders(loop.host, loop.connection_id).skipped == "not due"
    assert inbox.fetch_orders(loop.host, loop.connection_id, force=True).received == 1
    loop.clock.advance(minutes=2)
    loop.marketplace.bucket.drain()
    inbox.fetch_orders(loop.host, loop.connection_id)  # 429: postponed
    assert inbox.fetch_orders(loop.host, loop.connection_id, force=True).skipped == "not due"


def test_a_shipment_held_for_its_carrier_is_released_once_the_default_carrier_is_set(loop):
    """S4: held without a default carrier; setting one releases the same shipment, sent once."""
    from marketbridge.engine.shop_changes import release_held_shipments

    loop.connection.default_carrier = None
    db.session.commit()
    oid, shop_order = imported(loop)
    loop.shop.ship(shop_order, "ABC123", carrier="Local courier")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    loop.connection.default_carrier = "DPD"
    db.session.commit()
    assert release_held_shipments(loop.host, loop.connection_id) == 1
    outbox.deliver(loop.host, loop.connection_id)
    assert [(s["carrier"], s["tracking"]) for s in loop.marketplace.shipments] == [("DPD", "ABC123")]
    assert db.session.execute(sa.select(SyncProblem.resolved_at).filter_by(code="no_carrier")).scalar_one()


def test_a_shipment_held_for_missing_tracking_goes_out_when_the_shop_adds_it(loop):
    oid, shop_order = imported(loop)
    loop.shop.ship(shop_order, "", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    shipment = loop.shop.orders[shop_order]["shipments"][0]
    shipment["tracking"] = "00340434161234567890"  # the merchant types the tracking number later
    loop.shop._event({"type": "shipment", "order_id": shop_order, "shipment_id": shipment["id"],
                      "tracking": shipment["tracking"], "carrier": "DHL", "lines": []})
    loop.clock.advance(minutes=2)
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert [s["tracking"] for s in loop.marketplace.shipments] == ["00340434161234567890"]
