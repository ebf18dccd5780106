"""Shipment confirmations (S3, S4) and the read-back that catches dropped confirmations."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from marketbridge.adapters import NoticeLine, ShipmentNotice
from marketbridge.errors import DeliveryRejected, TemporaryFailure


@pytest.fixture
def open_order(emulator, generator, clock):
    created = clock.now() - timedelta(hours=5)
    return emulator.add_order(generator.order(created, afn=False, pickup=False, multi_line=True,
                                              status_events=[(created, "PENDING"),
                                                             (created + timedelta(minutes=5), "UNSHIPPED")]))


def notice(order, clock, *, key="ship-1", carrier="DHL", name=None, ref="1", lines=None, tracking="00340434161234567890"):
    return ShipmentNotice(key=key, marketplace_order_id=order.order_id,
                          lines=tuple(lines or (NoticeLine(i.order_item_id, i.quantity) for i in order.items)),
                          carrier_code=carrier, tracking_number=tracking, shipped_at=clock.now() - timedelta(hours=1),
                          package_ref=ref, carrier_name=name, shipping_method="DHL Paket")


def test_confirmation_is_sent_and_verified(channel, emulator, open_order, clock):
    channel.confirm_shipment(notice(open_order, clock))
    sent = emulator.confirmations[0]["body"]
    assert sent["marketplaceId"] == "A1PA6795UKMFR9"
    assert sent["packageDetail"]["carrierCode"] == "DHL"
    assert sent["packageDetail"]["orderItems"] == [{"orderItemId": i.order_item_id, "quantity": i.quantity}
                                                   for i in open_order.items]
    assert sent["packageDetail"]["shipDate"].endswith("Z")
    assert open_order.status_at(clock.now()) == "SHIPPED"
    read_back = emulator.calls("GET", f"/orders/2026-01-01/orders/{open_order.order_id}")
    assert read_back and read_back[-1].query["includedData"] == ["FULFILLMENT,PACKAGES"]
    assert channel.was_delivered(notice(open_order, clock)) is True


def test_partial_shipment_confirms_only_given_lines(channel, emulator, open_order, clock):
    first = open_order.items[0]
    channel.confirm_shipment(notice(open_order, clock, lines=[NoticeLine(first.order_item_id, first.quantity)]))
    assert open_order.status_at(clock.now()) == "PARTIALLY_SHIPPED"


def test_unknown_carrier_code_is_refused_before_calling_amazon(channel, emulator, open_order, clock):
    """S4: carrier codes must match Amazon's list exactly."""
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(open_order, clock, carrier="dhl paket"))
    assert caught.value.code == "unknown_carrier_code" and "carrier list" in caught.value.message
    assert not emulator.calls("POST")


def test_other_carrier_needs_a_name_and_is_sent_with_it(channel, emulator, open_order, clock):
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(open_order, clock, carrier="Other"))
    assert caught.value.code == "carrier_name_missing"
    channel.confirm_shipment(notice(open_order, clock, carrier="Other", name="Kurier Müller"))
    assert emulator.confirmations[0]["body"]["packageDetail"]["carrierName"] == "Kurier Müller"


def test_dropped_confirmation_is_resent_after_the_grace_period(channel, emulator, open_order, clock):
    """Amazon answers 204 but does not record it: first a retry is asked for, then the confirmation is resent."""
    emulator.drop_confirmations = 1
    with pytest.raises(TemporaryFailure) as caught:
        channel.confirm_shipment(notice(open_order, clock))
    assert caught.value.code == "confirmation_unverified" and caught.value.retry_after == 900
    assert channel.was_delivered(notice(open_order, clock)) is False
    with pytest.raises(TemporaryFailure):
        channel.confirm_shipment(notice(open_order, clock))  # too early: only read back, nothing resent
    assert len(emulator.dropped) == 1 and not emulator.confirmations
    clock.advance(minutes=15)
    channel.confirm_shipment(notice(open_order, clock))
    assert len(emulator.confirmations) == 1
    assert channel.was_delivered(notice(open_order, clock)) is True


def test_confirmation_dropped_twice_is_shown_to_the_merchant(channel, emulator, open_order, clock):
    emulator.drop_confirmations = 2
    for _ in range(2):
        with pytest.raises(TemporaryFailure):
            channel.confirm_shipment(notice(open_order, clock))
        clock.advance(minutes=16)
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(open_order, clock))
    assert caught.value.code == "confirmation_dropped" and "Seller Central" in caught.value.message
    assert len(emulator.dropped) == 2


def test_crash_after_sending_is_healed_by_was_delivered(channel, emulator, open_order, clock):
    """The worker died after Amazon recorded the confirmation: was_delivered says so, nothing is resent."""
    from marketbridge.testing import Fault

    emulator.faults.add(Fault(kind="after", status=502, path="/shipmentConfirmation"))
    with pytest.raises(TemporaryFailure):
        channel.confirm_shipment(notice(open_order, clock))
    assert channel.was_delivered(notice(open_order, clock)) is True
    assert len(emulator.confirmations) == 1


def test_amazon_refusal_becomes_a_delivery_rejection_with_its_reason(channel, emulator, open_order, clock):
    too_many = [NoticeLine(open_order.items[0].order_item_id, 99)]
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(open_order, clock, lines=too_many))
    assert caught.value.code == "confirmation_refused" and "quantity is not valid" in caught.value.message


def test_unknown_order_is_rejected(channel, emulator, generator, clock, open_order):
    ghost = generator.order(clock.now(), afn=False)
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(ghost, clock))
    assert caught.value.code == "order_unknown"


def test_bad_package_reference_is_refused_locally(channel, emulator, open_order, clock):
    with pytest.raises(DeliveryRejected) as caught:
        channel.confirm_shipment(notice(open_order, clock, ref="PKG-1"))
    assert caught.value.code == "bad_package_reference"
    assert json.dumps([c.path for c in emulator.calls("POST")]) == "[]"
