"""LWA tokens, revoked grants, the consent flow's pure functions (C7) and grant expiry (C8)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from marketbridge.adapters import FetchRequest
from marketbridge.errors import AuthenticationFailed
from marketbridge.testing.context import MemoryState

from marketbridge_amazon.authorization import (GRANT_LIFETIME, consent_url, exchange_code, grant_status, make_state,
                                               record_grant, verify_state)
from marketbridge_amazon.config import AccountConfig
from marketbridge_amazon.emulator import CLIENT_ID, CLIENT_SECRET

KEY = b"host-secret-key"


def test_access_token_is_cached_until_shortly_before_expiry(channel, emulator, clock):
    channel.marketplaces()
    channel.marketplaces()
    assert len(emulator.calls("POST", "/auth/o2/token")) == 1
    clock.advance(minutes=59)  # within the two-minute renewal margin
    channel.marketplaces()
    assert len(emulator.calls("POST", "/auth/o2/token")) == 2
    form = parse_qs(emulator.calls("POST", "/auth/o2/token")[0].body.decode())
    assert form["grant_type"] == ["refresh_token"] and form["client_id"] == [CLIENT_ID]


def test_cache_survives_a_new_adapter_instance_sharing_the_accounts_state(make_channel, emulator):
    state = MemoryState()
    make_channel(state=state).marketplaces()
    make_channel(state=state).marketplaces()
    assert len(emulator.calls("POST", "/auth/o2/token")) == 1


def test_revoked_grant_asks_for_reauthorisation(channel, emulator, clock):
    """A revoked grant: the cached token stops working, LWA answers invalid_grant → reauthorization_required."""
    channel.marketplaces()
    emulator.revoke("Atzr|emulator-refresh-token")
    with pytest.raises(AuthenticationFailed) as caught:
        channel.fetch_orders(FetchRequest(None, clock.now() - timedelta(days=1)))
    assert caught.value.code == "reauthorization_required"
    assert "Authorise Marketbridge again" in caught.value.message and "kept" in caught.value.message


def test_wrong_client_secret_names_the_fix_and_leaks_nothing(make_channel, clock):
    channel = make_channel()
    channel.context.secrets["lwa_client_secret"] = "wrong-secret-value"  # type: ignore[index]
    with pytest.raises(AuthenticationFailed) as caught:
        channel.marketplaces()
    assert caught.value.code == "invalid_client" and "Solution Provider Portal" in caught.value.message
    assert "wrong-secret-value" not in str(caught.value) and "wrong-secret-value" not in repr(caught.value.params)


def test_secrets_never_appear_in_reprs():
    config = AccountConfig.from_context({"selling_partner_id": "A1", "lwa_client_id": "id"},
                                        {"lwa_client_secret": "s3cr3t", "refresh_token": "Atzr|r3fr3sh"})
    assert "s3cr3t" not in repr(config) and "r3fr3sh" not in repr(config)


def test_missing_settings_are_named():
    with pytest.raises(AuthenticationFailed) as caught:
        AccountConfig.from_context({}, {})
    assert caught.value.code == "incomplete_settings" and "seller ID" in caught.value.message


def test_consent_url_and_signed_state(clock):
    state = make_state(KEY, "account-7", clock.now())
    url = consent_url("https://sellercentral-europe.amazon.com", "amzn1.sp.solution.abc", state,
                      redirect_uri="https://mb.example/amazon/callback", beta=True)
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.path == "/apps/authorize/consent" and query["application_id"] == ["amzn1.sp.solution.abc"]
    assert query["version"] == ["beta"] and query["state"] == [state]
    assert verify_state(KEY, state, clock.now()) == "account-7"


def test_tampered_foreign_or_expired_state_is_refused(clock):
    state = make_state(KEY, "account-7", clock.now())
    body, signature = state.split(".")
    forged = make_state(KEY, "account-8", clock.now()).split(".")[0] + "." + signature
    for bad in (forged, state + "x", "garbage"):
        with pytest.raises(AuthenticationFailed) as caught:
            verify_state(KEY, bad, clock.now())
        assert caught.value.code == "invalid_state"
    with pytest.raises(AuthenticationFailed):
        verify_state(b"other-key", state, clock.now())
    with pytest.raises(AuthenticationFailed) as expired:
        verify_state(KEY, state, clock.now() + timedelta(minutes=11))
    assert expired.value.code == "state_expired"


def test_authorization_code_is_exchanged_once_for_a_refresh_token(server, emulator, clock):
    from marketbridge.http import make_session

    code = emulator.issue_code()
    grant = exchange_code(make_session(), server.url + "/auth/o2/token", code=code, client_id=CLIENT_ID,
                          client_secret=CLIENT_SECRET, selling_partner_id="A3EMULATORSELLER", now=clock.now())
    assert grant.refresh_token.startswith("Atzr|") and grant.refresh_token not in repr(grant)
    assert grant.expires_at == clock.now() + GRANT_LIFETIME
    with pytest.raises(AuthenticationFailed) as caught:
        exchange_code(make_session(), server.url + "/auth/o2/token", code=code, client_id=CLIENT_ID,
                      client_secret=CLIENT_SECRET, selling_partner_id="A3EMULATORSELLER", now=clock.now())
    assert caught.value.code == "reauthorization_required"


def test_new_refresh_token_from_consent_works_for_calls(make_channel, server, emulator, clock):
    from marketbridge.http import make_session

    grant = exchange_code(make_session(), server.url + "/auth/o2/token", code=emulator.issue_code(),
                          client_id=CLIENT_ID, client_secret=CLIENT_SECRET, selling_partner_id="A3EMULATORSELLER",
                          now=clock.now())
    assert make_channel(refresh_token=grant.refresh_token).marketplaces()


def test_grant_expiry_reminder_window(clock):
    """C8: a grant lasts a year; reminders are due during its last month; nothing is deleted after expiry."""
    state = MemoryState()
    from marketbridge_amazon.authorization import Grant

    record_grant(state, Grant("A3EMULATORSELLER", clock.now(), "Atzr|x"))
    assert "Atzr" not in str(state.values)
    assert not grant_status(state, clock.now() + timedelta(days=300)).reminder_due
    soon = grant_status(state, clock.now() + timedelta(days=340))
    assert soon.reminder_due and not soon.expired
    late = grant_status(state, clock.now() + timedelta(days=366))
    assert late.expired and not late.reminder_due
