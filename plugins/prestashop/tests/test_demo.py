"""The demo (``make run``): the PrestaShop emulator as the demo shop and a merchant who works in it."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketbridge.carriers import best_match, detect
from marketbridge.demo import choose, ensure_rows
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Listing, StatusMapping, db
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS
from marketbridge.testing.examples import example_channel
from marketbridge_prestashop import plugin
from marketbridge_prestashop.adapter import PrestaShopAdapter
from marketbridge_prestashop.demo import DemoMerchant, demo_setup, dhl_paket_number, ups_number


def test_tracking_numbers_have_the_carriers_formats_and_check_digits():
    assert ups_number(2345678) == "1Z999AA10123456784"  # UPS's published example
    for serial in range(16109400000, 16109400020):
        number = dhl_paket_number(serial)
        assert number.startswith("00340434") and len(number) == 20
        assert best_match(detect(number)).carrier_id == "dhl_paket"
    assert best_match(detect(ups_number(42))).carrier_id == "ups"


def test_the_demo_runs_through_the_engine_with_the_example_marketplace(make_app, clock):
    make_app(plugins=[example_channel, plugin], load_entrypoints=False)
    host = current_host()
    parties = choose(host, "prestashop")
    assert parties.shop_kind == "prestashop"
    shop, marketplace = parties.shop.emulator, parties.channel.emulator
    with shop.serve() as shop_server, marketplace.serve() as channel_server:
        connection = ensure_rows(host, parties, shop_server.url, channel_server.url)
        assert host.shop_adapter(connection.shop).check_connection().ok
        listed = set(db.session.execute(sa.select(Listing.sku)).scalars())
        assert listed == {p.sku for p in DEMO_PRODUCTS}, "every demo product, variants included, is found"
        mapping = dict(db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)).all())
        assert mapping["cancelled"] == "6" and set(mapping) >= {"ready_for_pickup", "picked_up", "refused_pickup"}
        connection.settings = {"poll_seconds": 5}  # the demo runtime steps every 5 s; poll as often here
        connection.shop.settings = {**connection.shop.settings, "poll_seconds": 5, "stock_poll_seconds": 5}
        db.session.commit()
        for step in range(10):
            if step < 3:
                parties.channel.step(clock.now())  # a buyer orders
            work.connection_cycle(host, connection.id)
            parties.shop.step(clock.now())  # the merchant works
            work.shop_cycle(host, connection.shop_id)
            clock.advance(seconds=6)
    assert len(shop.orders()) == 3
    assert [3 in shop.history(o["id"]) for o in shop.orders()] == [True] * 3, "prepared before shipping"
    assert sorted(s["carrier"] for s in marketplace.shipments) == ["DHL", "DHL", "UPS"]
    assert all(best_match(detect(s["tracking"])) is not None for s in marketplace.shipments)
    assert marketplace.stock_calls, "stock moved in the shop reached the marketplace"


def test_the_merchant_cancels_some_orders_and_hands_over_pickup_orders(shop, adapter, make_draft, clock):
    setup_states = {"ready_for_pickup": shop.add_order_state("Ready for pickup", paid=True),
                    "picked_up": shop.add_order_state("Picked up", paid=True)}
    merchant = DemoMerchant(shop, setup_states, cancel_every=2)
    first = adapter.create_order(make_draft(initial_status="2"))
    second = adapter.create_order(make_draft(make_order("302-0000000-0000002"), initial_status="2"))
    pickup = adapter.create_order(make_draft(make_order("302-0000000-0000003"), initial_status="2", pickup=True))
    clock.advance(seconds=12)
    merchant.step(clock.now())
    assert shop.history(pickup.order_id)[-1] == setup_states["ready_for_pickup"]
    assert shop.store.get("orders", first.order_id)["current_state"] == "3"  # "Processing in progress"
    assert shop.store.get("orders", pickup.order_id)["shipping_number"] == "", "pickup orders are not shipped"
    clock.advance(seconds=20)
    merchant.step(clock.now())
    merchant.step(clock.now())
    assert shop.store.get("orders", first.order_id)["shipping_number"].startswith("00340434")
    assert shop.store.get("orders", second.order_id)["current_state"] == "6"  # every second one cancelled here
    assert shop.history(pickup.order_id)[-1] == setup_states["picked_up"]
    assert shop.history(pickup.order_id).count(setup_states["picked_up"]) == 1


def test_demo_stock_moves_every_few_steps(clock):
    setup = PrestaShopAdapter.demo(clock)
    shop = setup.emulator
    before = {sku: shop.stock_of(sku) for sku in shop.product_keys}
    assert setup.step is not None
    for _ in range(6):
        setup.step(clock.now() + timedelta(seconds=5))
    after = {sku: shop.stock_of(sku) for sku in shop.product_keys}
    assert before != after and len(shop.store.rows("stock_movements")) >= 1
    assert setup.secrets == {"webservice_key": shop.key}
    assert demo_setup(clock).status_mapping == setup.status_mapping


def make_order(order_id):
    from marketbridge_prestashop.testing import order_dict

    return order_dict(marketplace_order_id=order_id)
