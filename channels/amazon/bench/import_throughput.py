"""Order-import throughput against the SP-API emulator, in simulated time, with Amazon's documented limits.

Two importers run side by side on one simulated clock against the same seller's orders:

* **Marketbridge** – ``AmazonChannel.fetch_orders`` (Orders 2026-01-01 ``searchOrders`` with items
  inside, the Reports API route for windows larger than the quota, ``getOrder`` re-checks);
* **naive baseline** – the pattern most integrations use: Orders v0 ``getOrders`` pages plus one
  ``getOrderItems`` call per order, paced by the same token buckets (so it receives no 429 either).

Both poll like a job engine: a ``RateLimited`` reschedules the job after ``retry_after``; a page with
more work runs again at once; otherwise the next poll is a minute later. The emulator enforces the
documented rate/burst per operation and seller on the same clock, so hours pass in seconds.

Printed per importer: sustained orders imported per hour (after the warm-up, when bursts are spent),
marketplace calls per imported order, and 429 answers received; then the ratio of sustained throughput.

    python channels/amazon/bench/import_throughput.py --orders-per-hour 24000 --hours 3
"""
from __future__ import annotations

import argparse
import heapq
import logging
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from marketbridge.adapters import FetchRequest
from marketbridge.clock import FakeClock
from marketbridge.errors import RateLimited
from marketbridge.testing.context import adapter_context, connection_info

from marketbridge_amazon.adapter import AmazonChannel
from marketbridge_amazon.client import SpApiClient, segment
from marketbridge_amazon.config import AccountConfig
from marketbridge_amazon.emulator import CLIENT_ID, CLIENT_SECRET, AmazonEmulator, Mix, OrderGenerator

DE = "A1PA6795UKMFR9"
SELLER = "A3EMULATORSELLER"
POLL_SECONDS = 60.0
OPEN_V0 = ("Unshipped", "PartiallyShipped")


@dataclass
class Tally:
    name: str
    imported_at: dict[str, datetime] = field(default_factory=dict)

    def imported(self, order_id: str, when: datetime) -> None:
        self.imported_at.setdefault(order_id, when)


def settings(url: str) -> dict[str, Any]:
    return {"selling_partner_id": SELLER, "region": "eu", "lwa_client_id": CLIENT_ID, "endpoint": url,
            "lwa_token_url": url + "/auth/o2/token"}


def secrets() -> dict[str, str]:
    return {"lwa_client_secret": CLIENT_SECRET, "refresh_token": "Atzr|emulator-refresh-token"}


class MarketbridgeJob:
    """One step = one ``fetch_orders`` call; returns the delay until the next step."""

    def __init__(self, channel: AmazonChannel, clock: FakeClock, since: datetime, tally: Tally) -> None:
        self.channel, self.clock, self.since, self.tally = channel, clock, since, tally
        self.cursor: str | None = None

    def step(self) -> float:
        try:
            page = self.channel.fetch_orders(FetchRequest(self.cursor, self.since, open_only=True))
        except RateLimited as exc:
            return exc.retry_after
        self.cursor = page.cursor
        for order in page.orders:
            if order["status"] in ("unshipped", "partially_shipped"):
                self.tally.imported(order["marketplace_order_id"], self.clock.now())
        return 0.0 if page.more else POLL_SECONDS


class NaiveJob:
    """getOrders (v0) pages, then getOrderItems for every open order, paced by token buckets."""

    def __init__(self, client: SpApiClient, clock: FakeClock, since: datetime, tally: Tally) -> None:
        self.client, self.clock, self.tally = client, clock, tally
        self.watermark = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.token: str | None = None
        self.queue: deque[str] = deque()
        self.queued: set[str] = set()

    def step(self) -> float:
        try:
            if self.queue:
                order_id = self.queue[0]
                self.client.call("getOrderItemsV0", "GET", f"/orders/v0/orders/{segment(order_id)}/orderItems")
                self.queue.popleft()
                self.tally.imported(order_id, self.clock.now())
                return 0.0
            if not self.token and datetime.fromisoformat(self.watermark.replace("Z", "+00:00")) >= \
                    self.clock.now() - timedelta(minutes=2):
                return POLL_SECONDS  # Amazon requires windows that end at least two minutes ago
            params = {"MarketplaceIds": [DE], "LastUpdatedAfter": self.watermark, "FulfillmentChannels": ["MFN"],
                      "MaxResultsPerPage": 100, "NextToken": self.token}
            payload = self.client.call("getOrdersV0", "GET", "/orders/v0/orders", params=params).body["payload"]
        except RateLimited as exc:
            return exc.retry_after
        for order in payload["Orders"]:
            order_id = order["AmazonOrderId"]
            if order["OrderStatus"] in OPEN_V0 and order_id not in self.queued:
                self.queued.add(order_id)
                self.queue.append(order_id)
        self.token = payload.get("NextToken")
        if self.token:
            return 0.0
        self.watermark = payload.get("LastUpdatedBefore") or self.watermark
        return 0.0 if self.queue else POLL_SECONDS


