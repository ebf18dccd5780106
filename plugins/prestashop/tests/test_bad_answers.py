"""Every bad answer from the shop becomes the right core exception with a plain reason (M2).

PrestaShop's Webservice accepts unknown, disabled and out-of-stock products
in a cart without a word (``Cart::setWsCartRows``) and silently drops or
back-orders them when the order is made, so the adapter checks them itself
and holds the order (``OrderRejected``) before anything is written.
"""
from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest

from marketbridge.adapters import ProductIdentifier
from marketbridge.errors import AuthenticationFailed, OrderRejected, RateLimited, TemporaryFailure
from marketbridge.testing import Fault
from marketbridge_prestashop.emulator import DEMO_KEY
from marketbridge_prestashop.testing import ADDRESS, line, order_dict


def nothing_written(shop) -> bool:
    return not shop.orders() and not shop.store.rows("carts") and not shop.calls("POST")


def test_a_product_deleted_after_matching_holds_the_order(shop, adapter, make_draft):
    draft = make_draft()
    shop.delete_product("MB-MUG-BLUE")
    with pytest.raises(OrderRejected) as held:
        adapter.create_order(draft)
    assert held.value.code == "product_not_found"
    assert "Enamel mug, blue" in held.value.message and "no longer exists" in held.value.message
    assert nothing_written(shop)


def test_a_disabled_product_holds_the_order(shop, adapter, make_draft):
    draft = make_draft()
    shop.set_product_active("MB-MUG-BLUE", False)
    with pytest.raises(OrderRejected) as held:
        adapter.create_order(draft)
    assert held.value.code == "product_inactive" and "Enable it" in held.value.message
    assert nothing_written(shop)


def test_missing_stock_holds_the_order_unless_the_product_accepts_backorders(shop, adapter, make_draft):
    data = order_dict(lines=[line("MB-TEE-L", 4, "24.00", "15.33")], total={"amount": "100.90", "currency": "EUR"})
    draft = make_draft(data)
    with pytest.raises(OrderRejected) as held:
        adapter.create_order(draft)
    assert held.value.code == "out_of_stock"
    assert "Only 3 of" in held.value.message and "4 were ordered" in held.value.message
    assert nothing_written(shop)
    stock_row = shop.store.where("stock_availables", id_product=3, id_product_attribute=3)[0]
    stock_row["out_of_stock"] = "1"  # Catalog > Products > Stocks > When out of stock: Accept orders
    ref = adapter.create_order(draft)
    assert shop.history(ref.order_id) == [11, 9, 3]  # PrestaShop itself flags "On backorder (paid)"


def test_the_out_of_stock_hold_can_be_switched_off(shop, make_adapter, make_draft):
    data = order_dict(lines=[line("MB-TEE-L", 4, "24.00", "15.33")], total={"amount": "100.90", "currency": "EUR"})
    ref = make_adapter(hold_out_of_stock=False).create_order(make_draft(data))
    assert shop.store.where("stock_availables", id_product=3, id_product_attribute=3)[0]["quantity"] == "-1"
    assert ref.order_id


def test_a_required_field_the_shop_rejects_holds_the_order_with_its_reason(shop, adapter, make_draft):
    """A city made only of characters PrestaShop refuses ends up empty; the shop's own answer is shown."""
    draft = make_draft(order_dict(shipping_address=dict(ADDRESS, city="@@@")))
    with pytest.raises(OrderRejected) as held:
        adapter.create_order(draft)
    assert held.value.code == "field_rejected"
    assert "Property Address->city is empty" in held.value.message
    assert "Set required fields" in held.value.message
    assert not shop.orders()


@pytest.mark.parametrize("changes, code, words", [
    ({"carrier_reference": "99"}, "carrier_missing", "Shipping > Carriers"),
    ({"payment_module": "ps_paypal"}, "payment_module_missing", "Module Manager"),
], ids=["carrier", "payment-module"])
def test_shop_setup_problems_hold_the_order_with_what_to_fix(shop, make_adapter, make_draft, changes, code, words):
    with pytest.raises(OrderRejected) as held:
        make_adapter(**changes).create_order(make_draft())
    assert held.value.code == code and words in held.value.message
    assert not shop.orders()


def test_unknown_currency_country_and_status_hold_the_order(shop, adapter, make_draft):
    with pytest.raises(OrderRejected) as currency:
        data = order_dict(currency="JPY")
        for money in (data["total"], data["shipping"]["price"], data["shipping"]["tax"], data["shipping"]["discount"],
                      data["lines"][0]["unit_price"], data["lines"][0]["tax"], data["lines"][0]["discount"]):
            money["currency"] = "JPY"
        adapter.create_order(make_draft(data))
    assert currency.value.code == "currency_missing" and "JPY" in currency.value.message
    with pytest.raises(OrderRejected) as country:
        adapter.create_order(make_draft(order_dict(shipping_address=dict(ADDRESS, country_code="JP"))))
    assert country.value.code == "country_missing" and "Countries" in country.value.message
    with pytest.raises(OrderRejected) as status:
        adapter.create_order(make_draft(initial_status="99"))
    assert status.value.code == "status_missing"
    assert not shop.orders()


