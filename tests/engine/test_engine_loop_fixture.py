"""The ``engine_loop`` fixture plugin authors use for end-to-end tests."""
from __future__ import annotations

from marketbridge.testing.examples import example_shop
from marketbridge.testing.examples.example_shop import ExampleShopEmulator


def test_engine_loop_runs_a_shop_plugin_end_to_end(engine_loop, any_database_url, clock):
    shop = ExampleShopEmulator(clock=clock)
    with shop.serve() as server:
        loop = engine_loop("example_shop", shop_settings={"url": server.url},
                           shop_secrets={"api_key": ExampleShopEmulator.api_key}, plugins=[example_shop])
        oid = loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 1)])
        assert loop.cycle().created == 1
        shop.ship(next(iter(shop.orders)), "00340434161234567890", carrier="DHL")
        loop.shop_cycle()
        assert [s["order_id"] for s in loop.marketplace.shipments] == [oid]
        assert [o.state for o in loop.orders()] == ["created"]


def test_channel_loop_runs_a_channel_plugin_end_to_end(channel_loop, clock):
    from marketbridge.testing.examples import example_channel
    from marketbridge.testing.examples.example_channel import ExampleMarketplaceEmulator

    marketplace = ExampleMarketplaceEmulator(clock=clock)
    with marketplace.serve() as server:
        loop = channel_loop("example_channel", marketplace=marketplace, account_settings={"url": server.url},
                            account_secrets={"token": ExampleMarketplaceEmulator.token}, plugins=[example_channel])
        oid = marketplace.add_order()
        loop.cycle()
        loop.shop.ship(next(iter(loop.shop.orders)), "00340434161234567890")
        loop.shop_cycle()
        assert [s["order_id"] for s in marketplace.shipments] == [oid]


def test_engine_loop_recovers_after_a_simulated_crash(engine_loop, clock):
    """``loop.recover()`` is what a plugin's crash test calls between the crash and the rerun."""
    import pytest

    from marketbridge.testing.crash import SimulatedCrash, crash_at

    shop = ExampleShopEmulator(clock=clock)
    with shop.serve() as server:
        loop = engine_loop("example_shop", shop_settings={"url": server.url},
                           shop_secrets={"api_key": ExampleShopEmulator.api_key}, plugins=[example_shop])
        loop.marketplace.add_order()
        with crash_at("pipeline.after_shop_call"), pytest.raises(SimulatedCrash):
            loop.cycle()
        loop.recover()
        loop.cycle()
        assert [o.state for o in loop.orders()] == ["created"] and len(shop.orders) == 1
