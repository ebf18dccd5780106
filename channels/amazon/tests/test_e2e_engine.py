"""End to end through the engine: Amazon (emulator) → Marketbridge's jobs → the example shop, and back.

Every test runs on SQLite and on PostgreSQL (``any_database_url``), drives the same job functions the
scheduler runs (``connection_cycle``, ``shop_cycle``) on a fake clock, and has its SP-API traffic
contract-checked at teardown like every other test of this package.
"""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketbridge.adapters import Money
from marketbridge.engine import inbox
from marketbridge.engine.checkpoints import add_listener, remove_listener
from marketbridge.jobs import work
from marketbridge.models import (Connection, Listing, MarketplaceAccount, Order, OutboxMessage, StatusMapping,
                                 SyncCursor, SyncProblem, db)

DE = "A1PA6795UKMFR9"


def states(loop) -> dict[str, str]:
    return {o.marketplace_order_id: o.state for o in loop.orders()}


def test_orders_reach_the_shop_exactly_once_with_prime_pickup_and_business(any_database_url, amazon_loop):
    loop = amazon_loop()
    prime = loop.place(prime=True, skus=[("MB-MUG-BLUE", 2)])
    pickup = loop.place(pickup=True, skus=["MB-CANDLE"])
    business = loop.place(business=True, skus=["MB-KETTLE", ("MB-TEE-M", 3)])
    loop.run(minutes=9, step=3)
    loop.run(minutes=6, step=3)  # more cycles: nothing is created twice

    assert states(loop) == {prime.order_id: "created", pickup.order_id: "created", business.order_id: "created"}
    assert len(loop.shop.orders) == 3
    shop_prime = loop.shop_order_of(prime.order_id)
    assert "Amazon Prime Order" in shop_prime["tags"] and shop_prime["marker"] == "Amazon"
    assert [(line["quantity"], line["unit_price"]) for line in shop_prime["lines"]] == [(2, "14.90")]
    shop_pickup = loop.shop_order_of(pickup.order_id)
    assert shop_pickup["marker"] == "Amazon Click & Collect"
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=pickup.order_id)).scalar_one()
    assert row.pickup and row.payload["pickup_store_code"] == "MB-STORE-BERLIN"
    shop_business = loop.shop_order_of(business.order_id)
    assert "Amazon Business" in shop_business["tags"] and len(shop_business["lines"]) == 2
    creates = [c for c in loop.shop.calls("POST", "/orders") if c.path == "/orders"]
    assert len(creates) == 3, "no order was sent to the shop twice"


def test_holds_waiting_and_cancelled_orders_follow_amazon(any_database_url, amazon_loop):
    """C5 and O4 holds, a Pending order imported once it turns Unshipped a day later, a cancellation never created."""
    loop = amazon_loop(require_weights=True)
    unknown = loop.place(skus=["MB-UNKNOWN"])
    no_weight = loop.place(skus=["MB-LAMP-NOWEIGHT"])
    late = loop.place(skus=["MB-TOWEL-SET"], pending_minutes=24 * 60)
    created = loop.clock.now() + timedelta(minutes=1)
    cancelled = loop.place(skus=["MB-CANDLE"], status_events=[(created, "PENDING"),
                                                              (created + timedelta(minutes=20), "CANCELLED")])
    loop.run(minutes=30, step=10, shop=False)
    assert states(loop) == {unknown.order_id: "held", no_weight.order_id: "held", late.order_id: "waiting",
                            cancelled.order_id: "skipped"}
    codes = set(db.session.execute(sa.select(SyncProblem.code).where(SyncProblem.resolved_at.is_(None))).scalars())
    assert codes == {"product_not_found", "missing_weight"}
    assert not loop.shop.orders

    loop.clock.advance(hours=24)
    loop.run(minutes=20, step=10, shop=False)
    assert states(loop)[late.order_id] == "created" and states(loop)[cancelled.order_id] == "skipped"
    assert [o["external_ref"] for o in loop.shop.orders.values()] == [f"amazon:{late.order_id}"]


def shipped_order(loop, **kinds):
    placed = loop.place(**kinds)
    loop.import_now()
    return placed, loop.shop_order_of(placed.order_id)["id"]


