# tests/test_failures.py
"""Bad days: every failure reaches the engine as one of Marketbridge's exceptions, and nobody sleeps."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from marketbridge.adapters import FetchRequest
from marketbridge.clock import FakeClock
from marketbridge.errors import AdapterError, AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.testing import Fault
from marketbridge.testing.context import adapter_context, connection_info

from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import TOKEN, AcmeEmulator

FIRST = FetchRequest(cursor=None, since=datetime(2026, 11, 1, tzinfo=timezone.utc), open_only=True)


@pytest.mark.parametrize(("fault", "code"), [
    (Fault(status=503), "temporary_failure"),
    (Fault(kind="malformed"), "malformed_response"),
    (Fault(status=200, body='{"pages": []}', headers={"Content-Type": "application/json"}), "malformed_response"),
    (Fault(kind="drop"), "unreachable"),
])
def test_a_failing_acme_is_a_temporary_failure(acme: AcmeEmulator, adapter: AcmeChannel, fault: Fault,
                                               code: str) -> None:
    acme.place_order()
    acme.faults.add(fault)
    with pytest.raises(TemporaryFailure) as failure:
        adapter.fetch_orders(FIRST)
    assert failure.value.code == code


def test_a_hanging_acme_is_a_timeout(acme: AcmeEmulator, acme_url: str) -> None:
    acme.faults.add(Fault(kind="timeout"))
    adapter = AcmeChannel(adapter_context(settings={"api_url": acme_url}, secrets={"api_token": TOKEN},
                                          connection=connection_info(marketplace="acme-de"), timeout=0.2))
    with pytest.raises(TemporaryFailure) as failure:
        adapter.fetch_orders(FIRST)
    assert failure.value.code == "timeout"


def test_a_refused_token_says_what_to_do_and_is_never_repeated_in_messages_or_logs(
        acme: AcmeEmulator, adapter: AcmeChannel, caplog: pytest.LogCaptureFixture) -> None:
    acme.faults.add(Fault(status=401, body='{"error": {"code": "unauthorized", "message": "revoked"}}'))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationFailed) as failure:
        adapter.fetch_orders(FIRST)
    assert "Acme Seller Hub → Settings → API" in failure.value.message
    assert TOKEN not in failure.value.message and TOKEN not in caplog.text


def test_check_connection_names_each_thing_to_fix(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    assert adapter.check_connection().ok
    acme.scopes = ["orders:read", "orders:write"]
    (problem,) = adapter.check_connection().problems
    assert problem.startswith("The API token lacks the stock:write scope, needed to update stock.")
    acme.faults.add(Fault(status=401, body='{"error": {"code": "unauthorized", "message": "revoked"}}'))
    assert "refused the credentials" in adapter.check_connection().problems[0]


def test_without_a_token_nothing_is_sent(acme: AcmeEmulator, acme_url: str) -> None:
    adapter = AcmeChannel(adapter_context(settings={"api_url": acme_url},
                                          connection=connection_info(marketplace="acme-de")))
    with pytest.raises(AuthenticationFailed):
        adapter.fetch_orders(FIRST)
    assert acme.log == []


def test_a_429_is_rate_limited_with_acme_s_retry_after_and_empties_the_bucket(acme: AcmeEmulator,
                                                                              adapter: AcmeChannel) -> None:
    acme.faults.add(Fault(status=429, headers={"Retry-After": "7"},
                          body='{"error": {"code": "rate_limited", "message": "slow down"}}'))
    with pytest.raises(RateLimited) as throttled:
        adapter.fetch_orders(FIRST)
    assert throttled.value.retry_after == 7
    with pytest.raises(RateLimited):
        adapter.marketplaces()
    assert len(acme.log) == 1, "the empty bucket answered the second call without asking Acme"


def test_the_adapter_paces_itself_before_acme_must_say_429(acme: AcmeEmulator, adapter: AcmeChannel,
                                                           clock: FakeClock) -> None:
    for _ in range(20):
        adapter.marketplaces()
    with pytest.raises(RateLimited) as throttled:
        adapter.marketplaces()
    assert throttled.value.retry_after == pytest.approx(0.2)
    assert len(acme.log) == 20 and adapter.context.quota.count("getAccount") == 20
    assert adapter.context.state.get("rate_bucket")["tokens"] < 1, "the level is kept for the next job"
    clock.advance(seconds=0.2)
    assert adapter.marketplaces()[0].id == "acme-de"


def test_a_cursor_this_plugin_did_not_write_is_an_adapter_error(adapter: AcmeChannel) -> None:
    with pytest.raises(AdapterError) as failure:
        adapter.fetch_orders(FetchRequest(cursor="page 3", since=FIRST.since))
    assert failure.value.code == "acme_bad_cursor"
