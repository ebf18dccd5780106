"""Click & Collect statuses (K4) and what the channel refuses to fake (S5)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketbridge.adapters import NoticeLine, StatusNotice
from marketbridge.errors import DeliveryRejected


@pytest.fixture
def pickup_order(emulator, generator, clock):
    created = clock.now() - timedelta(hours=2)
    return emulator.add_order(generator.order(created, afn=False, pickup=True, multi_line=True,
                                              status_events=[(created, "UNSHIPPED")]))


def test_statuses_offer_pickup_states_and_no_cancellation(channel):
    codes = {s.code: s for s in channel.statuses}
    assert set(codes) == {"shipped", "ready_for_pickup", "picked_up", "refused_pickup"}
    assert codes["shipped"].needs_tracking and all(codes[c].pickup for c in ("ready_for_pickup", "picked_up",
                                                                            "refused_pickup"))


def test_ready_for_pickup_then_partial_pickup(channel, emulator, pickup_order):
    channel.push_status(StatusNotice("k1", pickup_order.order_id, "ready_for_pickup"))
    first = pickup_order.items[0]
    channel.push_status(StatusNotice("k2", pickup_order.order_id, "picked_up",
                                     lines=(NoticeLine(first.order_item_id, 1),)))
    assert [u["status"] for u in pickup_order.pickup_updates] == ["ReadyForPickup", "PickedUp"]
    assert pickup_order.pickup_updates[1]["orderItems"] == [{"orderItemId": first.order_item_id, "quantity": 1}]
    assert emulator.calls("POST", "/shipment")[0].json() == {"marketplaceId": "A1PA6795UKMFR9",
                                                             "shipmentStatus": "ReadyForPickup"}


def test_refused_pickup_is_sent(channel, pickup_order):
    channel.push_status(StatusNotice("k3", pickup_order.order_id, "refused_pickup"))
    assert pickup_order.pickup_updates[-1]["status"] == "RefusedPickup"
    assert channel.was_delivered(StatusNotice("k3", pickup_order.order_id, "refused_pickup")) is None


def test_pickup_status_for_a_delivery_order_is_refused_by_amazon(channel, emulator, generator, clock):
    created = clock.now() - timedelta(hours=2)
    order = emulator.add_order(generator.order(created, afn=False, pickup=False,
                                               status_events=[(created, "UNSHIPPED")]))
    with pytest.raises(DeliveryRejected) as caught:
        channel.push_status(StatusNotice("k4", order.order_id, "ready_for_pickup"))
    assert caught.value.code == "pickup_status_refused" and "not an in-store pickup order" in caught.value.message


def test_cancellation_is_refused_without_calling_amazon(channel, emulator, pickup_order):
    """S5: the saved models offer no cancel operation; the merchant is told to cancel in Seller Central."""
    with pytest.raises(DeliveryRejected) as caught:
        channel.push_status(StatusNotice("k5", pickup_order.order_id, "cancelled", reason="out of stock"))
    assert caught.value.code == "unsupported_status" and "Seller Central" in caught.value.message
    with pytest.raises(DeliveryRejected) as shipped:
        channel.push_status(StatusNotice("k6", pickup_order.order_id, "shipped"))
    assert shipped.value.code == "needs_tracking"
    assert not emulator.calls("POST")
