"""check_connection and marketplaces (C1, C7, C8) and the plugin registration."""
from __future__ import annotations

from datetime import timedelta

from marketbridge.plugins import AdapterRegistry, make_plugin_manager

from marketbridge_amazon.adapter import AmazonChannel
from marketbridge_amazon.authorization import Grant, record_grant


def test_plugin_registers_the_channel_through_its_entry_point():
    registry = AdapterRegistry(make_plugin_manager())
    assert registry.channel("amazon") is AmazonChannel


def test_connection_check_passes_for_a_participating_marketplace(channel):
    assert channel.check_connection().ok


def test_marketplaces_lists_the_accounts_participations(channel):
    choices = {c.id: c for c in channel.marketplaces()}
    assert set(choices) == {"A1PA6795UKMFR9", "A13V1IB3VIYZZH", "APJ6JRA9NG5V4"}
    assert choices["A1PA6795UKMFR9"].currency == "EUR" and choices["A1PA6795UKMFR9"].country_code == "DE"


def test_marketplace_the_account_does_not_sell_on_is_a_problem(make_channel):
    result = make_channel(marketplace="ATVPDKIKX0DER").check_connection()
    assert not result.ok and "does not sell on marketplace ATVPDKIKX0DER" in result.problems[0]
    assert "A1PA6795UKMFR9" in result.problems[0]


def test_missing_settings_are_problems_without_calling_amazon(make_channel, emulator):
    channel = make_channel()
    channel.context.secrets.pop("refresh_token")  # type: ignore[attr-defined]
    result = channel.check_connection()
    assert result.problems == ("Authorise Marketbridge in Seller Central so it receives a refresh token.",)
    assert not emulator.calls()


def test_revoked_authorisation_is_reported_as_a_problem(channel, emulator):
    emulator.revoke("Atzr|emulator-refresh-token")
    result = channel.check_connection()
    assert not result.ok and "Authorise Marketbridge again" in result.problems[0]


def test_grant_expiring_within_a_month_asks_for_renewal(channel, clock):
    record_grant(channel.context.state, Grant("A3EMULATORSELLER", clock.now() - timedelta(days=340), "Atzr|x"))
    result = channel.check_connection()
    assert len(result.problems) == 1 and "expires on" in result.problems[0]
