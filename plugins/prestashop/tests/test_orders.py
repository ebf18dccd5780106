"""Order import (O1–O3), look-up by reference (C9) and status moves (S1) against the emulator over HTTP."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketbridge.adapters import ShopOrderRef
from marketbridge.errors import OrderRejected
from marketbridge_prestashop.emulator import PrestaShopEmulator

from marketbridge_prestashop.testing import ADDRESS, line, order_dict


def details(shop: PrestaShopEmulator, order_id: str) -> list[dict]:
    return shop.store.where("order_details", id_order=order_id)


def test_create_order_stores_marketplace_amounts_reference_marker_and_initial_status(shop, adapter, make_draft):
    """O1/O2/O3: amounts as charged, reference on note + private message, marker in Payment, status 3."""
    ref = adapter.create_order(make_draft())
    order = shop.store.get("orders", ref.order_id)
    assert ref.number == order["reference"] and len(ref.number) == 9
    assert order["payment"] == "Amazon"
    assert order["module"] == "ps_wirepayment"
    assert order["current_state"] == "3"
    assert shop.history(ref.order_id) == [11, 3]  # totals matched the cart: no Payment error on the way
    assert "Marketbridge reference: amazon:302-1234567-1234567" in order["note"].splitlines()
    messages = shop.store.where("messages", id_order=ref.order_id)
    assert len(messages) == 1 and messages[0]["private"] == "1"
    assert messages[0]["message"].endswith("Marketbridge reference: amazon:302-1234567-1234567")
    assert Decimal(order["total_paid"]) == Decimal("34.70")
    assert Decimal(order["total_paid_tax_excl"]) == Decimal("29.16")
    assert Decimal(order["total_products"]) == Decimal("25.04")
    assert Decimal(order["total_shipping_tax_excl"]) == Decimal("4.12")
    (detail,) = details(shop, ref.order_id)
    assert (detail["product_reference"], detail["product_quantity"]) == ("MB-MUG-BLUE", "2")
    assert Decimal(detail["unit_price_tax_incl"]) == Decimal("14.90")
    assert Decimal(detail["total_price_tax_excl"]) == Decimal("25.04")
    carrier = shop.store.where("order_carriers", id_order=ref.order_id)[0]
    assert carrier["id_carrier"] == "2" and Decimal(carrier["shipping_cost_tax_incl"]) == Decimal("4.90")


def test_marketplace_prices_win_over_catalogue_prices_even_after_payment_error(shop, adapter, make_draft):
    """PrestaShop prices the cart from its catalogue and drops to Payment error (8) on a different total;
    the import writes the marketplace's amounts and moves on to the configured status, stock taken once."""
    data = order_dict(lines=[line("MB-MUG-BLUE", 2, "13.90", "4.44", title="Enamel mug, blue")],
                      total={"amount": "32.70", "currency": "EUR"})
    ref = adapter.create_order(make_draft(data))
    order = shop.store.get("orders", ref.order_id)
    assert shop.history(ref.order_id) == [8, 3]
    assert Decimal(order["total_paid"]) == Decimal("32.70")
    assert Decimal(order["total_products_wt"]) == Decimal("27.80")
    (detail,) = details(shop, ref.order_id)
    assert Decimal(detail["unit_price_tax_incl"]) == Decimal("13.90")
    assert Decimal(detail["unit_price_tax_excl"]) == Decimal("11.68")
    stock = shop.store.where("stock_availables", id_product=1, id_product_attribute=0)[0]
    assert stock["quantity"] == "118"


def test_prices_without_tax_and_discounts_are_kept_as_given(shop, adapter, make_draft):
    """US-style prices (tax on top) and a line discount: nothing recalculated."""
    mug = line("MB-MUG-BLUE", 1, "10.00", "0.80")
    mug["discount"] = {"amount": "2.00", "currency": "EUR"}
    data = order_dict(prices_include_tax=False, lines=[mug],
                      shipping={"method": "Standard", "price": {"amount": "5.00", "currency": "EUR"},
                                "tax": {"amount": "0.40", "currency": "EUR"},
                                "discount": {"amount": "0.00", "currency": "EUR"}},
                      total={"amount": "14.20", "currency": "EUR"})
    ref = adapter.create_order(make_draft(data))
    order = shop.store.get("orders", ref.order_id)
    assert Decimal(order["total_products"]) == Decimal("10.00")
    assert Decimal(order["total_products_wt"]) == Decimal("10.80")
    assert Decimal(order["total_shipping_tax_incl"]) == Decimal("5.40")
    assert Decimal(order["total_discounts"]) == Decimal("2.00")
    assert Decimal(order["total_paid"]) == Decimal("14.20")
    assert Decimal(order["carrier_tax_rate"]) == Decimal("8.000")


def test_lines_of_one_product_merge_into_one_cart_row_and_variants_keep_their_combination(shop, adapter, make_draft):
    data = order_dict(lines=[line("MB-MUG-BLUE", 1, "14.90", "2.38", "L1"),
                             line("MB-MUG-BLUE", 2, "14.90", "4.76", "L2"),
                             line("MB-TEE-M", 1, "24.00", "3.83", "L3")],
                      total={"amount": "73.60", "currency": "EUR"})
    ref = adapter.create_order(make_draft(data))
    rows = {(d["product_id"], d["product_attribute_id"]): d for d in details(shop, ref.order_id)}
    assert set(rows) == {("1", "0"), ("3", "2")}
    assert rows[("1", "0")]["product_quantity"] == "3"
    assert Decimal(rows[("1", "0")]["total_price_tax_incl"]) == Decimal("44.70")
    assert Decimal(rows[("3", "2")]["unit_price_tax_incl"]) == Decimal("24.00")


