"""Order import against the emulator over HTTP: O1 amounts and reference, O2 marker, O3 status, K1 pickup,
every refusal Magento gives, and exactly-once (C9) when a checkout answer is lost."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketbridge.adapters import PlannedLine, ShopProduct
from marketbridge.errors import OrderRejected, TemporaryFailure
from marketbridge.testing import Fault

REF = "amazon:302-1234567-1234567"


def test_create_order_keeps_marketplace_amounts_and_reference(adapter, emulator, draft_for):
    draft = draft_for(adapter)
    ref = adapter.create_order(draft)

    order = emulator.shop.order(int(ref.order_id))
    assert ref.number == order["increment_id"]
    assert order["ext_order_id"] == REF  # O1: the reference find_order searches
    # O1: amounts as Amazon charged them (2 x 12.50 + 19.99 + 4.90), not the catalogue's 14.90/24.00/5.00
    assert order["grand_total"] == 49.89 and order["base_grand_total"] == 49.89
    assert order["tax_amount"] == pytest.approx(3.99 + 3.19 + 0.78)
    assert order["shipping_incl_tax"] == 4.90 and order["shipping_tax_amount"] == 0.78
    mug = next(i for i in order["items"] if i["sku"] == "MB-MUG-BLUE")
    assert mug["price_incl_tax"] == 12.50 and mug["row_total_incl_tax"] == 25.0 and mug["tax_amount"] == 3.99
    assert mug["row_total"] == pytest.approx(21.01)
    # O2: marker in the grid's shipping information and a comment naming the marketplace
    assert order["shipping_description"] == "Amazon: Standard"
    assert any("Amazon order 302-1234567-1234567" in h["comment"] for h in order["status_histories"])
    assert order["customer_email"] == "amazon-302-1234567-1234567@orders.shop-example.com"
    # stock moved: the checkout reserved the units (120 default + 6 store - 2)
    assert emulator.shop.salable("MB-MUG-BLUE") == 124


def test_find_order_is_exact(adapter, draft_for):
    draft = draft_for(adapter)
    assert adapter.find_order(REF) is None
    ref = adapter.create_order(draft)
    assert adapter.find_order(REF) == ref
    assert adapter.find_order(REF.upper()) is None  # MySQL would match case-insensitively; we do not
    assert adapter.find_order("amazon:302-1234567") is None


def test_prices_without_tax_are_net_prices(adapter, emulator, draft_for, order_dict):
    order = order_dict(lines=[("MB-KETTLE", 2, "10.00", "1.60")], total="26.50")
    order["prices_include_tax"] = False
    order["shipping"]["price"]["amount"] = "4.90"
    ref = adapter.create_order(draft_for(adapter, order))
    stored = emulator.shop.order(int(ref.order_id))
    kettle = stored["items"][0]
    assert (kettle["price"], kettle["row_total"], kettle["row_total_incl_tax"]) == (10.0, 20.0, 21.6)
    assert stored["shipping_amount"] == 4.90 and stored["shipping_incl_tax"] == pytest.approx(5.68)
    assert stored["grand_total"] == 26.50  # the marketplace total, never recomputed


def test_initial_status_of_the_connection(adapter, emulator, draft_for):
    ref = adapter.create_order(draft_for(adapter, initial_status="processing"))  # O3
    order = emulator.shop.order(int(ref.order_id))
    assert (order["state"], order["status"]) == ("processing", "processing")


@pytest.mark.parametrize("status", ["complete", "canceled", "holded"])
def test_initial_status_that_magento_sets_itself_is_refused(adapter, draft_for, status):
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft_for(adapter, initial_status=status))
    assert err.value.code == "initial_status_invalid"


def test_pickup_order_goes_to_the_pickup_location(adapter, emulator, draft_for, order_dict):
    draft = draft_for(adapter, order_dict(pickup_store="paris-store"))
    ref = adapter.create_order(draft)
    order = emulator.shop.order(int(ref.order_id))
    assert order["extension_attributes"]["pickup_location_code"] == "paris-store"
    assert order["extension_attributes"]["shipping_assignments"][0]["shipping"]["method"] == "instore_pickup"
    assert order["shipping_description"] == "Amazon Click & Collect: pickup at paris-store"  # O2 pickup marker


def test_test_orders_say_so(adapter, emulator, draft_for):
    ref = adapter.create_order(draft_for(adapter, test=True))
    order = emulator.shop.order(int(ref.order_id))
    assert "[TEST]" in order["shipping_description"]
    assert any("TEST ORDER" in h["comment"] for h in order["status_histories"])


# -- Magento's refusals become held orders with a reason --------------------------------------------------

def _draft_with_product(adapter, draft_for, sku: str):
    draft = draft_for(adapter)
    line = draft.lines[0]
    fake = ShopProduct(product_id="999", name="Ghost", sku=sku)
    return type(draft)(order=draft.order, external_ref=draft.external_ref, lines=(PlannedLine(line.line, fake),),
                       marker=draft.marker, initial_status=None, connection_name=draft.connection_name)


def test_unknown_product_is_held(adapter, emulator, draft_for):
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(_draft_with_product(adapter, draft_for, "MB-UNKNOWN"))
    assert err.value.code == "product_not_found"
    assert 'no product with SKU "MB-UNKNOWN"' in err.value.message
    assert not emulator.shop.orders


def test_disabled_product_is_held(adapter, emulator, draft_for):
    emulator.set_product_enabled("MB-MUG-BLUE", False)
    draft = draft_for(adapter)
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft)
    assert err.value.code == "product_unavailable" and "MB-MUG-BLUE" in err.value.message


def test_out_of_stock_product_is_held(adapter, emulator, draft_for, order_dict):
    draft = draft_for(adapter, order_dict(lines=[("MB-TEE-L", 5, "24.00", "19.16")]))  # only 3 left
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft)
    assert err.value.code == "out_of_stock"
    assert "Raise its quantity" in err.value.message and "MB-TEE-L" in err.value.message


def test_rejected_required_field_is_held(adapter, draft_for, order_dict):
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft_for(adapter, order_dict(phone=None)))
    assert err.value.code == "field_rejected"
    assert '"telephone" is required' in err.value.message  # Magento's %message filled in


def test_placeholder_phone_lets_the_order_through(make_adapter, draft_for, order_dict):
    adapter = make_adapter(phone_placeholder="0000")
    assert adapter.create_order(draft_for(adapter, order_dict(phone=None))).order_id


def test_disabled_shipping_method_is_held(adapter, emulator, draft_for):
    emulator.shop.carriers.pop("flatrate")
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft_for(adapter))
    assert err.value.code == "shipping_method_unavailable"
    assert "Carrier with such method not found: flatrate, flatrate" in err.value.message


def test_disabled_payment_method_is_held(adapter, emulator, draft_for):
    emulator.shop.payment_methods.clear()
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft_for(adapter))
    assert err.value.code == "payment_method_unavailable"


def test_currency_mismatch_is_held_before_anything_is_created(adapter, emulator, draft_for):
    emulator.shop.base_currency = "USD"
    with pytest.raises(OrderRejected) as err:
        adapter.create_order(draft_for(adapter))
    assert err.value.code == "currency_mismatch"
    assert not emulator.shop.carts


# -- exactly once -------------------------------------------------------------------------------------------

def _count_orders(emulator) -> int:
    return sum(1 for o in emulator.shop.orders.values() if o["customer_email"].startswith("amazon-302"))


@pytest.mark.parametrize("fault", [Fault(kind="malformed", method="PUT", path=r"/carts/\d+/order$"),
                                   Fault(kind="after", status=503, method="PUT", path=r"/carts/\d+/order$")])
def test_lost_checkout_answer_is_finished_not_placed_again(adapter, emulator, draft_for, fault):
    draft = draft_for(adapter)
    emulator.faults.add(fault)
    with pytest.raises(TemporaryFailure):
        adapter.create_order(draft)
    assert _count_orders(emulator) == 1  # Magento placed it, we did not hear
    assert adapter.find_order(REF) is None  # not finished yet: the engine calls create again
    ref = adapter.create_order(draft)
    assert _count_orders(emulator) == 1
    assert adapter.find_order(REF) == ref
    assert emulator.shop.order(int(ref.order_id))["grand_total"] == 49.89
    assert len(emulator.calls("PUT", "/order")) == 1


def test_timed_out_checkout_is_found_on_retry(make_adapter, emulator, draft_for):
    adapter = make_adapter(timeout=2.0)
    draft = draft_for(adapter)
    emulator.faults.add(Fault(kind="timeout", method="POST", path=r"/V1/orders$"))
    with pytest.raises(TemporaryFailure) as err:
        adapter.create_order(draft)
    assert err.value.code == "timeout"
    ref = adapter.create_order(draft)
    assert _count_orders(emulator) == 1 and adapter.find_order(REF) == ref


def test_garbled_answer_of_the_final_save_is_found_by_find_order(adapter, emulator, draft_for):
    draft = draft_for(adapter)
    emulator.faults.add(Fault(kind="malformed", method="POST", path=r"/V1/orders$"))
    with pytest.raises(TemporaryFailure):
        adapter.create_order(draft)
    ref = adapter.find_order(REF)  # the engine looks up before creating again
    assert ref is not None and _count_orders(emulator) == 1


def test_marker_comment_is_not_repeated_on_retry(adapter, emulator, draft_for):
    draft = draft_for(adapter)
    emulator.faults.add(Fault(kind="status", status=500, method="POST", path=r"/V1/orders$"))
    with pytest.raises(TemporaryFailure):
        adapter.create_order(draft)
    ref = adapter.create_order(draft)
    histories = emulator.shop.order(int(ref.order_id))["status_histories"]
    assert sum("imported by Marketbridge" in h["comment"] for h in histories) == 1


def test_retry_after_a_failed_add_leaves_only_an_abandoned_cart(adapter, emulator, draft_for):
    draft = draft_for(adapter)
    emulator.faults.add(Fault(kind="drop", method="POST", path=r"/items$"))
    with pytest.raises(TemporaryFailure) as err:
        adapter.create_order(draft)
    assert err.value.code in ("unreachable", "request_failed")
    adapter.create_order(draft)
    assert _count_orders(emulator) == 1
    assert Decimal(str(emulator.shop.salable("MB-MUG-BLUE"))) == 124  # reserved once
