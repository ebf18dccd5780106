"""Creating and finding orders (O1, O2, O3, C9) against the emulated store over real HTTP."""
from __future__ import annotations

import pytest

from marketbridge.adapters import Marker
from marketbridge.errors import OrderRejected
from marketbridge.order import load_order


def test_created_order_carries_amounts_reference_marker_and_status_as_given(adapter, emulator, make_draft):
    draft = make_draft([("MB-MUG-BLUE", 2, "14.90", "4.76"), ("MB-TEE-M", 1, "24.00", "3.83")],
                       initial_status="PROCESSING")

    ref = adapter.create_order(draft)

    order = emulator.order(ref.order_id)
    assert isinstance(ref.order_id, str) and ref.number == ref.order_id
    # O1: amounts exactly as charged, never recalculated
    assert order["total"] == 58.7 and order["subtotal"] == 53.8
    assert order["tax"] == pytest.approx(4.76 + 3.83 + 0.78)
    assert order["pricesIncludeTax"] is True
    assert [(i["sku"], i["quantity"], i["price"], i["tax"]) for i in order["items"]] == [
        ("MB-MUG-BLUE", 2, 14.9, 4.76), ("MB-TEE-M", 1, 24, 3.83)]
    assert order["items"][0]["taxes"] == [{"name": "VAT", "total": 4.76, "includeInPrice": True, "value": 19}]
    assert order["shippingOption"] == {"shippingMethodName": "Standard", "shippingRate": 4.9,
                                       "fulfillmentType": "SHIPPING", "isPickup": False}
    assert order["taxesOnShipping"] == [{"name": "VAT", "total": 0.78, "value": 19}]
    # the reference, searchable and exact; refererId marks Marketbridge orders
    assert order["externalTransactionId"] == "amazon:302-1234567-1234567"
    assert order["refererId"] == "marketbridge"
    assert "externalOrderId" not in order and order["externalFulfillment"] is False
    # O2 marker in the list (payment method) and in the details (extra fields)
    assert order["paymentMethod"] == "Amazon"
    assert order["extraFields"]["marketbridge_marketplace"] == "Amazon"
    assert order["extraFields"]["marketbridge_order"] == "302-1234567-1234567"
    assert "Imported by Marketbridge from Amazon: order 302-1234567-1234567" in order["privateAdminNotes"]
    # O3 initial status; paid, buyer not e-mailed (O8)
    assert (order["paymentStatus"], order["fulfillmentStatus"]) == ("PAID", "PROCESSING")
    assert order["email"] == "" and order["disableAllCustomerNotifications"] is True
    assert order["shippingPerson"]["street"] == "Heidestraße 17\nHinterhaus"
    assert order["billingPerson"]["name"] == "Erika Mustermann"


def test_variation_lines_carry_combination_and_options(adapter, emulator, make_draft):
    ref = adapter.create_order(make_draft([("MB-TEE-L", 1, "24.00", "3.83")]))

    item = emulator.order(ref.order_id)["items"][0]
    product, combination = emulator.find_sku("MB-TEE-L")
    assert (item["productId"], item["combinationId"]) == (product.id, combination.id)
    assert item["selectedOptions"] == [{"name": "Size", "value": "L", "type": "CHOICE"}]
    assert item["weight"] == 0.22


def test_ecwid_moves_stock_once_for_paid_orders_with_product_ids(adapter, emulator, make_draft):
    before = emulator.stock_of("MB-MUG-BLUE"), emulator.stock_of("MB-TEE-S")

    adapter.create_order(make_draft([("MB-MUG-BLUE", 3, "14.90", "7.14"), ("MB-TEE-S", 2, "24.00", "7.66")]))

    assert (emulator.stock_of("MB-MUG-BLUE"), emulator.stock_of("MB-TEE-S")) == (before[0] - 3, before[1] - 2)


