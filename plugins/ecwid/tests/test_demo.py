"""The demo with Ecwid as the shop: rows through ``marketbridge.demo``, and a merchant who ships, cancels and sells."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.demo import DemoRuntime
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Connection, Listing, Order, StatusMapping, db
from marketbridge.testing.examples import example_channel

from marketbridge_ecwid import plugin
from marketbridge_ecwid.demo import PICKED_UP, PICKUP_REFUSED, DemoMerchant, dhl_tracking_number


def test_demo_world_moves_through_ecwid(make_app, clock):
    app = make_app(plugins=[example_channel, plugin], load_entrypoints=False, DEMO_SHOP="ecwid")
    runtime = DemoRuntime(app, interval=3600)
    try:
        runtime.start()
        host = current_host()
        parties = runtime.parties
        assert parties is not None and parties.shop_kind == "ecwid"
        connection = db.session.execute(sa.select(Connection)).scalar_one()
        listed = db.session.execute(sa.select(Listing.sku)).scalars().all()
        assert len(listed) == 12 and "MB-TEE-M" in listed, "every demo product, variations included"
        mapping = dict(db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)).all())
        assert mapping == {"cancelled": "CANCELLED", "ready_for_pickup": "READY_FOR_PICKUP", "picked_up": PICKED_UP,
                           "refused_pickup": PICKUP_REFUSED}
        labels = {s.code: s.label for s in host.shop_adapter(connection.shop).list_statuses()}
        assert labels[PICKED_UP] == "Picked up" and labels[PICKUP_REFUSED] == "Pickup refused"

        merchant, store = parties.shop.step, parties.shop.emulator
        merchant.cancel_one_in = 0
        work.shop_cycle(host, connection.shop_id)  # the first poll starts the cursors
        # the demo moved the world once at start: a buyer ordered a candle
        work.connection_cycle(host, connection.id)
        assert db.session.execute(sa.select(Order.state)).scalars().all() == ["created"]
        for _ in range(4):  # the merchant works every 11 s: processing, then shipped; stock moves on step 4
            merchant(clock.now())
            clock.advance(seconds=11)
        work.shop_cycle(host, connection.shop_id)
        work.connection_cycle(host, connection.id)  # the scheduler's next tick delivers the stock messages

        [ecwid_order] = store.orders.values()
        assert ecwid_order["fulfillmentStatus"] == "SHIPPED"
        [shipment] = parties.channel.emulator.shipments
        assert shipment["carrier"] == "DHL" and shipment["tracking"] == ecwid_order["trackingNumber"]
        assert shipment["tracking"].startswith("00340434") and len(shipment["tracking"]) == 20
        assert parties.channel.emulator.stock, "stock read from Ecwid reached the marketplace"
    finally:
        runtime.stop()


def test_demo_merchant_cancels_and_handles_pickups(emulator, raw_order, clock):
    merchant = DemoMerchant(emulator, cancel_one_in=1, stock_every=0)
    emulator.set_custom_status(PICKED_UP, "Picked up")
    stock = emulator.stock_of("MB-CANDLE")
    product, _ = emulator.find_sku("MB-CANDLE")
    item = {"name": "Candle", "quantity": 1, "price": 9.9, "productId": product.id}
    shipped = raw_order(refererId="marketbridge", paymentStatus="PAID", items=[item])
    pickup = raw_order(refererId="marketbridge", paymentStatus="PAID", items=[item],
                       shippingOption={"shippingMethodName": "Pickup", "isPickup": True, "fulfillmentType": "PICKUP"})
    foreign = raw_order()

    for _ in range(8):
        merchant(clock.now())
        clock.advance(seconds=10)

    assert emulator.order(shipped)["paymentStatus"] == "CANCELLED"
    assert emulator.stock_of("MB-CANDLE") == stock - 1, "the cancelled order's candle went back on the shelf"
    assert emulator.order(pickup)["fulfillmentStatus"] in (PICKED_UP, PICKUP_REFUSED)
    assert emulator.order(foreign)["fulfillmentStatus"] == "AWAITING_PROCESSING", "only Marketbridge's orders"


def test_dhl_numbers_carry_a_valid_check_digit():
    number = dhl_tracking_number(1_610_000_001)
    digits = number[2:]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    assert number.startswith("00340434") and len(number) == 20 and (10 - total % 10) % 10 == int(digits[-1])
