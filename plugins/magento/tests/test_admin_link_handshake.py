"""Pure pieces behind the /magento routes: signed admin links (M1) and the integration activation handshake."""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlparse

import pytest

from marketbridge.errors import AuthenticationFailed
from marketbridge.http import make_session

from marketbridge_magento import admin_link, notify
from marketbridge_magento.handshake import InvalidActivation, exchange_tokens, parse_activation

SECRET = "per-shop-secret"


def _query(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlparse(link).query))


def test_signed_link_round_trip(clock):
    link = admin_link.make_link("https://mb.example/magento/admin", SECRET, "7", "admin", clock)
    clock.advance(seconds=120)
    visit = admin_link.verify(_query(link), SECRET, clock)
    assert (visit.shop_id, visit.user) == ("7", "admin")


def test_signature_is_hmac_sha256_of_the_fields():
    """What a Magento-side button (PHP ``hash_hmac('sha256', …)``) must compute."""
    expected = hmac.new(b"key", b"shop=7&user=admin&ts=1700000000", hashlib.sha256).hexdigest()
    assert admin_link.sign("key", "7", "admin", 1700000000) == expected


@pytest.mark.parametrize("change, reason", [
    ({"shop": "8"}, "signature is wrong"),
    ({"user": "other"}, "signature is wrong"),
    ({"sig": "0" * 64}, "signature is wrong"),
    ({"ts": "x"}, "incomplete"),
])
def test_altered_links_are_refused(clock, change, reason):
    query = _query(admin_link.make_link("https://mb.example/a", SECRET, "7", "admin", clock))
    query.update(change)
    with pytest.raises(admin_link.InvalidAdminLink) as err:
        admin_link.verify(query, SECRET, clock)
    assert reason in err.value.reason


def test_expired_and_future_links_are_refused(clock):
    query = _query(admin_link.make_link("https://mb.example/a", SECRET, "7", "admin", clock))
    clock.advance(seconds=admin_link.MAX_AGE_SECONDS + 1)
    with pytest.raises(admin_link.InvalidAdminLink, match="expired"):
        admin_link.verify(query, SECRET, clock)
    future = {**query, "ts": str(int(clock.now().timestamp()) + 3600)}
    future["sig"] = admin_link.sign(SECRET, "7", "admin", int(future["ts"]))
    with pytest.raises(admin_link.InvalidAdminLink, match="future"):
        admin_link.verify(future, SECRET, clock)
    with pytest.raises(admin_link.InvalidAdminLink, match="no admin link secret"):
        admin_link.verify(query, "", clock)


def test_activation_handshake_yields_the_four_keys(emulator, server):
    activation = parse_activation(emulator.activation_form(server.url + "/"))
    assert "mb-consumer-secret" not in repr(activation)
    keys = exchange_tokens(make_session(5), activation)
    assert keys.as_secrets() == {"consumer_key": emulator.consumer_key, "consumer_secret": emulator.consumer_secret,
                                 "access_token": emulator.access_token,
                                 "access_token_secret": emulator.access_token_secret}
    assert activation.shop_url == server.url
    assert "mb-access-secret" not in repr(keys)


def test_activation_with_a_wrong_verifier_is_refused(emulator, server):
    form = {**emulator.activation_form(server.url), "oauth_verifier": "guessed"}
    with pytest.raises(AuthenticationFailed, match="Reauthorize"):
        exchange_tokens(make_session(5), parse_activation(form))


@pytest.mark.parametrize("form, reason", [
    ({"oauth_consumer_key": "k"}, "missing oauth_consumer_secret, store_base_url, oauth_verifier"),
    ({"oauth_consumer_key": "k", "oauth_consumer_secret": "s", "oauth_verifier": "v", "store_base_url": "ftp://x"},
     "not a web address"),
])
def test_malformed_activation_is_refused(form, reason):
    with pytest.raises(InvalidActivation, match=reason):
        parse_activation(form)


def test_link_options_are_signed_in_a_fixed_order():
    """PHP: ``hash_hmac('sha256', http_build_query([shop, user, ts, locale, frame, next]), $secret)``."""
    payload = b"shop=7&user=admin&ts=1700000000&locale=de_DE&frame=1&next=%2Forders"
    expected = hmac.new(b"key", payload, hashlib.sha256).hexdigest()
    assert admin_link.sign("key", "7", "admin", 1700000000, next="/orders", frame="1", locale="de_DE") == expected


def test_verified_link_carries_its_options(clock):
    link = admin_link.make_link("https://mb.example/magento/admin", SECRET, "7", "admin", clock, locale="fr_FR",
                                frame="1", next="/orders")
    visit = admin_link.verify(_query(link), SECRET, clock)
    assert (visit.locale, visit.frame, visit.next) == ("fr_FR", True, "/orders")
    assert visit.signature == _query(link)["sig"]


def test_notification_signature_is_hmac_of_timestamp_dot_body(clock):
    body = b'{"orders": [42]}'
    headers = notify.signed_headers("s3cret", clock, body)
    ts = headers[notify.HEADER_TIMESTAMP]
    assert headers[notify.HEADER_SIGNATURE] == "sha256=" + hmac.new(b"s3cret", ts.encode() + b"." + body,
                                                                    hashlib.sha256).hexdigest()
    assert notify.verify(headers, body, "s3cret", clock).order_ids == (42,)


@pytest.mark.parametrize("body", [b"[1]", b"not json", b'{"orders": "1"}', b'{"orders": [true]}',
                                  b'{"orders": [-3]}', b'{"shipments": ["x"]}',
                                  b'{"orders": [' + b",".join(b"1" for _ in range(101)) + b"]}"])
def test_malformed_notification_bodies_are_refused(body):
    with pytest.raises(notify.MalformedNotification):
        notify.parse_body(body)


def test_only_a_shop_with_a_notification_secret_pushes_changes(make_adapter):
    assert make_adapter().pushes_changes is False
    assert make_adapter(secrets={"access_token": "t", "notify_secret": "n"}).pushes_changes is True
