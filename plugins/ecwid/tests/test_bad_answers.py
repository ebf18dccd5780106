"""Every bad answer from Ecwid becomes a held order or a retried job with a plain-language reason.

Unknown product, out of stock, disabled product, required field rejected,
401/403 (token, scope), 402 (plan), 429, 5xx, timeouts, dropped connections and
malformed bodies, through the adapter's public methods over real HTTP.
"""
from __future__ import annotations

import json

import pytest

from marketbridge.adapters import ProductIdentifier, ShopOrderRef
from marketbridge.errors import AuthenticationFailed, OrderRejected, RateLimited, TemporaryFailure
from marketbridge.testing import Fault


def _error(code: str, message: str) -> str:
    return json.dumps({"errorCode": code, "errorMessage": message})


# -- refusals of one order: held with the reason ------------------------------------------

def test_unknown_product_answer_holds_the_order(adapter, emulator, make_draft):
    draft = make_draft()
    emulator.faults.add(Fault(status=404, method="POST", path=r"/orders$",
                              body=_error("PRODUCT_NOT_FOUND", "Product with specified ID was not found.")))

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_product_not_found"
    assert "no longer exists in the store" in raised.value.message and "PRODUCT_NOT_FOUND" in raised.value.message


def test_required_field_rejected_holds_the_order_and_names_the_field(adapter, emulator, make_draft):
    draft = make_draft()
    emulator.faults.add(Fault(status=400, method="POST", path=r"/orders$",
                              body=_error("WRONG_PARAMETER", "Field OrderItem.quantity is absent")))

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_field_missing"
    assert "OrderItem.quantity is absent" in raised.value.message


def test_refusal_without_a_body_is_still_held_with_advice(adapter, emulator, make_draft):
    draft = make_draft()
    emulator.faults.add(Fault(status=400, method="POST", path=r"/orders$", body=""))

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_order_refused"
    assert "(HTTP 400)" in raised.value.message and "release the order" in raised.value.message


def test_out_of_stock_is_imported_and_stock_goes_negative_by_default(adapter, emulator, make_draft):
    """Ecwid's create call does not check stock: the sale happened, so the order is imported."""
    draft = make_draft([("MB-TEE-L", 5, "24.00", "19.16")])

    adapter.create_order(draft)

    assert emulator.stock_of("MB-TEE-L") == -2
    assert adapter.read_stock([emulator.marketbridge_id("MB-TEE-L")])[0].quantity == -2


@pytest.mark.parametrize(("sku", "words"), [("MB-TEE-L", "out of stock"), ("MB-RETIRED", "is disabled")])
def test_store_refusing_sold_out_or_disabled_products_holds_the_order(adapter, emulator, make_draft, sku, words):
    draft = make_draft([(sku, 5, "19.00", "15.17")])
    emulator.refuse_unavailable_items = True

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_order_refused"
    assert words in raised.value.message and "disabled or sold-out product" in raised.value.message
    assert emulator.orders == {}


def test_status_refused_for_a_deleted_order_is_explained(adapter):
    with pytest.raises(OrderRejected) as raised:
        adapter.set_status(ShopOrderRef("GONE1"), "SHIPPED")

    assert raised.value.code == "ecwid_order_not_found" and "no longer exists in Ecwid" in raised.value.message


# -- store-wide problems: the shop is paused with what to fix -----------------------------

def test_401_is_an_authentication_failure(adapter, emulator):
    emulator.faults.add(Fault(status=401))

    with pytest.raises(AuthenticationFailed) as raised:
        adapter.find_order("amazon:1")

    assert "secret token" in raised.value.message


def test_wrong_token_says_to_paste_the_secret_token_again(make_adapter):
    adapter = make_adapter(token="secret_wrong")

    with pytest.raises(AuthenticationFailed) as raised:
        adapter.find_products(ProductIdentifier.SKU, ["MB-KETTLE"])

    assert raised.value.code == "ecwid_token" and "secret_wrong" not in raised.value.message


def test_missing_scope_names_the_scope(make_adapter, emulator, make_draft):
    draft = make_draft()
    adapter = make_adapter(token=emulator.issue_token({"read_store_profile", "read_catalog", "read_orders"}))

    with pytest.raises(AuthenticationFailed) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_scope" and "'create_orders' permission" in raised.value.message


def test_plan_without_api_access_says_to_upgrade(adapter, emulator):
    emulator.plan_has_api = False

    with pytest.raises(AuthenticationFailed) as raised:
        adapter.list_statuses()

    assert raised.value.code == "ecwid_plan" and "Upgrade to a paid Ecwid plan" in raised.value.message


def test_suspended_store_says_so(adapter, emulator):
    emulator.suspended = True

    with pytest.raises(AuthenticationFailed) as raised:
        adapter.changes_since('{"from": 0}')

    assert raised.value.code == "ecwid_store_suspended"


# -- temporary problems: the job is retried -----------------------------------------------

def test_429_is_rescheduled_after_retry_after(adapter, emulator):
    emulator.faults.add(Fault(status=429, headers={"Retry-After": "17"},
                              body=_error("RATE_LIMITED", "Too many requests")))

    with pytest.raises(RateLimited) as raised:
        adapter.read_stock([emulator.marketbridge_id("MB-KETTLE")])

    assert raised.value.retry_after == 17


def test_5xx_is_a_temporary_failure(adapter, emulator):
    emulator.faults.add(Fault(status=503, body=_error("INTERNAL_ERROR", "down")))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.list_statuses()

    assert raised.value.code == "ecwid_unavailable" and "retries shortly" in raised.value.message


def test_timeout_is_a_temporary_failure(make_adapter, emulator):
    adapter = make_adapter(timeout=2.0)
    emulator.faults.add(Fault(kind="timeout"))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.find_order("amazon:1")

    assert raised.value.code == "timeout"


def test_dropped_connection_is_a_temporary_failure(adapter, emulator):
    emulator.faults.add(Fault(kind="drop"))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.stock_changes_since('{"from": 0}')

    assert raised.value.code in ("unreachable", "request_failed")


def test_malformed_body_is_a_temporary_failure(adapter, emulator):
    emulator.faults.add(Fault(kind="malformed"))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.find_products(ProductIdentifier.SKU, ["MB-KETTLE"])

    assert raised.value.code == "malformed_response"


def test_answer_of_the_wrong_shape_is_a_temporary_failure(adapter, emulator):
    emulator.faults.add(Fault(status=200, body='{"total": 1, "items": "nope"}',
                              headers={"Content-Type": "application/json"}))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.find_order("amazon:1")

    assert raised.value.code == "malformed_response"


def test_unexpected_refusal_of_a_read_is_retried_not_swallowed(adapter, emulator):
    emulator.faults.add(Fault(status=400, body=_error("WRONG_PARAMETER", "Wrong parameter 'limit' value")))

    with pytest.raises(TemporaryFailure) as raised:
        adapter.list_statuses()

    assert raised.value.code == "ecwid_unexpected_answer" and "Wrong parameter 'limit'" in raised.value.message
