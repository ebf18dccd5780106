"""HTTP error translation shared by every adapter."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import json_body, raise_for_status, retry_after_seconds


def response(status: int, body: bytes = b"", **headers: str) -> requests.Response:
    r = requests.Response()
    r.status_code, r._content = status, body
    r.headers.update(headers)
    return r


def test_status_codes_map_to_engine_exceptions():
    with pytest.raises(AuthenticationFailed, match="Renew the key"):
        raise_for_status(response(401), "Shop", auth_hint="Renew the key.")
    with pytest.raises(RateLimited) as info:
        raise_for_status(response(429, **{"Retry-After": "7"}), "Shop")
    assert info.value.retry_after == 7
    with pytest.raises(TemporaryFailure):
        raise_for_status(response(503), "Shop")
    raise_for_status(response(404), "Shop")  # left to the adapter


def test_retry_after_http_date_uses_the_given_clock():
    r = response(429, **{"Retry-After": "Mon, 02 Nov 2026 09:00:30 GMT"})
    assert retry_after_seconds(r, now=datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)) == 30
    assert retry_after_seconds(response(429, **{"Retry-After": "soon"}), default=12) == 12


def test_malformed_json_is_a_temporary_failure():
    with pytest.raises(TemporaryFailure) as info:
        json_body(response(200, b'{"broken": '), "Shop")
    assert info.value.code == "malformed_response"