def test_a_wrong_key_pauses_the_shop_with_what_to_fix_and_never_shows_the_key(make_adapter):
    wrong = "WRONGKEY" * 4
    with pytest.raises(AuthenticationFailed) as failed:
        make_adapter(key=wrong).find_order("amazon:1")
    assert failed.value.code == "key_refused"
    assert "Advanced Parameters > Webservice" in failed.value.message
    assert wrong not in failed.value.message and DEMO_KEY not in failed.value.message


def test_a_key_of_the_wrong_length_is_refused_before_calling_the_shop(shop, make_adapter):
    with pytest.raises(AuthenticationFailed) as failed:
        make_adapter(key="short").find_order("amazon:1")
    assert failed.value.code == "setting_invalid" and "32-character" in failed.value.message
    assert not shop.log


def test_missing_permissions_name_the_resource_and_the_box_to_tick(shop, adapter, make_adapter, make_draft):
    draft = make_draft()
    shop.revoke("orders", "POST")
    with pytest.raises(AuthenticationFailed) as method:
        adapter.create_order(draft)
    assert method.value.code == "permission_missing"
    assert "'orders'" in method.value.message and "Add (POST)" in method.value.message
    shop.revoke("order_states")
    with pytest.raises(AuthenticationFailed) as resource:
        make_adapter().list_statuses()
    assert "'order_states'" in resource.value.message


def test_a_key_not_allowed_in_the_configured_shop_is_refused_with_403(shop, make_adapter):
    shop.keys[DEMO_KEY].shops = {2}
    with pytest.raises(AuthenticationFailed) as failed:
        make_adapter(shop_id="1").list_statuses()
    assert failed.value.code == "shop_not_allowed" and "Shop association" in failed.value.message


def test_a_switched_off_webservice_tells_the_merchant_to_enable_it(shop, adapter):
    shop.webservice_enabled = False
    with pytest.raises(AuthenticationFailed) as failed:
        adapter.list_statuses()
    assert failed.value.code == "webservice_disabled"


def test_429_from_a_proxy_in_front_of_the_shop_reschedules(shop, adapter):
    shop.faults.add(Fault(status=429, headers={"Retry-After": "30"}, body="<html>Too Many Requests</html>"))
    with pytest.raises(RateLimited) as limited:
        adapter.list_statuses()
    assert limited.value.retry_after == 30


@pytest.mark.parametrize("fault, code", [
    (Fault(status=500, body="<html>Internal Server Error</html>"), "shop_error"),
    (Fault(status=502), "shop_error"),
    (Fault(kind="malformed"), "malformed_response"),
    (Fault(kind="drop"), "unreachable"),
], ids=["500", "502", "malformed", "drop"])
def test_server_errors_broken_bodies_and_lost_connections_are_retried(shop, adapter, fault, code):
    shop.faults.add(fault)
    with pytest.raises(TemporaryFailure) as failed:
        adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE"])
    assert failed.value.code == code
    assert type(failed.value) is TemporaryFailure


def test_a_timeout_is_retried(shop, make_adapter):
    shop.faults.add(Fault(kind="timeout"))
    with pytest.raises(TemporaryFailure) as failed:
        make_adapter(timeout=2.0).list_statuses()
    assert failed.value.code == "timeout"


def test_an_unreachable_shop_is_a_temporary_failure(make_adapter):
    with pytest.raises(TemporaryFailure) as failed:
        make_adapter(url="http://127.0.0.1:9").check_connection()
    assert failed.value.code == "unreachable"


@pytest.mark.parametrize("status, code", [(401, "key_refused"), (403, "shop_not_allowed")])
def test_bare_401_and_403_from_the_fault_switches_pause_the_shop(shop, adapter, status, code):
    shop.faults.add(Fault(status=status))
    with pytest.raises(AuthenticationFailed) as failed:
        adapter.read_stock(["1"])
    assert failed.value.code == code and f"HTTP {status}" in failed.value.message


def test_429_with_an_http_date_is_measured_against_the_adapter_clock(shop, adapter, clock):
    """Retry-After may be an HTTP date; it is compared with the injected clock, never the wall clock."""
    when = format_datetime(clock.now() + timedelta(seconds=90), usegmt=True)
    shop.faults.add(Fault(status=429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as limited:
        adapter.list_statuses()
    assert limited.value.retry_after == 90
