"""Authentication modes, check_connection, and every transport/HTTP failure mapped to the engine's exceptions."""
from __future__ import annotations

import json

import pytest

from marketbridge.adapters import ProductIdentifier
from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.testing import Fault


def test_oauth_signature_is_checked(make_adapter, emulator):
    wrong = {"consumer_key": emulator.consumer_key, "consumer_secret": "not-the-secret",
             "access_token": emulator.access_token, "access_token_secret": emulator.access_token_secret}
    adapter = make_adapter(secrets=wrong)
    with pytest.raises(AuthenticationFailed) as err:
        adapter.find_order("amazon:1")
    message = err.value.message
    assert "Magento_Sales::sales" in message and "System > Extensions > Integrations" in message
    assert "not-the-secret" not in message and "not-the-secret" not in repr(adapter.client)
    assert "oauth_signature=" in emulator.log[-1].headers["Authorization"]
    assert "HMAC-SHA256" in emulator.log[-1].headers["Authorization"]


def test_bearer_refused_unless_enabled_in_magento(make_adapter, emulator):
    adapter = make_adapter(auth_mode="bearer", secrets={"access_token": emulator.access_token})
    assert "standalone Bearer tokens" in adapter.check_connection().problems[0]
    with pytest.raises(AuthenticationFailed) as err:
        adapter.find_order("amazon:1")
    assert "standalone Bearer tokens" in err.value.message  # tells the merchant which setting to change
    assert emulator.access_token not in err.value.message
    emulator.bearer_enabled = True
    assert adapter.find_order("amazon:1") is None
    assert emulator.log[-1].headers["Authorization"] == f"Bearer {emulator.access_token}"


def test_check_connection_ok(adapter):
    assert adapter.check_connection().ok


def test_check_connection_names_missing_resource(adapter, emulator):
    emulator.granted.discard("Magento_Sales::shipment")
    result = adapter.check_connection()
    assert result.problems == ("The Magento integration lacks access to shipments (Magento_Sales::shipment). Tick "
                               "these under System > Extensions > Integrations > Marketbridge > API, save, and "
                               "reauthorize the integration.",)


def test_check_connection_with_wrong_keys(make_adapter, emulator):
    result = make_adapter(secrets={"consumer_key": "x", "consumer_secret": "y", "access_token": "z",
                                   "access_token_secret": "w"}).check_connection()
    assert len(result.problems) == 1 and "do not belong to an active integration" in result.problems[0]


def test_check_connection_unknown_store_view(make_adapter):
    result = make_adapter(store_code="fr").check_connection()
    assert result.problems and "no store view with code 'fr'" in result.problems[0]


def test_unreachable_shop_is_temporary(make_adapter):
    adapter = make_adapter(url="http://127.0.0.1:9")
    with pytest.raises(TemporaryFailure) as err:
        adapter.check_connection()
    assert err.value.code == "unreachable"


def test_403_is_an_authentication_problem(adapter, emulator):
    emulator.faults.add(Fault(status=403, body=json.dumps({"message": "Forbidden"})))
    with pytest.raises(AuthenticationFailed):
        adapter.find_order("amazon:1")


def test_429_is_rate_limited_with_retry_after(adapter, emulator):
    emulator.faults.add(Fault(status=429, body=json.dumps({"message": "Too Many Requests", "trace": None}),
                              headers={"Retry-After": "17"}))
    with pytest.raises(RateLimited) as err:
        adapter.find_order("amazon:1")
    assert err.value.retry_after == 17
    assert adapter.context.quota.calls[-1]["throttled"] is True


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_temporary(adapter, emulator, status):
    emulator.faults.add(Fault(status=status, body=json.dumps({"message": "Internal Error."})))
    with pytest.raises(TemporaryFailure) as err:
        adapter.find_products(ProductIdentifier.SKU, ["MB-CANDLE"])
    assert f"HTTP {status}" in err.value.message


def test_timeout_is_temporary(make_adapter, emulator):
    adapter = make_adapter(timeout=2.0)
    emulator.faults.add(Fault(kind="timeout"))
    with pytest.raises(TemporaryFailure) as err:
        adapter.list_statuses()
    assert err.value.code == "timeout"


def test_dropped_connection_is_temporary(adapter, emulator):
    emulator.faults.add(Fault(kind="drop"))
    with pytest.raises(TemporaryFailure):
        adapter.read_stock(["1"])


def test_malformed_body_is_temporary(adapter, emulator):
    emulator.faults.add(Fault(kind="malformed", method="GET"))
    with pytest.raises(TemporaryFailure) as err:
        adapter.changes_since("2026-11-02 08:00:00")
    assert err.value.code == "malformed_response"


def test_answer_missing_fields_is_temporary_not_keyerror(adapter, emulator):
    emulator.faults.add(Fault(kind="after", status=200, body=json.dumps({"items": [{"no_sku": 1}]}), method="GET",
                              path=r"/V1/products$"))
    with pytest.raises(TemporaryFailure) as err:
        adapter.find_products(ProductIdentifier.SKU, ["MB-CANDLE"])
    assert err.value.code == "malformed_response"


def test_unexpected_4xx_outside_orders_is_temporary_with_magento_text(adapter, emulator):
    emulator.faults.add(Fault(status=400, body=json.dumps({"message": '"%1" is not a valid attribute.',
                                                           "parameters": ["ean"]})))
    with pytest.raises(TemporaryFailure) as err:
        adapter.find_products(ProductIdentifier.EAN, ["4006381333931"])
    assert '"ean" is not a valid attribute.' in err.value.message
