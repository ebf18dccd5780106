"""Benchmark: seconds from a change in the shop to the marketplace call (issue 8), in simulated time.

Runs the real engine and jobs against the example shop and marketplace
emulators (real HTTP, the injected clock), with the scheduler's default
tick (5 s) and poll intervals (statuses 60 s, stock 10 s). Changes happen at
random moments; the marketplace emulator's arrival time is the simulated
instant of the call. Two kinds of shops:

* ``polling`` — the shop is only polled (PrestaShop, Magento);
* ``webhook`` — the shop pushes the change the moment it happens and the
  webhook endpoint hands it to the engine (Shopware, Ecwid), exactly what
  ``ingest_shop_events`` + ``enqueue_delivery`` do.

Prints p50/p95/max latency per kind and the engine's own wall-clock time per
change. Run: ``.venv/bin/python bench/sync_latency.py --changes 200``.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from typing import Any, Callable

TICK = 5.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(kind: str, mode: str, changes: int, seed: int) -> dict[str, float]:
    """Simulate ``changes`` shop changes of ``kind`` (status|stock) in ``mode`` (polling|webhook)."""
    from marketbridge.adapters import StatusChanged
    from marketbridge.app import create_app
    from marketbridge.clock import FakeClock
    from marketbridge.engine import outbox, stock
    from marketbridge.engine.shop_changes import ingest_shop_events
    from marketbridge.host import current_host
    from marketbridge.jobs import work
    from marketbridge.models import Connection, Listing, MarketplaceAccount, Shop, StatusMapping, db
    from marketbridge.testing.examples import example_channel, example_shop
    from marketbridge.testing.examples.example_channel import ExampleMarketplaceEmulator
    from marketbridge.testing.examples.example_shop import ExampleShopEmulator
    from flask_migrate import upgrade

    rng = random.Random(seed)
    clock = FakeClock()
    shop_emulator = ExampleShopEmulator(clock=clock)
    market = ExampleMarketplaceEmulator(clock=clock, rate=1000, burst=1000)
    folder = tempfile.mkdtemp(prefix="mb-latency-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/b.sqlite", "INSTANCE_PATH": folder, "JOBS": "immediate",
                      "ENCRYPTION_KEYS": "pW6sR1m0m3yQ0Yj0b7zJc7cJbq5w2bq3hFQ9z0q5m2U="}, clock=clock,
                     plugins=[example_shop, example_channel], load_entrypoints=False)
    with shop_emulator.serve() as shop_server, market.serve() as market_server, app.app_context():
        upgrade(revision="heads")
        host = current_host()
        now = clock.now()
        shop = Shop(kind="example_shop", name="Shop", settings={"url": shop_server.url}, created_at=now,
                    secrets=host.seal({"api_key": ExampleShopEmulator.api_key}))
        account = MarketplaceAccount(kind="example_channel", name="Market", settings={"url": market_server.url},
                                     secrets=host.seal({"token": ExampleMarketplaceEmulator.token}), created_at=now)
        db.session.add_all([shop, account])
        db.session.flush()
        connection = Connection(name="Bench", shop_id=shop.id, account_id=account.id, marketplace="X", country="DE",
                                active=True, activation_date=now, created_at=now, default_carrier="DHL", settings={})
        db.session.add(connection)
        db.session.flush()
        db.session.add(StatusMapping(connection_id=connection.id, marketplace_status="cancelled",
                                     shop_status="cancelled"))
        db.session.commit()
        skus = ["MB-MUG-BLUE", "MB-MUG-RED", "MB-CANDLE", "MB-KETTLE", "MB-TOWEL-SET", "MB-BOOK-COOK"]
        if kind == "status":
            for _ in range(changes):
                market.add_order(skus=[(rng.choice(skus), 1)])
            while work.connection_cycle(host, connection.id).created:
                clock.advance(seconds=TICK)
            targets = list(shop_emulator.orders)
        else:
            for sku in skus:
                db.session.add(Listing(connection_id=connection.id, sku=sku, store_code="",
                                       product_id=shop_emulator.product_by_sku(sku)["id"]))
            db.session.commit()
            stock.poll_stock(host, shop.id, force=True)
            outbox.deliver(host, connection.id)
        horizon = changes * 3.0
        start = clock.now()
        schedule = sorted(start + timedelta(seconds=rng.uniform(0, horizon)) for _ in range(changes))
        pending: dict[Any, Any] = {}  # what the marketplace should receive → when it changed
        latencies: list[float] = []
        engine_seconds = 0.0
        seen = len(market.status_calls) if kind == "status" else len(market.stock_calls)

        def collect() -> None:
            nonlocal seen
            calls: list[Any] = market.status_calls if kind == "status" else market.stock_calls
            for call in calls[seen:]:
                keys = [call["order_id"]] if kind == "status" else [(i["sku"], i["quantity"]) for i in call]
                for key in keys:
                    if key in pending:
                        latencies.append((clock.now() - pending.pop(key)).total_seconds())
            seen = len(calls)

        def timed(step: Callable[[], Any]) -> None:
            nonlocal engine_seconds
            began = time.perf_counter()
            step()
            engine_seconds += time.perf_counter() - began

        next_tick = start + timedelta(seconds=TICK)
        index = 0
        quantity = 1000
        while index < len(schedule) or pending:
            if index < len(schedule) and schedule[index] <= next_tick:
                clock.set(schedule[index])
                index += 1
                if kind == "status":
                    order_id = targets.pop()
                    shop_emulator.set_status(order_id, "cancelled")
                    marketplace_id = shop_emulator.orders[order_id]["external_ref"].split(":", 1)[1]
                    pending[marketplace_id] = clock.now()
                    if mode == "webhook":
                        event = StatusChanged(f"hook-{order_id}", example_shop.ShopOrderRef(order_id), "cancelled",
                                              clock.now())
                        timed(lambda: [work.deliver(host, c) for c in ingest_shop_events(host, shop.id, [event]).connections])
                else:
                    sku = rng.choice(skus)
                    quantity += 1
                    shop_emulator.set_stock(sku, quantity)
                    pending = {k: v for k, v in pending.items() if k[0] != sku}  # a newer figure replaces it
                    pending[(sku, quantity)] = clock.now()
                    if mode == "webhook":
                        level = example_shop.StockLevel(shop_emulator.product_by_sku(sku)["id"], quantity, sku=sku)
                        timed(lambda: [work.deliver(host, c) for c in stock.ingest_stock_levels(host, shop.id, [level])])
                collect()
                continue
            clock.set(next_tick)
            next_tick += timedelta(seconds=TICK)
            timed(lambda: (work.shop_cycle(host, shop.id), work.connection_cycle(host, connection.id)))
            collect()
        db.session.remove()
        db.engine.dispose()
    return {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "max": max(latencies),
            "mean": statistics.mean(latencies), "engine_ms_per_change": engine_seconds * 1000 / changes,
            "n": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{'change':<8}{'shop':<10}{'n':>5}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'engine ms/change':>18}")
    for kind in ("status", "stock"):
        for mode in ("webhook", "polling"):
            r = run(kind, mode, args.changes, args.seed)
            print(f"{kind:<8}{mode:<10}{r['n']:>5}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}"
                  f"{r['engine_ms_per_change']:>18.1f}")


if __name__ == "__main__":
    main()