def test_click_and_collect_and_test_orders_carry_their_own_markers(shop, adapter, make_draft):
    """O2: pickup orders say so in the Payment column and ship with the pickup carrier; C6 test orders too."""
    data = order_dict(marketplace_order_id="302-0000000-0000009", flags={"pickup": True},
                      pickup_store_code="STORE-KOELN")
    pickup = adapter.create_order(make_draft(data, pickup=True, tags=("Amazon Prime Order",)))
    order = shop.store.get("orders", pickup.order_id)
    assert order["payment"] == "Amazon Click & Collect"
    assert order["id_carrier"] == "1"
    assert "STORE-KOELN" in order["note"] and "Tags: Amazon Prime Order" in order["note"]
    test_order = adapter.create_order(make_draft(order_dict(marketplace_order_id="302-0000000-0000010"), test=True))
    assert shop.store.get("orders", test_order.order_id)["payment"] == "[TEST] Amazon"
    assert "TEST ORDER: do not ship." in shop.store.get("orders", test_order.order_id)["note"]


def test_without_a_connection_status_the_default_state_setting_applies(shop, adapter, make_draft):
    ref = adapter.create_order(make_draft(initial_status=None))
    assert shop.store.get("orders", ref.order_id)["current_state"] == "2"


def test_invoice_address_and_buyer_data_are_cleaned_for_prestashop_validators(shop, adapter, make_draft):
    """Names with digits, '@' in streets, letters in phones would fail PrestaShop's validators."""
    billing = dict(ADDRESS, name="Büro 2 GmbH Müller", line1="Postfach @ 1234", phone="tel: +49 (0) 221-99",
                   postal_code="D-51147")
    ref = adapter.create_order(make_draft(order_dict(billing_address=billing)))
    order = shop.store.get("orders", ref.order_id)
    assert order["id_address_invoice"] != order["id_address_delivery"]
    invoice = shop.store.get("addresses", order["id_address_invoice"])
    assert (invoice["firstname"], invoice["lastname"]) == ("Büro GmbH", "Müller")
    assert invoice["address1"] == "Postfach 1234"
    assert invoice["phone"] == "+49 (0) 221-99"
    customer = shop.store.get("customers", order["id_customer"])
    assert customer["is_guest"] == "1" and customer["email"].endswith("@marketbridge.invalid")


def test_find_order_is_exact(adapter, make_draft):
    """C9: only the exact reference line counts, not a longer or shorter id."""
    ref = adapter.create_order(make_draft())
    assert adapter.find_order("amazon:302-1234567-1234567") == ref
    assert adapter.find_order("amazon:302-1234567-123456") is None
    assert adapter.find_order("amazon:302-1234567-12345678") is None
    assert adapter.find_order("ebay:302-1234567-1234567") is None


def test_find_order_falls_back_to_the_private_message_when_the_note_was_rewritten(shop, adapter, make_draft):
    ref = adapter.create_order(make_draft())
    shop.set_order_note(ref.order_id, "Customer called, ships Monday")
    assert adapter.find_order("amazon:302-1234567-1234567") == ref


def test_set_status_moves_the_order_and_is_a_no_op_when_already_there(shop, adapter, make_draft):
    ref = adapter.create_order(make_draft())
    adapter.set_status(ref, "4")
    assert shop.history(ref.order_id)[-1] == 4
    posts = len(shop.calls("POST", "/api/order_histories"))
    adapter.set_status(ref, "4")
    assert len(shop.calls("POST", "/api/order_histories")) == posts
    assert shop.history(ref.order_id).count(4) == 1


def test_set_status_rejects_unknown_statuses_and_vanished_orders(shop, adapter, make_draft):
    ref = adapter.create_order(make_draft())
    with pytest.raises(OrderRejected) as unknown:
        adapter.set_status(ref, "99")
    assert unknown.value.code == "status_missing" and "Orders > Statuses" in unknown.value.message
    with pytest.raises(OrderRejected) as gone:
        adapter.set_status(ShopOrderRef("999"), "4")
    assert gone.value.code == "order_missing"


def test_list_statuses_returns_the_shop_states_in_its_language_including_custom_ones(shop, make_adapter):
    custom = shop.add_order_state("Handed to courier", shipped=True)
    statuses = {s.code: s.label for s in make_adapter(language_id="2").list_statuses()}
    assert statuses["4"] == "Expédié"
    assert statuses[str(custom)] == "Handed to courier"
    assert len(statuses) == 14


def test_only_paid_unshipped_states_are_offered_for_new_orders(shop, adapter):
    """O3: the connection form offers only statuses a paid marketplace order may start in."""
    packing = shop.add_order_state("Packing (paid)", paid=True)
    pickup_refused = shop.add_order_state("Pickup refused")
    initial = {s.code for s in adapter.list_statuses() if s.initial}
    assert initial == {"2", "3", "9", "11", str(packing)}
    assert str(pickup_refused) not in initial
