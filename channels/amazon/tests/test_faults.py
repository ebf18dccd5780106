"""Bad paths over real HTTP: 5xx, timeouts, dropped connections, malformed bodies – all retryable, nothing lost."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketbridge.adapters import FetchRequest
from marketbridge.errors import TemporaryFailure
from marketbridge.testing import Fault


@pytest.fixture
def orders(emulator, generator, clock):
    created = clock.now() - timedelta(hours=2)
    return [emulator.add_order(generator.order(created, afn=False, pickup=False,
                                               status_events=[(created, "UNSHIPPED")])) for _ in range(3)]


def _fetch(channel, clock, cursor=None):
    return channel.fetch_orders(FetchRequest(cursor, clock.now() - timedelta(days=1), True))


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_temporary(channel, emulator, clock, orders, status):
    emulator.fail("/orders/2026-01-01/orders$", status=status)
    with pytest.raises(TemporaryFailure) as caught:
        _fetch(channel, clock)
    assert caught.value.params["status"] == status
    assert {o["marketplace_order_id"] for o in _fetch(channel, clock).orders} == {o.order_id for o in orders}


def test_timeout_is_temporary(make_channel, emulator, clock, orders):
    channel = make_channel(timeout=2.0)
    channel.marketplaces()  # token fetched before the fault
    emulator.faults.add(Fault(kind="timeout", path="/orders/2026-01-01/orders$"))
    with pytest.raises(TemporaryFailure) as caught:
        _fetch(channel, clock)
    assert caught.value.code == "timeout"


def test_dropped_connection_is_temporary(channel, emulator, clock, orders):
    emulator.faults.add(Fault(kind="drop", path="/orders/2026-01-01/orders$"))
    with pytest.raises(TemporaryFailure):
        _fetch(channel, clock)


def test_malformed_body_is_temporary_and_the_page_is_fetched_again(channel, emulator, clock, orders):
    emulator.faults.add(Fault(kind="malformed", path="/orders/2026-01-01/orders$"))
    with pytest.raises(TemporaryFailure) as caught:
        _fetch(channel, clock)
    assert caught.value.code == "malformed_response"
    assert len(_fetch(channel, clock).orders) == 3


def test_lwa_outage_is_temporary(channel, emulator, clock):
    emulator.faults.add(Fault(status=503, path="/auth/o2/token"))
    with pytest.raises(TemporaryFailure):
        channel.marketplaces()
    assert channel.marketplaces()


def test_report_download_failure_keeps_the_backlog_job(channel, emulator, clock, orders):
    """A failed document download does not lose the finished reports: the next call downloads them again."""
    from marketbridge_amazon.cursor import ImportCursor, ReportJob

    cursor = ImportCursor(phase="backfill", report=ReportJob(
        kind="created", after=(clock.now() - timedelta(days=2)).isoformat(),
        before=(clock.now() - timedelta(minutes=5)).isoformat()))
    page = channel.fetch_orders(FetchRequest(cursor.dumps(), clock.now(), True))
    assert not page.more and len(emulator.calls("POST", "/reports/2021-06-30/reports")) == 2
    clock.advance(seconds=120)
    emulator.faults.add(Fault(status=500, path="/_downloads/"))
    page = channel.fetch_orders(FetchRequest(page.cursor, clock.now(), True))
    assert page.orders == () and '"documents": {"GET_' in page.cursor
    page = channel.fetch_orders(FetchRequest(page.cursor, clock.now(), True))
    assert {o["marketplace_order_id"] for o in page.orders} == {o.order_id for o in orders}
    assert len(emulator.calls("POST", "/reports/2021-06-30/reports")) == 2, "no report is requested twice"
