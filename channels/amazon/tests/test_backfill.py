"""Backfills and backlogs: thousands of orders, quota exhaustion, expired pagination tokens, report route."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from marketbridge.adapters import FetchRequest
from marketbridge.errors import RateLimited

from marketbridge_amazon.emulator import AmazonEmulator, Mix, OrderGenerator
from marketbridge_amazon.report_orders import TRACKING_REPORT, UNSHIPPED_REPORT

OPEN = ("unshipped", "partially_shipped")


def _expected_open(emulator: AmazonEmulator, since, now, fulfilled_by: str = "MERCHANT") -> set[str]:
    return {o.order_id for o in emulator.orders.by_id.values()
            if o.fulfilled_by == fulfilled_by and o.created >= since and o.exists(now)
            and o.status_at(now) in ("UNSHIPPED", "PARTIALLY_SHIPPED")}


@pytest.mark.search_pages(3)
def test_thirty_day_backfill_of_thousands_of_orders_goes_through_reports(channel, emulator, clock, run_import):
    """C3 + backlog: 6000 open orders overflow the searchOrders burst (20 pages); the rest arrives in one report
    pair, nothing is lost, and the Pending/cancelled ones are left for the updates window and re-checks."""
    since = clock.now() - timedelta(days=30)
    mix = Mix(afn=0.05, pickup=0, shipped_share=0.0, cancelled_pending=0.02, cancelled_later=0.01, long_pending=0.0,
              preorder=0.0, unknown_sku=0.0, malformed=0.0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=3, mix=mix).orders(
        since, clock.now() - timedelta(hours=1), 6000, now=clock.now()))
    run = run_import(channel, since)

    expected = _expected_open(emulator, since, clock.now())
    imported = {i for i, o in run.orders.items() if o["status"] in OPEN}
    assert len(expected) > 5000
    assert imported == expected
    assert not run.rejected
    searches = [c for c in emulator.calls("GET") if c.path == "/orders/2026-01-01/orders"]
    assert len([c for c in searches if "createdAfter" in c.query]) == 20, "the burst, then the report route"
    report_types = [json.loads(c.body)["reportType"] for c in emulator.calls("POST", "/reports/2021-06-30/reports")]
    assert sorted(report_types) == sorted([UNSHIPPED_REPORT, TRACKING_REPORT])
    assert emulator.calls("POST", "/tokens/2021-03-01/restrictedDataToken"), "the restricted report needs an RDT"
    assert not [c for c in emulator.calls() if c.status == 429]


@pytest.mark.search_pages(3)
def test_quota_exhaustion_mid_import_resumes_from_the_cursor(make_channel, emulator, clock, run_import):
    """An AFN connection (no report route) pages 2500 orders through 25 searchOrders calls: after the burst of
    20 the adapter raises RateLimited with the wait, the cursor stays, and nothing is lost or duplicated."""
    since = clock.now() - timedelta(days=20)
    mix = Mix(afn=1.0, pickup=0, shipped_share=0.0, cancelled_pending=0, cancelled_later=0, long_pending=0,
              preorder=0, malformed=0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=5, mix=mix).orders(
        since, clock.now() - timedelta(hours=1), 2500, now=clock.now()))
    channel = make_channel(fulfilment_channel="marketplace")
    run = run_import(channel, since)
    assert run.rate_limited >= 5
    backfill = run.seen[:2500]
    assert len(backfill) == len(set(backfill)) == 2500
    assert set(run.orders) == _expected_open(emulator, since, clock.now(), "AMAZON")
    assert not [c for c in emulator.calls() if c.status == 429]


def test_rate_limited_fetch_leaves_the_cursor_to_the_host(make_channel, emulator, clock):
    since = clock.now() - timedelta(days=2)
    mix = Mix(afn=1.0, shipped_share=0.0, cancelled_pending=0, cancelled_later=0, long_pending=0, preorder=0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=8, mix=mix).orders(
        since, clock.now() - timedelta(hours=1), 250, now=clock.now()))
    channel = make_channel(fulfilment_channel="marketplace")
    state = channel.context.state
    for key in list(state.values):
        state.delete(key)
    state.set("ratelimit:A3EMULATORSELLER:searchOrders", {"rate": 0.0056, "burst": 20, "tokens": 0.0,
                                                          "at": clock.now().timestamp()})
    with pytest.raises(RateLimited) as caught:
        channel.fetch_orders(FetchRequest(None, since, True))
    assert 170 < caught.value.retry_after < 190
    assert not emulator.calls("GET", "/orders/2026-01-01/orders")


@pytest.mark.search_pages(3)
def test_expired_pagination_token_restarts_the_window_and_never_skips(make_channel, emulator, clock):
    """A token older than 24 h is not sent: the window restarts with the same bounds, from page one."""
    since = clock.now() - timedelta(days=2)
    mix = Mix(afn=1.0, shipped_share=0.0, cancelled_pending=0, cancelled_later=0, long_pending=0, preorder=0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=9, mix=mix).orders(
        since, clock.now() - timedelta(hours=1), 250, now=clock.now()))
    channel = make_channel(fulfilment_channel="marketplace")
    first = channel.fetch_orders(FetchRequest(None, since, True))
    assert first.more and json.loads(first.cursor)["window"]["token"]
    clock.advance(hours=24, minutes=1)
    seen = [o["marketplace_order_id"] for o in first.orders]
    cursor = first.cursor
    restarted = None
    while True:
        page = channel.fetch_orders(FetchRequest(cursor, since, True))
        restarted = restarted or json.loads(page.cursor).get("window") or {}
        seen += [o["marketplace_order_id"] for o in page.orders]
        cursor = page.cursor
        if json.loads(cursor)["phase"] == "updates":
            break
    tokens_sent = [c.query.get("paginationToken") for c in emulator.calls("GET", "/orders/2026-01-01/orders")]
    assert tokens_sent[1] is None, "the stale token must not be used"
    assert emulator.calls("GET", "/orders/2026-01-01/orders")[1].query["createdBefore"], "same bounds on restart"
    assert restarted.get("restarts") == 1
    counts = Counter(seen)
    assert set(counts) == {o.order_id for o in emulator.orders.by_id.values()}
    assert max(counts.values()) == 2 and counts.most_common()[-1][1] == 1  # page one twice, never a gap


@pytest.mark.no_contract
def test_token_refused_by_amazon_restarts_the_window(make_channel, emulator, clock):
    since = clock.now() - timedelta(days=2)
    mix = Mix(afn=1.0, shipped_share=0.0, cancelled_pending=0, cancelled_later=0, long_pending=0, preorder=0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=10, mix=mix).orders(
        since, clock.now() - timedelta(hours=1), 150, now=clock.now()))
    channel = make_channel(fulfilment_channel="marketplace")
    first = channel.fetch_orders(FetchRequest(None, since, True))
    emulator.pages.clear()  # Amazon forgot the token
    second = channel.fetch_orders(FetchRequest(first.cursor, since, True))
    assert second.orders == () and second.more
    third = channel.fetch_orders(FetchRequest(second.cursor, since, True))
    assert {o["marketplace_order_id"] for o in third.orders} == {o["marketplace_order_id"] for o in first.orders}


@pytest.mark.search_pages(3)
def test_peak_updates_window_goes_through_reports_and_rechecks_cancellations(channel, emulator, clock, run_import):
    """A peak day in steady state: an updates window with 2600 orders overflows the quota; the report route
    imports the open ones and re-checks the cancelled ones with getOrder, so the engine learns about them."""
    idle = run_import(channel, clock.now() - timedelta(days=1))
    mix = Mix(afn=0.0, pickup=0, shipped_share=0.0, cancelled_pending=0, cancelled_later=0.05, long_pending=0,
              preorder=0, malformed=0)
    emulator.add_orders(OrderGenerator("A3EMULATORSELLER", seed=12, mix=mix).orders(
        clock.now() + timedelta(minutes=1), clock.now() + timedelta(hours=10), 2600))
    clock.advance(hours=11)
    run = run_import(channel, clock.now() - timedelta(days=1), cursor=idle.cursor)
    caught_up = datetime.fromisoformat(json.loads(run.cursor)["watermark"].replace("Z", "+00:00"))
    cancelled = {o.order_id for o in emulator.orders.by_id.values() if o.status_at(caught_up) == "CANCELLED"}
    rechecked = {c.path.rsplit("/", 1)[1] for c in emulator.calls("GET", "/orders/2026-01-01/orders/")}
    assert cancelled & rechecked, "cancellations inside the report window are re-checked"
    assert all(run.orders[i]["status"] == "cancelled" for i in cancelled), "later ones arrive via searchOrders"
    assert emulator.calls("POST", "/reports/2021-06-30/reports")
    assert {i for i, o in run.orders.items() if o["status"] in OPEN} == {
        o.order_id for o in emulator.orders.by_id.values()
        if o.status_at(caught_up) in ("UNSHIPPED", "PARTIALLY_SHIPPED")}



def test_unreadable_cursor_is_an_adapter_error_not_a_crash(channel, clock):
    from marketbridge.errors import AdapterError

    for bad in ("not json", json.dumps({"v": 99}), json.dumps({"v": 1, "phase": "updates", "watermark": None,
                                                                "window": None, "report": None, "recheck": []})):
        with pytest.raises(AdapterError) as caught:
            channel.fetch_orders(FetchRequest(bad, clock.now(), True))
        assert caught.value.code == "bad_cursor"
