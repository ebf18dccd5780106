"""M1: signed back-office links that open Marketbridge already signed in for one shop."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest

from marketbridge_prestashop.admin_link import (
    InvalidLink,
    message,
    new_secret,
    sign_link,
    signature,
    verify_link,
)

SECRET = "s3cr3t-shared-with-the-prestashop-module"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def params_of(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


def test_the_signed_text_is_the_sorted_mb_parameters():
    """The PHP side must build exactly this string (README): sorted names, raw values, '&'-joined."""
    params = {"mb_ts": "1793610000", "mb_shop": "42", "mb_employee": "7", "mb_sig": "x", "controller": "AdminX"}
    assert message(params) == "mb_employee=7&mb_shop=42&mb_ts=1793610000"


def test_signature_is_plain_hmac_sha256_like_phps_hash_hmac():
    params = {"mb_employee": "7", "mb_shop": "42", "mb_ts": "1793610000"}
    expected = hmac.new(SECRET.encode(), b"mb_employee=7&mb_shop=42&mb_ts=1793610000", hashlib.sha256).hexdigest()
    assert signature(SECRET, params) == expected
    # RFC 4231 test case 2 pins the primitive the PHP module uses (hash_hmac('sha256', ...)).
    assert hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_a_fresh_link_verifies_and_names_shop_and_employee():
    link = sign_link("https://mb.example/prestashop/open", SECRET, shop="42", employee="7", now=NOW)
    identity = verify_link(params_of(link), SECRET, now=NOW + timedelta(seconds=30))
    assert (identity.shop, identity.employee, identity.issued_at) == ("42", "7", int(NOW.timestamp()))


@pytest.mark.parametrize("change, words", [
    ({"mb_shop": "43"}, "signature does not match"),
    ({"mb_sig": "0" * 64}, "signature does not match"),
    ({"mb_sig": ""}, "lacks mb_sig"),
])
def test_tampered_links_are_refused(change, words):
    params = params_of(sign_link("https://mb.example/open", SECRET, shop="42", employee="7", now=NOW))
    with pytest.raises(InvalidLink, match=words):
        verify_link({**params, **change}, SECRET, now=NOW)


def test_old_future_and_foreign_links_are_refused():
    params = params_of(sign_link("https://mb.example/open?x=1", SECRET, shop="42", employee="7", now=NOW))
    with pytest.raises(InvalidLink, match="expired"):
        verify_link(params, SECRET, now=NOW + timedelta(minutes=6))
    with pytest.raises(InvalidLink, match="future"):
        verify_link(params, SECRET, now=NOW - timedelta(minutes=5))
    with pytest.raises(InvalidLink, match="another secret"):
        verify_link(params, new_secret(), now=NOW)
    with pytest.raises(InvalidLink, match="No back-office link secret"):
        verify_link(params, "", now=NOW)


def test_secrets_are_long_and_random():
    first, second = new_secret(), new_secret()
    assert first != second and len(first) >= 43


def test_the_shipped_php_module_signs_the_parameters_the_endpoints_require():
    """The PrestaShop module (php-module/) and the verifiers must agree on what is signed (no PHP runtime here)."""
    import re
    from pathlib import Path

    from marketbridge_prestashop.admin_link import LINK_PARAMS, NOTICE_PARAMS

    module = Path(__file__).resolve().parents[1] / "php-module" / "marketbridge"
    controller = (module / "controllers" / "admin" / "AdminMarketbridgeController.php").read_text()
    hooks = (module / "marketbridge.php").read_text()
    signed = re.compile(r"'(mb_[a-z]+)' =>")
    assert set(signed.findall(controller)) == {*LINK_PARAMS, "mb_lang"}
    assert set(signed.findall(hooks)) == set(NOTICE_PARAMS)
    assert "hash_hmac('sha256', implode('&', $pairs)" in hooks and "ksort($params, SORT_STRING)" in hooks
    assert "$pairs[] = $name . '=' . $value;" in hooks
