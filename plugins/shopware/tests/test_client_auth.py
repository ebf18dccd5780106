"""Authentication and connection checks: token caching and renewal, the token route's limiter,
revoked keys, missing privileges, unreachable shops (D2: secrets never in messages)."""
from __future__ import annotations

import pytest

from marketbridge.clock import FakeClock
from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.testing.context import adapter_context
from marketbridge.testing.emulator import EmulatorServer
from marketbridge.testing.faults import Fault

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.client import TOKEN_STATE
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration
from marketbridge_shopware.permissions import PRIVILEGES

from sw_helpers import make_shop


def token_calls(emulator: ShopwareEmulator) -> int:
    return len(emulator.calls("POST", "/api/oauth/token"))


def test_token_is_cached_and_renewed_before_its_ten_minutes_run_out(
        shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    for _ in range(3):
        shop.read_stock(["0" * 32])
    assert token_calls(emulator) == 1
    clock.advance(530)
    shop.read_stock(["0" * 32])
    assert token_calls(emulator) == 1
    clock.advance(20)  # 550 s: within the last minute of the token's life
    shop.read_stock(["0" * 32])
    assert token_calls(emulator) == 2
    assert shop.context.quota.count("oauth_token") == 2


def test_an_expired_or_revoked_token_is_replaced_once(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    shop.read_stock(["0" * 32])
    emulator.auth.tokens.clear()  # e.g. the shop's cache was flushed
    shop.read_stock(["0" * 32])
    assert token_calls(emulator) == 2


def test_wrong_credentials_say_what_to_fix_without_the_secret(
        server: EmulatorServer, integration: Integration, clock: FakeClock) -> None:
    wrong = Integration(access_key=integration.access_key, secret="wrong-secret-value", label="x")
    shop = make_shop(server, wrong, clock)
    with pytest.raises(AuthenticationFailed) as caught:
        shop.read_stock(["0" * 32])
    message = str(caught.value)
    assert "Settings > System > Integrations" in message and "access key ID" in message
    assert "wrong-secret-value" not in message and caught.value.code == "credentials_rejected"


def test_a_deleted_integration_stops_the_shop_with_a_plain_reason(
        shop: ShopwareShop, emulator: ShopwareEmulator, integration: Integration) -> None:
    shop.read_stock(["0" * 32])
    emulator.auth.remove_integration(integration.access_key)
    with pytest.raises(AuthenticationFailed, match="check that the Marketbridge integration still exists"):
        shop.read_stock(["0" * 32])


def test_missing_settings_are_reported_before_any_call(clock: FakeClock) -> None:
    shop = ShopwareShop(adapter_context(settings={"shop_url": "https://shop.example"}, clock=clock))
    with pytest.raises(AuthenticationFailed) as caught:
        shop.find_order("amazon:1")
    assert caught.value.code == "credentials_missing"


def test_token_requests_are_paced_below_the_shops_oauth_limiter(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    for _ in range(10):
        shop.api.forget_token()
        shop.api.token()
    shop.api.forget_token()
    with pytest.raises(RateLimited) as caught:
        shop.api.token()
    assert token_calls(emulator) == 10  # the eleventh never left this process
    assert caught.value.retry_after == pytest.approx(3.0)


def test_the_shops_own_429_on_the_token_route_reschedules(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                          clock: FakeClock) -> None:
    other = make_shop_like(shop, clock)
    for _ in range(10):  # another Marketbridge instance exhausted the shop's limiter for this key
        other.api.forget_token()
        other.api.token()
        clock.advance(0.5)
    with pytest.raises(RateLimited) as caught:
        shop.api.token()
    assert 1 <= caught.value.retry_after <= 10


def make_shop_like(shop: ShopwareShop, clock: FakeClock) -> ShopwareShop:
    return ShopwareShop(adapter_context(settings=dict(shop.context.settings), secrets=dict(shop.context.secrets),
                                        clock=clock))


def test_server_errors_timeouts_and_dropped_connections_are_temporary(
        server: EmulatorServer, integration: Integration, clock: FakeClock, emulator: ShopwareEmulator) -> None:
    shop = make_shop(server, integration, clock, timeout=2.0)
    for fault, code in ((Fault(status=500, path="/api/search/"), None), (Fault(kind="timeout", path="/api/search/"), "timeout"),
                        (Fault(kind="drop", path="/api/search/"), None)):
        emulator.faults.add(fault)
        with pytest.raises(TemporaryFailure) as caught:
            shop.read_stock(["0" * 32])
        if code:
            assert caught.value.code == code
    emulator.faults.add(Fault(status=502, path="/api/oauth/token"))
    shop.api.forget_token()
    with pytest.raises(TemporaryFailure):
        shop.read_stock(["0" * 32])


def test_tokens_live_in_the_encrypted_state_never_in_messages(shop: ShopwareShop) -> None:
    shop.read_stock(["0" * 32])
    token = shop.context.state.get(TOKEN_STATE)["access_token"]
    assert token and token not in repr(shop.context.settings)


def test_check_connection_passes_on_a_well_set_up_shop(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    assert shop.check_connection().ok
    assert emulator.store.first("custom_field_set", name="marketbridge") is not None
    assert shop.check_connection().ok  # idempotent


def test_check_connection_lists_missing_read_permissions_and_settings(
        server: EmulatorServer, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    limited = emulator.add_integration("Limited", admin=False, privileges=frozenset(
        p for p in PRIVILEGES if p not in ("product:read", "state_machine_history:read")))
    shop = make_shop(server, limited, clock, sales_channel="Amazon Channel", payment_method="payment_amazon")
    problems = shop.check_connection().problems
    assert any("cannot read product:read, state_machine_history:read" in p for p in problems)
    assert any("no sales channel \"Amazon Channel\"" in p for p in problems)
    assert any("no payment method \"payment_amazon\"" in p for p in problems)


def test_check_connection_reports_rejected_credentials_as_a_problem(
        server: EmulatorServer, integration: Integration, clock: FakeClock) -> None:
    shop = make_shop(server, Integration(integration.access_key, "nope", "x"), clock)
    (problem,) = shop.check_connection().problems
    assert "did not accept the access key ID and secret access key" in problem


def test_check_connection_raises_when_the_shop_cannot_be_reached(clock: FakeClock) -> None:
    shop = ShopwareShop(adapter_context(settings={"shop_url": "http://127.0.0.1:9", "client_id": "SWIA"},
                                        secrets={"client_secret": "s"}, clock=clock, timeout=2.0))
    with pytest.raises(TemporaryFailure, match="could not be reached"):
        shop.check_connection()
