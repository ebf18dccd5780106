"""The demo (``make run``): the Shopware setup works with ``marketbridge.demo`` and the world moves —
orders arrive, the merchant ships them with DHL, cancels some, and stock moves to the marketplace."""
from __future__ import annotations

from contextlib import ExitStack

import sqlalchemy as sa

from marketbridge import demo
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Listing, Order, StatusMapping, db
from marketbridge.testing.examples import example_channel

from marketbridge_shopware import plugin
from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.demo import DemoMerchant, dhl_tracking


def test_dhl_tracking_numbers_carry_the_gs1_check_digit() -> None:
    assert dhl_tracking(16109404255) == "00340434161094042557"  # a real DHL Paket number
    assert all(len(dhl_tracking(n)) == 20 and dhl_tracking(n).startswith("00340434") for n in (1, 99, 10**12))


def test_demo_world_moves_through_the_engine(make_app, clock) -> None:
    make_app(plugins=[example_channel, plugin], load_entrypoints=False)
    host = current_host()
    parties = demo.choose(host, "shopware")
    assert parties.shop_kind == "shopware" and isinstance(parties.shop.step, DemoMerchant)
    assert ShopwareShop.demo(clock).status_mapping == {"cancelled": "order.cancelled"}
    marketplace = parties.channel.emulator
    with ExitStack() as stack:
        shop_server = stack.enter_context(parties.shop.emulator.serve())
        channel_server = stack.enter_context(parties.channel.emulator.serve())
        connection = demo.ensure_rows(host, parties, shop_server.url, channel_server.url)
        assert host.shop_adapter(connection.shop).pushes_changes is False, "the demo shop is polled"
        mapping = db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)).all()
        assert mapping == [("cancelled", "order.cancelled")]
        assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() >= 10
        parties.shop.step.cancel_every = 3  # the demo cancels every seventh order; sooner here
        for _ in range(7):  # what DemoRuntime and the scheduler do, in bigger steps
            clock.advance(seconds=20)
            parties.channel.step(clock.now())
            parties.shop.step(clock.now())
            work.connection_cycle(host, connection.id)
            work.shop_cycle(host, connection.shop_id)
        orders = db.session.execute(sa.select(Order)).scalars().all()
        assert len(orders) >= 5 and {o.state for o in orders} == {"created"}
        handled = parties.shop.step.handled
        clock.advance(seconds=30)
        work.shop_cycle(host, connection.shop_id)  # the last poll after the merchant's last moves
        done = list(handled.values())
        cancelled, shipped_orders = done.count("cancelled"), done.count("shipped") + done.count("completed")
        assert cancelled >= 1 and shipped_orders >= 2 and cancelled + shipped_orders == len(done)
        shipped = marketplace.shipments
        assert len(shipped) == shipped_orders
        assert shipped and {s["carrier"] for s in shipped} == {"DHL"}
        assert all(s["tracking"].startswith("00340434") and len(s["tracking"]) == 20 for s in shipped)
        assert [c["status"] for c in marketplace.status_calls] == ["cancelled"] * cancelled
        assert marketplace.stock, "stock moved to the marketplace"
        again = demo.ensure_rows(host, parties, shop_server.url, channel_server.url)  # a restart finds the rows
        assert again.id == connection.id
