"""The Ecwid app pieces (M1): app-page payload, OAuth install and signed links."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from marketbridge.errors import AuthenticationFailed

from marketbridge_ecwid.app_payload import (
    PayloadRejected,
    confirm_store_access,
    decrypt_payload,
    encrypt_payload,
    payload_from_query,
)
from marketbridge_ecwid.emulator.contract import find_spec_dir
from marketbridge_ecwid.oauth import APP_SCOPES, authorize_url, exchange_code
from marketbridge_ecwid.signing import LinkRejected, LinkSigner

CLIENT_SECRET = "0123abcd4567efgh1234567890"


@pytest.fixture(scope="module")
def payload_vector() -> dict:
    spec_dir = find_spec_dir()
    if spec_dir is None:
        pytest.skip("specs/ecwid not found")
    return json.loads((Path(spec_dir) / "app-crypto-vectors.derived.json").read_text())["native_app_payload"]


def test_payload_vector_decrypts(payload_vector):
    payload = decrypt_payload(payload_vector["payload_param"], payload_vector["client_secret"])

    assert json.loads(payload_vector["plaintext_json"]) == {
        "store_id": payload.store_id, "lang": payload.lang, "access_token": payload.access_token,
        "app_state": payload.app_state}
    assert "xxxxxxxx" not in repr(payload)


def test_payload_vector_is_reproduced_by_encryption(payload_vector):
    data = json.loads(payload_vector["plaintext_json"])

    made = encrypt_payload(data, payload_vector["client_secret"], bytes.fromhex(payload_vector["iv_hex"]))

    assert made == payload_vector["payload_param"]


@pytest.mark.parametrize("payload", ["", "%%%", "AAAA", encrypt_payload({"store_id": 1}, CLIENT_SECRET)],
                         ids=["empty", "not-base64", "too-short", "no-access-token"])
def test_bad_payloads_are_rejected(payload):
    with pytest.raises(PayloadRejected):
        decrypt_payload(payload, CLIENT_SECRET)


def test_payload_for_another_secret_is_rejected():
    payload = encrypt_payload({"store_id": 1003, "access_token": "secret_x"}, "ffffffffffffffff-other")

    with pytest.raises(PayloadRejected):
        decrypt_payload(payload, CLIENT_SECRET)


def test_only_the_payload_of_the_query_is_trusted(emulator):
    emulator.install_app("mb", CLIENT_SECRET)
    query = emulator.app_page_query(app_state="orderId: 12")
    query["app_state"] = "orderId: 666"  # anyone can edit the visible parameter

    payload = payload_from_query(query, CLIENT_SECRET)

    assert payload.app_state == "orderId: 12" and payload.store_id == emulator.store_id
    with pytest.raises(PayloadRejected):
        payload_from_query({"app_state": "x"}, CLIENT_SECRET)


def test_payload_is_confirmed_by_ecwid_before_it_is_trusted(emulator, server):
    emulator.install_app("mb", CLIENT_SECRET)
    payload = payload_from_query(emulator.app_page_query(), CLIENT_SECRET)
    api = f"{server.url}/api/v3"

    confirm_store_access(payload, requests.Session(), api)

    forged = decrypt_payload(encrypt_payload({"store_id": 1003, "access_token": "secret_guess"}, CLIENT_SECRET),
                             CLIENT_SECRET)
    with pytest.raises(PayloadRejected):
        confirm_store_access(forged, requests.Session(), api)


def test_oauth_install_gives_a_working_token_without_copy_paste(emulator, server, make_adapter):
    redirect = "https://mb.example/ecwid/oauth/callback"
    emulator.install_app("mb-client", CLIENT_SECRET, redirect_uri="https://mb.example/ecwid")
    url = authorize_url("mb-client", redirect, oauth_url=f"{server.url}/api/oauth")
    assert parse_qs(urlparse(url).query)["scope"] == [" ".join(APP_SCOPES)]

    consent = requests.get(url, allow_redirects=False, timeout=5)
    code = parse_qs(urlparse(consent.headers["Location"]).query)["code"][0]
    grant = exchange_code(requests.Session(), client_id="mb-client", client_secret=CLIENT_SECRET, code=code,
                          redirect_uri=redirect, oauth_url=f"{server.url}/api/oauth")

    assert grant.store_id == emulator.store_id and grant.missing_scopes() == []
    assert grant.access_token not in repr(grant)
    assert make_adapter(token=grant.access_token).check_connection().ok


def test_exchanging_a_code_twice_disables_the_first_token(emulator, server, make_adapter):
    emulator.install_app("mb-client", CLIENT_SECRET, redirect_uri="https://mb.example/")
    code = emulator.authorize()
    oauth = f"{server.url}/api/oauth"

    first = exchange_code(requests.Session(), client_id="mb-client", client_secret=CLIENT_SECRET, code=code,
                          redirect_uri="https://mb.example/", oauth_url=oauth)
    exchange_code(requests.Session(), client_id="mb-client", client_secret=CLIENT_SECRET, code=code,
                  redirect_uri="https://mb.example/", oauth_url=oauth)

    assert "did not accept the access token" in make_adapter(token=first.access_token).check_connection().problems[0]


def test_expired_or_foreign_codes_are_refused_with_what_to_do(emulator, server, clock):
    emulator.install_app("mb-client", CLIENT_SECRET, redirect_uri="https://mb.example/")
    code = emulator.authorize()
    clock.advance(minutes=6)

    with pytest.raises(AuthenticationFailed) as raised:
        exchange_code(requests.Session(), client_id="mb-client", client_secret=CLIENT_SECRET, code=code,
                      redirect_uri="https://mb.example/", oauth_url=f"{server.url}/api/oauth")

    assert "Start the connection again" in raised.value.message


def test_partial_consent_reports_missing_scopes(emulator, server):
    emulator.install_app("mb-client", CLIENT_SECRET, redirect_uri="https://mb.example/")
    code = emulator.authorize({"read_store_profile", "read_orders"})

    grant = exchange_code(requests.Session(), client_id="mb-client", client_secret=CLIENT_SECRET, code=code,
                          redirect_uri="https://mb.example/", oauth_url=f"{server.url}/api/oauth")

    assert grant.missing_scopes() == ["read_catalog", "update_orders", "create_orders"]


def test_signed_links_expire_and_resist_tampering(clock):
    signer = LinkSigner("host-secret-key", clock)
    token = signer.sign({"store_id": 1003, "app_state": "orderId: 12"})

    assert signer.verify(token, max_age=300) == {"store_id": 1003, "app_state": "orderId: 12"}
    with pytest.raises(LinkRejected) as tampered:
        signer.verify(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], max_age=300)
    with pytest.raises(LinkRejected):
        LinkSigner("host-secret-key", clock, purpose="oauth-state").verify(token, max_age=300)
    clock.advance(seconds=301)
    with pytest.raises(LinkRejected) as expired:
        signer.verify(token, max_age=300)
    assert expired.value.expired and not tampered.value.expired