def test_shipment_reaches_confirm_shipment_with_the_detected_carrier_and_item_ids(any_database_url, amazon_loop):
    loop = amazon_loop()
    placed, shop_order = shipped_order(loop, skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    blue, candle = placed.items
    loop.shop.ship(shop_order, "1Z999AA10123456784", carrier=None, lines=[{"sku": "MB-MUG-BLUE", "quantity": 2}])
    loop.shop_cycle()
    loop.shop.ship(shop_order, "00340434161234567890", carrier="DHL", lines=[{"sku": "MB-CANDLE", "quantity": 1}])
    loop.shop_cycle()

    first, second = [c["body"]["packageDetail"] for c in loop.emulator.confirmations]
    assert first["carrierCode"] == "UPS", "the tracking number's format wins over the default carrier (DHL)"
    assert first["trackingNumber"] == "1Z999AA10123456784" and first["packageReferenceId"] == "1"
    assert first["orderItems"] == [{"orderItemId": blue.order_item_id, "quantity": 2}]
    assert second["carrierCode"] == "DHL" and second["packageReferenceId"] == "2"
    assert second["orderItems"] == [{"orderItemId": candle.order_item_id, "quantity": 1}]
    assert placed.status_at(loop.clock.now()) == "SHIPPED"
    assert len(loop.emulator.calls("POST", "/shipmentConfirmation")) == 2
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=placed.order_id)).scalar_one()
    assert {line.line_id: line.quantity_shipped for line in row.lines} == {blue.order_item_id: 2,
                                                                             candle.order_item_id: 1}


def test_pickup_statuses_travel_through_the_status_mapping(any_database_url, amazon_loop):
    loop = amazon_loop()
    db.session.add_all([StatusMapping(connection_id=loop.connection.id, marketplace_status="ready_for_pickup",
                                      shop_status="ready"),
                        StatusMapping(connection_id=loop.connection.id, marketplace_status="picked_up",
                                      shop_status="collected")])
    db.session.commit()
    placed, shop_order = shipped_order(loop, pickup=True, skus=[("MB-KETTLE", 1)])
    loop.shop.set_status(shop_order, "processing")  # not mapped: nothing is sent
    loop.shop.set_status(shop_order, "ready")
    loop.shop_cycle()
    loop.clock.advance(minutes=30)
    loop.shop.set_status(shop_order, "collected")
    loop.shop_cycle()
    assert [u["status"] for u in placed.pickup_updates] == ["ReadyForPickup", "PickedUp"]
    assert placed.status_at(loop.clock.now()) == "SHIPPED"
    sent = [c.json() for c in loop.emulator.calls("POST", "/shipment") if not c.path.endswith("Confirmation")]
    assert [(b["shipmentStatus"], b["marketplaceId"]) for b in sent] == [("ReadyForPickup", DE), ("PickedUp", DE)]


def listing(loop, sku: str, product_sku: str | None = None) -> Listing:
    product = loop.shop.product_by_sku(product_sku or sku)
    row = Listing(connection_id=loop.connection.id, sku=sku, product_id=product["id"], store_code="")
    db.session.add(row)
    db.session.commit()
    return row


def test_a_few_stock_changes_go_out_as_listing_patches(any_database_url, amazon_loop):
    loop = amazon_loop()
    rows = [listing(loop, "MB-MUG-BLUE"), listing(loop, "MB-KETTLE")]
    loop.shop.set_stock("MB-MUG-BLUE", 0)
    loop.shop.set_stock("MB-KETTLE", 7)
    loop.shop_cycle()
    assert loop.emulator.listings["MB-MUG-BLUE"]["DEFAULT"] == 0
    assert loop.emulator.listings["MB-KETTLE"]["DEFAULT"] == 7
    assert len(loop.emulator.calls("PATCH", "/listings/")) == 2 and not loop.emulator.calls("POST", "/feeds/")
    for row in rows:
        db.session.refresh(row)
    assert [r.last_sent_quantity for r in rows] == [0, 7]


def test_many_stock_changes_go_out_as_one_feed_with_per_sku_errors(any_database_url, amazon_loop):
    loop = amazon_loop()
    skus = ["MB-MUG-BLUE", "MB-MUG-RED", "MB-TEE-S", "MB-TEE-M", "MB-TEE-L", "MB-BOOK-COOK", "MB-KETTLE"]
    rows = [listing(loop, sku) for sku in skus]
    stray = listing(loop, "MB-CANDLE-OLD", "MB-CANDLE")  # a listing Amazon does not know
    for quantity, sku in enumerate(skus, start=3):
        loop.shop.set_stock(sku, quantity)
    loop.shop.set_stock("MB-CANDLE", 40)
    loop.shop_cycle()
    assert not loop.emulator.calls("PATCH", "/listings/")
    assert len(loop.emulator.calls("POST", "/feeds/2021-06-30/feeds")) == 1
    submitted = db.session.execute(sa.select(OutboxMessage.state).filter_by(kind="stock")).scalars().all()
    assert set(submitted) == {"submitted"}

    loop.clock.advance(seconds=90)  # Amazon processes the feed; the engine asks again after 30 s
    loop.shop_cycle()
    assert {sku: loop.emulator.listings[sku]["DEFAULT"] for sku in skus} == {
        sku: quantity for quantity, sku in enumerate(skus, start=3)}
    for row in [*rows, stray]:
        db.session.refresh(row)
    assert [r.last_sent_quantity for r in rows] == list(range(3, 10)) and stray.last_sent_quantity is None
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="stock_rejected")).scalar_one()
    assert problem.subject == "MB-CANDLE-OLD" and "does not exist" in problem.params["error"]


