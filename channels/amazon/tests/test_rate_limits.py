"""Token buckets per operation and seller: pacing, retuning, 429s, persistence and the quota display."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketbridge.clock import FakeClock
from marketbridge.errors import RateLimited
from marketbridge.testing.context import MemoryState, RecordingQuota

from marketbridge_amazon.quota import BucketStore


def test_empty_bucket_raises_without_calling_amazon(channel, emulator):
    for _ in range(15):
        channel.marketplaces()
    with pytest.raises(RateLimited) as caught:
        channel.marketplaces()
    assert caught.value.operation == "getMarketplaceParticipations"
    assert 60 < caught.value.retry_after < 65  # 1 / 0.016 s plus the safety second
    assert len(emulator.calls("GET", "/sellers/v1/marketplaceParticipations")) == 15
    assert not [c for c in emulator.calls() if c.status == 429]


def test_429_drains_the_bucket_and_reschedules(channel, emulator):
    emulator.throttle("/sellers/v1/marketplaceParticipations", operation="getMarketplaceParticipations")
    with pytest.raises(RateLimited) as caught:
        channel.marketplaces()
    assert caught.value.retry_after > 60
    assert channel.quota_levels()["getMarketplaceParticipations"]["available"] < 1
    quota = channel.context.quota
    assert isinstance(quota, RecordingQuota) and quota.calls[-1]["rejected"] is True, "a real 429 is counted apart from our own pacing"


def test_bucket_is_retuned_from_the_rate_limit_header(channel, emulator):
    emulator._bucket("getMarketplaceParticipations", "A3EMULATORSELLER").retune(0.5)
    channel.marketplaces()
    assert channel.quota_levels()["getMarketplaceParticipations"]["rate"] == 0.5
    assert channel.context.quota.calls[-1]["limit"] == 0.5


def test_quota_survives_a_process_restart():
    """Levels are stored with wall-clock time, so a new process (new monotonic clock) continues correctly."""
    state = MemoryState()
    first = FakeClock()
    store = BucketStore(state, first, RecordingQuota(), "SELLER")
    for _ in range(20):
        store.take("searchOrders")
    restarted = FakeClock(first.now() + timedelta(seconds=90))  # monotonic starts at 0 again
    again = BucketStore(state, restarted, RecordingQuota(), "SELLER")
    assert 0.4 < again.bucket("searchOrders").available() < 0.6  # 90 s × 0.0056
    with pytest.raises(RateLimited):
        again.take("searchOrders")


def test_levels_saved_by_round_one_are_still_read():
    """Before core's snapshots carried ``saved_at``, levels were stored with ``at``: nothing is lost on upgrade."""
    state, clock = MemoryState(), FakeClock()
    state.set("ratelimit:SELLER:searchOrders", {"rate": 0.0056, "burst": 20, "tokens": 0.0,
                                                "at": clock.now().timestamp() - 90})
    level = BucketStore(state, clock, RecordingQuota(), "SELLER").bucket("searchOrders").available()
    assert 0.4 < level < 0.6


def test_buckets_are_per_seller_and_operation():
    state, clock = MemoryState(), FakeClock()
    store_a = BucketStore(state, clock, RecordingQuota(), "SELLER-A")
    for _ in range(20):
        store_a.take("searchOrders")
    store_a.take("getOrder")
    BucketStore(state, clock, RecordingQuota(), "SELLER-B").take("searchOrders")


def test_every_call_is_reported_for_the_quota_display(channel):
    channel.marketplaces()
    recorded = channel.context.quota.calls
    assert recorded == [{"operation": "getMarketplaceParticipations", "limit": 0.016, "remaining": pytest.approx(14),
                         "throttled": False, "rejected": False}]
