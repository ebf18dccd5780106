"""The app system's signatures against the official SDKs' known-answer vectors
(``app-signature-test-vectors.json``), plus the rotation window (M1, S2 webhooks)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from marketbridge_shopware.app import signing
from marketbridge_shopware.app.registration import RegistrationRequest, registration_answer
from marketbridge_shopware.emulator.app_system import hmac_hex

from sw_specs import load

VECTORS = {v["id"]: v for v in load("app-signature-test-vectors.json")["vectors"]}
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("vector_id", ["registration_request_app_signature", "registration_proof",
                                       "registration_confirmation_body_signature", "post_body_signature",
                                       "response_signature_shop_a", "response_signature_1", "response_signature_2",
                                       "response_signature_3"])
def test_plugin_and_emulator_sign_like_the_sdks(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    message = vector.get("signed_message") or vector["body"]
    assert signing.sign(vector["secret"], message) == vector["expected_hex"]
    assert hmac_hex(vector["secret"], message) == vector["expected_hex"]
    assert signing.matches(vector["secret"], message, vector["expected_hex"])


def test_wrong_body_signature_is_rejected() -> None:
    vector = VECTORS["post_body_signature_invalid"]
    assert not signing.matches(vector["secret"], vector["body"], vector["given_hex"])
    assert not signing.matches(vector["secret"], vector["body"], None)


@pytest.mark.parametrize("vector_id", ["get_query_signature_last", "get_query_signature_first",
                                       "get_query_signature_shop_a", "get_query_signature_invalid",
                                       "get_query_signature_extra_param"])
def test_signed_get_queries(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    query = urlsplit(vector["request_url"]).query
    assert signing.query_signed_by(signing.ShopSecrets(vector["secret"]), query, NOW) is vector["valid"]


def test_proof_in_the_registration_answer_matches_the_vector() -> None:
    vector = VECTORS["registration_proof"]
    request = RegistrationRequest(vector["inputs"]["shop-id"], vector["inputs"]["shop-url"], 0)
    answer, pending = registration_answer(request, app_name=vector["inputs"]["app_name"], app_secret=vector["secret"],
                                          confirmation_url="https://app.example/confirm")
    assert answer["proof"] == vector["expected_hex"]
    assert 64 <= len(answer["secret"]) <= 255 and pending.secret == answer["secret"]
    assert answer["secret"] not in repr(pending)


def test_previous_secret_is_honoured_only_within_the_inflight_allowance() -> None:
    assert VECTORS["secret_rotation_window"]["inflight_allowance_seconds"] == signing.INFLIGHT_ALLOWANCE.total_seconds()
    secrets = signing.ShopSecrets("new-secret", previous="old-secret", rotated_at=NOW)
    old_signature = signing.sign("old-secret", b"body")
    assert secrets.accepts(b"body", old_signature, NOW + timedelta(seconds=59))
    assert not secrets.accepts(b"body", old_signature, NOW + timedelta(seconds=61))
    assert secrets.accepts(b"body", signing.sign("new-secret", b"body"), NOW + timedelta(days=1))


def test_response_headers_sign_the_answer_body() -> None:
    vector = VECTORS["response_signature_1"]
    assert signing.response_headers(vector["secret"], vector["body"].encode()) == {
        "shopware-app-signature": vector["expected_hex"]}