def simulate(clock: FakeClock, jobs: list[Callable[[], float]], until: datetime) -> None:
    """Run jobs at their scheduled simulated times until ``until``."""
    queue = [(clock.now(), index) for index in range(len(jobs))]
    heapq.heapify(queue)
    while queue:
        when, index = heapq.heappop(queue)
        if when > until:
            break
        if when > clock.now():
            clock.set(when)
        delay = jobs[index]()
        heapq.heappush(queue, (clock.now() + timedelta(seconds=delay), index))


def _operation(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if parts[0] == "orders":
        return "searchOrders" if len(parts) == 3 else "getOrder"
    if parts[0] == "reports":
        return {"POST": "createReport"}.get(method, "getReport" if parts[2] == "reports" else "getReportDocument")
    return "createRestrictedDataToken" if parts[0] == "tokens" else f"{method} {path}"


def report(tally: Tally, calls: int, throttled: int, start: datetime, warmup: timedelta, end: datetime) -> float:
    steady = [t for t in tally.imported_at.values() if start + warmup <= t < end]
    hours = (end - start - warmup).total_seconds() / 3600
    per_hour = len(steady) / hours
    per_order = calls / max(1, len(tally.imported_at))
    print(f"{tally.name:<14} {per_hour:>12,.0f} {len(tally.imported_at):>10,} {calls:>8,} {per_order:>11.3f} "
          f"{throttled:>6}")
    return per_hour


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-hour", type=int, default=24_000, help="offered load (new orders per hour)")
    parser.add_argument("--hours", type=float, default=3.0, help="simulated hours")
    parser.add_argument("--warmup", type=float, default=1.0, help="hours before throughput is measured")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)

    start = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
    clock = FakeClock(start)
    emulator = AmazonEmulator(clock)
    mix = Mix(afn=0.0, pickup=0.0, malformed=0.0, unknown_sku=0.0)
    count = int(args.orders_per_hour * args.hours)
    emulator.add_orders(OrderGenerator(SELLER, DE, seed=args.seed, mix=mix).orders(
        start, start + timedelta(hours=args.hours), count))
    end = start + timedelta(hours=args.hours)
    began = time.perf_counter()
    with emulator.serve() as server:
        ours, naive = Tally("Marketbridge"), Tally("naive v0")
        channel = AmazonChannel(adapter_context(settings=settings(server.url), secrets=secrets(), clock=clock,
                                                connection=connection_info(channel_kind="amazon", marketplace=DE)))
        naive_context = adapter_context(settings=settings(server.url), secrets=secrets(), clock=clock)
        naive_client = SpApiClient(naive_context, AccountConfig.from_context(naive_context.settings,
                                                                             naive_context.secrets))
        since = start - timedelta(hours=1)
        jobs = [MarketbridgeJob(channel, clock, since, ours).step, NaiveJob(naive_client, clock, since, naive).step]
        simulate(clock, jobs, end)
    log = [c for c in emulator.calls() if not c.path.startswith(("/auth", "/_"))]
    naive_calls = [c for c in log if c.path.startswith("/orders/v0/")]
    our_calls = [c for c in log if not c.path.startswith("/orders/v0/")]

    print(f"Offered load {args.orders_per_hour:,} orders/h for {args.hours:g} simulated hours "
          f"({count:,} orders); steady state measured after {args.warmup:g} h; "
          f"{time.perf_counter() - began:.0f} s real time.")
    print(f"{'importer':<14} {'orders/hour':>12} {'imported':>10} {'calls':>8} {'calls/order':>11} {'429s':>6}")
    warmup = timedelta(hours=args.warmup)
    ours_rate = report(ours, len(our_calls), sum(c.status == 429 for c in our_calls), start, warmup, end)
    naive_rate = report(naive, len(naive_calls), sum(c.status == 429 for c in naive_calls), start, warmup, end)
    ratio = ours_rate / naive_rate if naive_rate else float("inf")
    print(f"Sustained throughput ratio (Marketbridge / naive): {ratio:.1f}x")
    importable = [o for o in emulator.orders.by_id.values()
                  if (o.eligible_at() or end) < end - timedelta(minutes=15) and o.status_at(end) != "CANCELLED"]
    lags = sorted((ours.imported_at[o.order_id] - o.eligible_at()).total_seconds() / 60 for o in importable
                  if o.order_id in ours.imported_at)
    if lags:
        print(f"Marketbridge imported {len(lags):,} of the {len(importable):,} orders that became importable more "
              f"than 15 min before the end; delay after becoming importable: median {lags[len(lags) // 2]:.1f} "
              f"min, 90th percentile {lags[int(len(lags) * 0.9)]:.1f} min, max {lags[-1]:.1f} min.")
    operations: dict[str, int] = {}
    for call in our_calls:
        operations[_operation(call.method, call.path)] = operations.get(_operation(call.method, call.path), 0) + 1
    print("Marketbridge calls:", ", ".join(f"{k} {v}" for k, v in sorted(operations.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
