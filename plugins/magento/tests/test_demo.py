"""Demo mode: ``MagentoShopAdapter.demo()`` works with the host's demo rows and the world moves."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.demo import DemoParties, ensure_rows
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Listing, Order, StatusMapping, db
from marketbridge.testing.examples import example_channel

from marketbridge_magento import plugin
from marketbridge_magento.adapter import MagentoShopAdapter
from marketbridge_magento.demo import dhl_tracking


def test_demo_shop_takes_orders_ships_cancels_and_moves_stock(make_app, clock):
    make_app(plugins=[example_channel, plugin], load_entrypoints=False)
    host = current_host()
    shop = MagentoShopAdapter.demo(host.clock)
    channel = host.registry.channel("example_channel").demo(host.clock)
    assert shop is not None and channel is not None and shop.step is not None
    parties = DemoParties("example_channel", channel, "magento", shop)
    with shop.emulator.serve() as shop_server, channel.emulator.serve() as channel_server:
        connection = ensure_rows(host, parties, shop_server.url, channel_server.url)
        assert host.shop_adapter(connection.shop).check_connection().ok
        listings = db.session.execute(sa.select(Listing.sku)).scalars().all()
        assert {"MB-MUG-BLUE", "MB-TEE-M", "MB-CANDLE"} <= set(listings)
        mapping = dict(db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)).all())
        assert mapping == {"cancelled": "canceled", "ready_for_pickup": "ready_for_pickup", "picked_up": "picked_up"}
        statuses = {s.code: s for s in host.shop_adapter(connection.shop).list_statuses()}
        assert statuses["ready_for_pickup"].label == "Ready for pickup" and not statuses["complete"].initial

        marketplace = channel.emulator
        for round_ in range(9):  # the demo runtime's loop: buyers order, Marketbridge imports, the merchant works
            if round_ < 8:
                channel.step(clock.now())
            work.connection_cycle(host, connection.id)
            clock.advance(seconds=61)  # past the demo merchant's shipping delay and the poll interval
            shop.step(clock.now())
            work.shop_cycle(host, connection.shop_id)

    orders = db.session.execute(sa.select(Order)).scalars().all()
    assert len(orders) == 8 and {o.state for o in orders} == {"created"}
    shipped = {s["order_id"]: s for s in marketplace.shipments}
    assert len(shipped) == 7 and {s["carrier"] for s in shipped.values()} == {"DHL"}
    for order in orders:
        if order.marketplace_order_id in shipped:
            assert shipped[order.marketplace_order_id]["tracking"] == dhl_tracking(int(order.shop_order_id))
    assert [c["status"] for c in marketplace.status_calls] == ["cancelled"], "the merchant cancelled one order"
    assert marketplace.stock, "stock moved in the shop reached the marketplace"
    web_orders = [o for o in shop.emulator.shop.orders.values() if not o.get("ext_order_id")]
    assert web_orders, "the storefront sells too"