def test_marketplace_fulfilled_orders_leave_shop_stock_alone(adapter, emulator, make_draft):
    before = emulator.stock_of("MB-CANDLE")

    ref = adapter.create_order(make_draft([("MB-CANDLE", 4, "9.90", "6.32")], fulfilment_channel="marketplace",
                                          initial_status="SHIPPED"))

    order = emulator.order(ref.order_id)
    assert emulator.stock_of("MB-CANDLE") == before
    assert "productId" not in order["items"][0] and order["items"][0]["sku"] == "MB-CANDLE"
    assert order["fulfillmentStatus"] == "SHIPPED"
    assert "Fulfilled by the marketplace" in order["privateAdminNotes"]


def test_pickup_orders_get_their_own_marker_and_pickup_fulfilment(adapter, emulator, make_draft):
    draft = make_draft(order_id="302-7777777-7777777", flags={"pickup": True}, pickup_store_code="KOELN-01",
                       marker=Marker("amazon", "Amazon Click & Collect", pickup=True))

    order = emulator.order(adapter.create_order(draft).order_id)

    assert order["paymentMethod"] == "Amazon Click & Collect"
    assert order["shippingOption"]["fulfillmentType"] == "PICKUP" and order["shippingOption"]["isPickup"] is True
    assert order["extraFields"]["marketbridge_pickup_store"] == "KOELN-01"
    assert "pickup in store KOELN-01" in order["privateAdminNotes"]


def test_test_orders_say_so_in_the_shop(adapter, emulator, make_draft):
    draft = make_draft(is_test=True, marker=Marker("amazon", "Amazon", test=True))

    order = emulator.order(adapter.create_order(draft).order_id)

    assert order["paymentMethod"] == "TEST · Amazon"
    assert "TEST ORDER" in order["privateAdminNotes"]


def test_discounts_are_passed_on_as_charged(adapter, emulator, order_data, make_draft):
    data = order_data([("MB-KETTLE", 1, "39.00", "6.23")])
    data["lines"][0]["discount"] = {"amount": "5.00", "currency": "EUR"}
    data["total"]["amount"] = "38.90"

    order = emulator.order(adapter.create_order(make_draft(order=load_order(data))).order_id)

    assert order["discount"] == 5 and order["total"] == 38.9
    assert order["discountInfo"] == [{"value": 5, "type": "ABS", "base": "ON_TOTAL"}]


def test_find_order_finds_exactly_the_reference(adapter, emulator, make_draft):
    created = adapter.create_order(make_draft(order_id="302-1111111-1111111"))
    adapter.create_order(make_draft(order_id="302-1111111-11111119"))

    assert adapter.find_order("amazon:302-1111111-1111111") == created
    assert adapter.find_order("amazon:302-1111111-111111") is None
    assert adapter.find_order("ebay:302-1111111-1111111") is None
    assert emulator.calls("GET", "/orders")[-1].query["keywords"] == ["302-1111111-1111111"]


def test_payment_status_as_initial_status_is_refused_with_what_to_fix(adapter, emulator, make_draft):
    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(make_draft(initial_status="AWAITING_PAYMENT"))

    assert raised.value.code == "ecwid_initial_status"
    assert "choose a fulfilment status" in raised.value.message
    assert emulator.orders == {}


def test_order_in_another_currency_is_held_not_converted(adapter, emulator, order_data, make_draft):
    data = order_data([("MB-MUG-RED", 1, "12.50", "2.00")])
    for money in [data["total"], data["shipping"]["price"], data["shipping"]["tax"], data["shipping"]["discount"],
                  *(line[k] for line in data["lines"] for k in ("unit_price", "tax", "discount"))]:
        money["currency"] = "GBP"
    data["currency"] = "GBP"

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(make_draft(order=load_order(data)))

    assert "is in GBP, but the Ecwid store keeps all orders in EUR" in raised.value.message
    assert emulator.orders == {}


def test_product_deleted_after_matching_holds_the_order(adapter, emulator, make_draft):
    draft = make_draft([("MB-TOWEL-SET", 1, "34.50", "5.51")])
    product, _ = emulator.find_sku("MB-TOWEL-SET")
    del emulator.products[product.id]

    with pytest.raises(OrderRejected) as raised:
        adapter.create_order(draft)

    assert raised.value.code == "ecwid_product_gone"
    assert "no longer exists in the store" in raised.value.message
    assert emulator.orders == {}
