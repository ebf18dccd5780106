"""Benchmark: N synthetic orders through the inbox and the pipeline (issue 2).

Prints orders per second, CPU milliseconds per order and peak RSS, on SQLite
by default (``--database-url postgresql://…`` for PostgreSQL). Adapters are
in-process (no HTTP), so the figures are the engine's own cost. Each size
runs in a fresh process so peak RSS is comparable between sizes; run with
several sizes to see memory stay flat::

    .venv/bin/python bench/core_pipeline.py --orders 10000 100000
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(orders: int, database_url: str | None) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import inprocess  # noqa: E402 - the bench's own plugin module
    from flask_migrate import upgrade

    from marketbridge.app import create_app
    from marketbridge.engine import inbox, pipeline
    from marketbridge.host import current_host
    from marketbridge.models import Connection, MarketplaceAccount, Shop, db

    folder = tempfile.mkdtemp(prefix="mb-bench-")
    url = database_url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "JOBS": "immediate"},
                     plugins=[inprocess], load_entrypoints=False)
    with app.app_context():
        upgrade(revision="heads")
        host = current_host()
        now = host.clock.now()
        shop = Shop(kind="bench_shop", name="Bench", settings={}, created_at=now, secrets=host.seal({}))
        account = MarketplaceAccount(kind="bench_channel", name="Bench", settings={}, created_at=now,
                                     secrets=host.seal({}))
        db.session.add_all([shop, account])
        db.session.flush()
        connection = Connection(name="Bench", shop_id=shop.id, account_id=account.id, marketplace="BENCH",
                                country="DE", active=True, activation_date=now, created_at=now, settings={})
        db.session.add(connection)
        db.session.commit()
        inprocess.Source.total = orders

        started, cpu = time.perf_counter(), time.process_time()
        while inbox.fetch_orders(host, connection.id, force=True).more:
            pass
        fetch_seconds = time.perf_counter() - started
        created = 0
        while True:
            outcome = pipeline.process_orders(host, connection.id, force=True, limit=500)
            created += outcome.created
            if outcome.created == 0:
                break
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert created == orders == len(inprocess.BenchShop.created), (created, orders)
        return {
            "orders": orders,
            "orders_per_second": round(orders / wall, 1),
            "inbox_orders_per_second": round(orders / fetch_seconds, 1),
            "pipeline_orders_per_second": round(orders / (wall - fetch_seconds), 1),
            "cpu_ms_per_order": round(cpu * 1000 / orders, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[10000])
    parser.add_argument("--database-url")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(args.orders[0], args.database_url)))
        return
    print(f"{'orders':>8} {'orders/s':>10} {'inbox/s':>9} {'pipeline/s':>11} {'CPU ms/order':>13} {'peak RSS MB':>12}")
    for n in args.orders:
        command = [sys.executable, __file__, "--child", "--orders", str(n)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print(f"{result['orders']:>8} {result['orders_per_second']:>10} {result['inbox_orders_per_second']:>9} "
              f"{result['pipeline_orders_per_second']:>11} {result['cpu_ms_per_order']:>13} {result['peak_rss_mb']:>12}")


if __name__ == "__main__":
    main()
