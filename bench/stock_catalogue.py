"""Benchmark: seconds from stock changes in the shop to Amazon, for a large catalogue (issue 8, P1, P4).

A shop with N listed products (default 100,000) changes the stock of a share
of them (default 10%) at once. The real engine and the Amazon channel push
the new quantities to the SP-API emulator, which enforces Amazon's documented
rate limits on the simulated clock (``createFeed`` one per two minutes after a
burst of 15, ``patchListingsItem`` 5/s) and finishes a feed a minute after it
is created. The scheduler ticks every 5 s; the shop's stock is polled every
10 s. Unchanged quantities are never sent (deltas only).

Printed: simulated seconds until every changed SKU was confirmed by Amazon,
SP-API calls used (and 429s received), and the engine's wall-clock time.
Also the single-urgent-SKU case (one product drops to 0). Run:

    .venv/bin/python bench/stock_catalogue.py --products 100000 --changed 0.1
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

TICK = 5.0


def run(products: int, changed: int, seed: int = 11) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from marketbridge import hookimpl
    from marketbridge.adapters import ShopAdapter, StockLevel, StockPage
    from marketbridge.app import create_app
    from marketbridge.clock import FakeClock
    from marketbridge.host import current_host
    from marketbridge.jobs import work
    from marketbridge.models import Connection, Listing, MarketplaceAccount, OutboxMessage, Shop, db
    from marketbridge_amazon import plugin as amazon_plugin
    from marketbridge_amazon.demo import MARKETPLACE, REFRESH_TOKEN, SELLER, demo_settings
    from marketbridge_amazon.emulator import CLIENT_SECRET, AmazonEmulator

    import inprocess

    rng = random.Random(seed)
    stock = {f"SKU-{n:06d}": 50 for n in range(products)}
    changes: list[str] = []

    class CatalogueShop(inprocess.BenchShop):
        kind = "catalogue_shop"

        def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
            return [StockLevel(p, stock[p], sku=p) for p in product_ids if p in stock]

        def stock_changes_since(self, cursor: str | None) -> StockPage:
            start = int(cursor or 0)
            page = changes[start:start + 1000]
            return StockPage(tuple(StockLevel(p, stock[p], sku=p) for p in page), str(start + len(page)),
                             more=start + len(page) < len(changes))

    class Plugin:
        __name__ = "catalogue"

        @hookimpl
        def register_shops(self) -> list[type[ShopAdapter]]:
            return [CatalogueShop]

    clock = FakeClock()
    emulator = AmazonEmulator(clock, seller_id=SELLER, refresh_token=REFRESH_TOKEN)
    emulator.listings.update({sku: {"DEFAULT": 50} for sku in stock})
    folder = tempfile.mkdtemp(prefix="mb-stock-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/b.sqlite", "INSTANCE_PATH": folder, "JOBS": "immediate",
                      "ENCRYPTION_KEYS": "pW6sR1m0m3yQ0Yj0b7zJc7cJbq5w2bq3hFQ9z0q5m2U="}, clock=clock,
                     plugins=[Plugin(), amazon_plugin], load_entrypoints=False)
    with emulator.serve() as server, app.app_context():
        upgrade(revision="heads")
        host = current_host()
        now = clock.now()
        shop = Shop(kind="catalogue_shop", name="Shop", settings={}, secrets=host.seal({}), created_at=now)
        account = MarketplaceAccount(kind="amazon", name="Amazon", settings=demo_settings(server.url), created_at=now,
                                     secrets=host.seal({"lwa_client_secret": CLIENT_SECRET,
                                                        "refresh_token": REFRESH_TOKEN}))
        db.session.add_all([shop, account])
        db.session.flush()
        connection = Connection(name="Bench", shop_id=shop.id, account_id=account.id, marketplace=MARKETPLACE,
                                country="DE", active=True, activation_date=now, created_at=now, settings={},
                                default_carrier="DHL")
        db.session.add(connection)
        db.session.flush()
        db.session.execute(sa.insert(Listing), [
            {"connection_id": connection.id, "sku": sku, "product_id": sku, "store_code": "",
             "last_sent_quantity": 50, "reserved": 0, "active": True} for sku in stock])
        db.session.commit()
        work.shop_cycle(host, shop.id)  # start the stock cursor

        def until_sent(expected: dict[str, int], limit_s: float) -> float:
            start = clock.now()
            while (clock.now() - start).total_seconds() < limit_s:
                clock.advance(seconds=TICK)
                work.shop_cycle(host, shop.id)
                work.deliver(host, connection.id)
                busy = db.session.execute(sa.select(OutboxMessage.id).where(
                    OutboxMessage.state.in_(("pending", "sending", "submitted"))).limit(1)).first()
                queued = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one()
                if not busy and queued:
                    confirmed = dict(db.session.execute(sa.select(Listing.sku, Listing.last_sent_quantity)
                                                        .where(Listing.sku.in_(list(expected)))).all())
                    if confirmed == expected:
                        return (clock.now() - start).total_seconds()
            raise AssertionError("not delivered in time")

        def calls() -> tuple[int, int]:
            entries = [e for e in emulator.log if not e.path.startswith("/auth")]
            return len(entries), sum(1 for e in entries if e.status == 429)

        # the big batch
        picked = rng.sample(sorted(stock), changed)
        for sku in picked:
            stock[sku] = rng.randint(0, 49)
        changes.extend(picked)
        before_calls, _ = calls()
        wall = time.perf_counter()
        big = until_sent({sku: stock[sku] for sku in picked}, 3600)
        big_wall = time.perf_counter() - wall
        big_calls, big_429 = calls()
        # one urgent SKU a few minutes later
        clock.advance(minutes=5)
        urgent = sorted(set(stock) - set(picked))[0]
        stock[urgent] = 0
        changes.append(urgent)
        single = until_sent({urgent: 0}, 600)
        total_calls, total_429 = calls()
        db.session.remove()
        db.engine.dispose()
    return {"products": products, "changed": changed, "seconds_all_confirmed": big, "calls": big_calls - before_calls,
            "rejected_429": big_429, "engine_wall_s": big_wall, "urgent_sku_seconds": single,
            "urgent_calls": total_calls - big_calls, "urgent_429": total_429 - big_429}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.1, help="share of products whose stock changes")
    args = parser.parse_args()
    r = run(args.products, int(args.products * args.changed))
    print(f"{r['changed']:,} of {r['products']:,} SKUs changed: all confirmed by Amazon after "
          f"{r['seconds_all_confirmed']:.0f} s (simulated), {r['calls']} SP-API calls, {r['rejected_429']} answered 429, "
          f"engine wall time {r['engine_wall_s']:.1f} s")
    print(f"single urgent SKU (drops to 0): confirmed after {r['urgent_sku_seconds']:.0f} s (simulated), "
          f"{r['urgent_calls']} SP-API calls, {r['urgent_429']} answered 429")


if __name__ == "__main__":
    main()