def test_a_dropped_confirmation_becomes_a_problem_for_the_merchant(any_database_url, amazon_loop):
    loop = amazon_loop()
    placed, shop_order = shipped_order(loop, skus=["MB-BOOK-COOK"])
    loop.emulator.drop_confirmations = 2
    loop.shop.ship(shop_order, "00340434161234567891", carrier="DHL")
    loop.shop_cycle()
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalar_one()
    assert message.state == "sending" and "does not show it yet" in message.last_error
    for _ in range(2):  # read back after the grace period, send once more, read back again
        loop.clock.advance(minutes=16)
        work.deliver(loop.host, loop.connection.id)
    db.session.refresh(message)
    assert message.state == "failed" and len(loop.emulator.dropped) == 2 and not loop.emulator.confirmations
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="delivery_rejected")).scalar_one()
    assert "Seller Central" in problem.params["error"] and problem.params["order"] == placed.order_id


def fetch_with_a_429_on_page_two(loop) -> None:
    """One fetch run whose second searchOrders page is answered 429 (Amazon throttled although tokens were left)."""
    throttled: list[str] = []

    def throttle_second_page(name: str) -> None:
        if name == "inbox.after_commit" and not throttled:
            throttled.append(name)
            loop.emulator.throttle("/orders/2026-01-01/orders$", operation="searchOrders")

    add_listener(throttle_second_page)
    try:
        inbox.fetch_orders(loop.host, loop.connection.id)
    finally:
        remove_listener(throttle_second_page)


def orders_cursor(loop) -> SyncCursor:
    return db.session.execute(sa.select(SyncCursor).filter_by(scope="connection", stream="orders")).scalar_one()


@pytest.mark.search_pages(1)
def test_a_429_mid_import_resumes_from_the_cursor(any_database_url, amazon_loop):
    """Amazon-fulfilled (no report route): the job is rescheduled and continues with page two's token."""
    loop = amazon_loop(fulfilment_channel="marketplace")
    placed = [loop.place(afn=True, skus=["MB-CANDLE"]) for _ in range(150)]
    loop.clock.advance(minutes=5)
    fetch_with_a_429_on_page_two(loop)
    cursor = orders_cursor(loop)
    assert json.loads(cursor.value)["window"]["token"], "the stored cursor still points at page two"
    assert cursor.not_before > loop.clock.now() + timedelta(minutes=2), "rescheduled after Amazon's advice"
    assert len(loop.orders()) == 100

    assert inbox.fetch_orders(loop.host, loop.connection.id).skipped == "not due"
    loop.clock.advance(seconds=(cursor.not_before - loop.clock.now()).total_seconds() + 1)
    inbox.fetch_orders(loop.host, loop.connection.id)
    assert sorted(o.marketplace_order_id for o in loop.orders()) == sorted(p.order_id for p in placed)
    searches = loop.emulator.calls("GET", "/orders/2026-01-01/orders")
    assert [(c.status, "paginationToken" in c.query) for c in searches] == [(200, False), (429, True), (200, True)]
    assert searches[1].query["paginationToken"] == searches[2].query["paginationToken"]


@pytest.mark.search_pages(1)
def test_a_429_mid_import_of_a_merchant_window_continues_through_the_reports(any_database_url, amazon_loop):
    """Merchant-fulfilled: the rest of the throttled window comes from the order reports, nothing twice."""
    loop = amazon_loop()
    placed = [loop.place(skus=["MB-CANDLE"]) for _ in range(120)]
    loop.clock.advance(minutes=5)
    fetch_with_a_429_on_page_two(loop)
    assert json.loads(orders_cursor(loop).value)["report"]["reports"], "the report job is in the stored cursor"
    assert len(loop.orders()) == 100
    for _ in range(4):  # the report is ready after 90 s; meanwhile the searchOrders bucket refills
        loop.clock.advance(minutes=10)
        inbox.fetch_orders(loop.host, loop.connection.id)
    assert sorted(o.marketplace_order_id for o in loop.orders()) == sorted(p.order_id for p in placed)
    searches = loop.emulator.calls("GET", "/orders/2026-01-01/orders")
    assert [("createdAfter" in c.query, "paginationToken" in c.query) for c in searches[:2]] == [
        (True, False), (True, True)], "page one is never read again"
    assert all("createdAfter" not in c.query for c in searches[2:])
    assert len(loop.emulator.calls("POST", "/reports/2021-06-30/reports")) == 2, "one report pair, no more"


