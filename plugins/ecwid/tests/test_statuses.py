"""The shop's statuses for the mapping page (S1) and setting them on orders."""
from __future__ import annotations

import pytest

from marketbridge.adapters import ShopOrderRef, ShopStatus
from marketbridge.errors import OrderRejected


def test_default_statuses_come_from_the_store(adapter):
    statuses = adapter.list_statuses()

    codes = [s.code for s in statuses]
    assert codes[:5] == ["AWAITING_PAYMENT", "PAID", "CANCELLED", "REFUNDED", "PARTIALLY_REFUNDED"]
    assert "INCOMPLETE" not in codes and "CUSTOM_FULFILLMENT_STATUS_1" not in codes
    assert ShopStatus("READY_FOR_PICKUP", "Ready for pickup", "fulfillment") in statuses
    assert ShopStatus("PAID", "Paid", "payment") in statuses


def test_custom_statuses_appear_with_the_merchants_name(adapter, emulator):
    emulator.set_custom_status("CUSTOM_FULFILLMENT_STATUS_2", "Packed, waiting for DHL")

    statuses = adapter.list_statuses()

    assert ShopStatus("CUSTOM_FULFILLMENT_STATUS_2", "Packed, waiting for DHL", "fulfillment") in statuses


def test_set_status_changes_the_right_field(adapter, emulator, make_draft):
    ref = adapter.create_order(make_draft())

    adapter.set_status(ref, "PROCESSING")
    adapter.set_status(ref, "PROCESSING")  # repeating is a no-op, not an error
    adapter.set_status(ref, "REFUNDED")

    order = emulator.order(ref.order_id)
    assert (order["paymentStatus"], order["fulfillmentStatus"]) == ("REFUNDED", "PROCESSING")
    assert emulator.calls("PUT")[0].json() == {"fulfillmentStatus": "PROCESSING"}


def test_cancelling_restocks_in_ecwid(adapter, emulator, make_draft):
    before = emulator.stock_of("MB-KETTLE")
    ref = adapter.create_order(make_draft([("MB-KETTLE", 2, "39.00", "12.45")]))

    adapter.set_status(ref, "CANCELLED")

    assert emulator.stock_of("MB-KETTLE") == before


def test_unknown_status_is_refused_without_calling_ecwid(adapter, emulator):
    with pytest.raises(OrderRejected) as raised:
        adapter.set_status(ShopOrderRef("ABCDE"), "SENT")

    assert raised.value.code == "ecwid_unknown_status" and "status mapping" in raised.value.message
    assert emulator.calls("PUT") == []


def test_only_statuses_a_new_order_can_start_with_are_initial(adapter, emulator):
    emulator.set_custom_status("CUSTOM_FULFILLMENT_STATUS_1", "Packing")
    emulator.set_custom_status("CUSTOM_PAYMENT_STATUS_1", "Paid by invoice")

    initial = {s.code for s in adapter.list_statuses() if s.initial}

    assert initial == {"PAID", "AWAITING_PROCESSING", "PROCESSING", "READY_FOR_PICKUP",
                       "CUSTOM_FULFILLMENT_STATUS_1"}