def test_a_revoked_grant_pauses_the_account_and_deletes_nothing(any_database_url, amazon_loop):
    loop = amazon_loop()
    first, _ = shipped_order(loop, skus=["MB-MUG-RED"])
    loop.emulator.revoke("Atzr|emulator-refresh-token")
    loop.place(skus=["MB-CANDLE"])
    loop.run(minutes=6, step=3, shop=False)
    account = db.session.get(MarketplaceAccount, loop.connection.account_id)
    assert account.auth_problem and "Authorise Marketbridge again" in account.auth_problem
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="authentication_failed")).scalar_one()
    assert problem.account_id == account.id
    calls = len(loop.emulator.log)
    loop.run(minutes=6, step=3, shop=False)
    assert len(loop.emulator.log) == calls, "a paused account makes no calls"
    assert [o.marketplace_order_id for o in loop.orders()] == [first.order_id] and len(loop.shop.orders) == 1
    assert db.session.get(Connection, loop.connection.id).active and account.secrets


def test_shop_prices_reach_amazon_with_the_quantity_through_the_selling_policy(any_database_url, amazon_loop):
    """P2 end to end: the example shop's price, +10 % and rounded to .99, in the same patch or feed as the stock."""
    loop = amazon_loop()
    loop.connection.settings = {"price_sync": True, "price_percent": "10", "price_ending": "99",
                                "price_currency": "EUR"}
    db.session.commit()
    row = listing(loop, "MB-KETTLE")
    loop.shop.set_price("MB-KETTLE", "39.00")
    loop.shop.set_stock("MB-KETTLE", 7)
    loop.shop_cycle()
    [patch] = loop.emulator.calls("PATCH", "/listings/")
    assert loop.emulator.listings["MB-KETTLE"]["DEFAULT"] == 7
    assert loop.emulator.price("MB-KETTLE", DE) == Money(Decimal("42.99"), "EUR")  # 39.00 × 1.1 = 42.90 → .99
    db.session.refresh(row)
    assert (row.last_sent_quantity, row.last_sent_price) == (7, Decimal("42.99"))

    skus = ["MB-MUG-BLUE", "MB-MUG-RED", "MB-TEE-S", "MB-TEE-M", "MB-TEE-L", "MB-BOOK-COOK"]
    rows = [listing(loop, sku) for sku in skus]
    for sku in skus:
        loop.shop.set_price(sku, "10.00")
    loop.shop_cycle()
    loop.clock.advance(seconds=90)  # many SKUs: one feed, its results read later
    loop.shop_cycle()
    assert len(loop.emulator.calls("POST", "/feeds/2021-06-30/feeds")) == 1
    assert {sku: loop.emulator.price(sku, DE) for sku in skus} == {sku: Money(Decimal("11.99"), "EUR") for sku in skus}
    for each in rows:
        db.session.refresh(each)
    assert {r.last_sent_price for r in rows} == {Decimal("11.99")}
    assert len(loop.emulator.calls("PATCH", "/listings/")) == 1, "the kettle's unchanged offer was not sent again"


def test_a_buy_shipping_label_confirms_the_prime_order_at_once_and_the_shop_shipment_is_not_repeated(
        any_database_url, amazon_loop):
    """L1, L2 end to end: rates with the too-slow service refused, one purchase, Amazon shows the order shipped."""
    from marketbridge.adapters import Parcel
    from marketbridge.engine import labels
    from marketbridge.models import ShippingLabel

    loop = amazon_loop()
    placed, shop_order = shipped_order(loop, prime=True, skus=[("MB-KETTLE", 1)])
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=placed.order_id)).scalar_one()
    warehouse = {"name": "Lager Nord", "line1": "Lagerweg 1", "city": "Hamburg", "postal_code": "20095",
                 "region": "Hamburg", "country_code": "DE", "phone": "+49 40 123456"}
    quote = labels.quote(loop.host, order, Parcel(2300, Decimal("35"), Decimal("25"), Decimal("20")), warehouse)
    refused = [rate for rate in quote.rates if not rate.eligible]
    assert refused and all("promised" in (rate.reason or "") for rate in refused)
    rate = next(rate for rate in quote.rates if rate.eligible)
    label = labels.buy(loop.host, order, quote.token, rate.rate_id)
    assert label.document.startswith(b"%PDF")
    assert placed.status_at(loop.clock.now()) == "SHIPPED", "Amazon knows the shipment from the purchase"
    loop.shop.ship(shop_order, label.tracking_number, carrier="DHL")
    loop.shop_cycle()
    assert not loop.emulator.calls("POST", "/shipmentConfirmation"), "no confirmShipment for a bought label"
    assert db.session.execute(sa.select(sa.func.count()).select_from(ShippingLabel)).scalar_one() == 1
