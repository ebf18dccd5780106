"""Shop statuses (S1), moving orders, and reporting status changes and shipments back (S2, S3)."""
from __future__ import annotations

import json

import pytest

from marketbridge.adapters import Shipped, ShippedLine, ShopOrderRef, StatusChanged
from marketbridge.clock import FakeClock
from marketbridge.errors import OrderRejected
from marketbridge.testing.faults import Fault

from marketbridge_shopware import changes
from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator

from sw_helpers import draft_for, order_dict


def order_state(emulator: ShopwareEmulator, order: ShopOrderRef) -> str:
    return emulator.store.get("state_machine_state", emulator.store.get("order", order.order_id)["stateId"])["technicalName"]


def test_statuses_are_listed_as_the_shop_has_them_custom_ones_included(
        shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.add_order_state("awaiting_pickup", "Awaiting pickup")
    listed = {s.code: s for s in shop.list_statuses()}
    assert listed["order.awaiting_pickup"].label == "Awaiting pickup"
    assert listed["order.completed"].label == "Done" and listed["order.completed"].group == "order"
    assert listed["order_delivery.shipped_partially"].group == "order_delivery"
    assert listed["order_transaction.chargeback"].group == "order_transaction"
    assert len(listed) == 4 + 1 + 6 + 12
    # only open order states suit a new order (O3): the connection form offers just these
    assert sorted(code for code, s in listed.items() if s.initial) == [
        "order.awaiting_pickup", "order.in_progress", "order.open"]


def test_set_status_walks_the_transitions_and_is_a_noop_when_already_there(
        shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    created = shop.create_order(draft_for(shop))
    shop.set_status(created, "order.completed")  # open → process → complete
    assert order_state(emulator, created) == "completed"
    actions = [h["transitionActionName"] for h in emulator.store.all("state_machine_history")]
    assert actions == ["process", "complete"]
    shop.set_status(created, "order.completed")
    assert len(emulator.store.all("state_machine_history")) == 2
    shop.set_status(created, "order_delivery.cancelled")
    delivery = emulator.store.find("order_delivery", orderId=created.order_id)[0]
    assert emulator.store.get("state_machine_state", delivery["stateId"])["technicalName"] == "cancelled"


def test_cancelling_through_set_status_restores_stock(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    created = shop.create_order(draft_for(shop))
    shop.set_status(created, "order.cancelled")
    assert emulator.product_by_number("MB-MUG-BLUE")["stock"] == 120


def test_unreachable_or_unknown_status_holds_with_a_reason(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.add_order_state("archived", "Archived")  # reachable from open, but there is no way out
    created = shop.create_order(draft_for(shop))
    shop.set_status(created, "order.archived")
    with pytest.raises(OrderRejected, match="cannot move order 302-1234567-1234567 from \"Archived\" to \"Done\""):
        shop.set_status(created, "order.completed")
    with pytest.raises(OrderRejected, match="no order status \"lost\""):
        shop.set_status(created, "order.lost")


def test_a_transition_the_shop_refuses_lists_the_allowed_ones(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    created = shop.create_order(draft_for(shop))
    refusal = {"errors": [{"status": "400", "code": "SYSTEM__ILLEGAL_STATE_TRANSITION", "title": "Bad Request",
                           "detail": "Illegal transition \"process\" from state \"x\". Possible transitions are: reopen",
                           "meta": {"parameters": {"possibleTransitions": ["reopen"]}}}]}
    emulator.faults.add(Fault(status=400, body=json.dumps(refusal), path="/state/process"))
    with pytest.raises(OrderRejected, match="only these are allowed: reopen"):
        shop.set_status(created, "order.in_progress")


def test_first_poll_starts_now_and_reports_nothing_old(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    created = shop.create_order(draft_for(shop))
    emulator.change_order_status(created.order_id, "process")
    first = shop.changes_since(None)
    assert first.events == () and first.cursor


def test_status_changes_and_shipments_are_reported_with_stable_ids(
        shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    created = shop.create_order(draft_for(shop))
    cursor = shop.changes_since(None).cursor
    clock.advance(60)
    emulator.change_order_status(created.order_id, "process")
    clock.advance(60)
    emulator.ship(created.order_id, "00340434161094042557", carrier="DHL Paket")
    clock.advance(60)
    page = shop.changes_since(cursor)
    statuses = [(e.status, e.changed_at.minute) for e in page.events if isinstance(e, StatusChanged)]
    assert statuses == [("order.in_progress", 1), ("order_delivery.shipped", 2)]
    shipment = next(e for e in page.events if isinstance(e, Shipped))
    assert shipment.order == created
    assert shipment.tracking_numbers == ("00340434161094042557",)
    assert (shipment.carrier, shipment.shipping_method) == ("DHL Paket", "shipping_dhl_paket")
    assert shipment.lines == ()  # the whole order
    again = shop.changes_since(cursor)  # an overlapping window repeats the same ids
    assert [e.event_id for e in again.events] == [e.event_id for e in page.events]


def test_tracking_typed_after_shipping_is_reported_as_an_update_of_the_same_shipment(
        shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    """A shipment without a tracking code is not reported yet (the status change is); once the code is
    typed, long after, the delivery's updatedAt reveals it, and a corrected code is reported again."""
    created = shop.create_order(draft_for(shop))
    cursor = shop.changes_since(None).cursor
    clock.advance(60)
    emulator.ship(created.order_id)
    page = shop.changes_since(cursor)
    assert [e.status for e in page.events if isinstance(e, StatusChanged)] == ["order_delivery.shipped"]
    assert not [e for e in page.events if isinstance(e, Shipped)]
    clock.advance(20 * 60)  # long after: only the delivery's updatedAt reveals it
    emulator.add_tracking(created.order_id, "1Z999AA10123456784")
    page = shop.changes_since(page.cursor)
    first = next(e for e in page.events if isinstance(e, Shipped))
    assert first.tracking_numbers == ("1Z999AA10123456784",)
    clock.advance(20 * 60)
    emulator.add_tracking(created.order_id, "1Z999AA10123456785")
    later = next(e for e in shop.changes_since(page.cursor).events if isinstance(e, Shipped))
    assert later.shipment_id == first.shipment_id and later.event_id != first.event_id
    assert later.tracking_numbers == ("1Z999AA10123456784", "1Z999AA10123456785")


def test_partial_shipments_carry_the_delivery_lines(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                    clock: FakeClock) -> None:
    created = shop.create_order(draft_for(shop))
    cursor = shop.changes_since(None).cursor
    clock.advance(60)
    emulator.ship(created.order_id, "TRACK1", partial=True)
    shipment = next(e for e in shop.changes_since(cursor).events if isinstance(e, Shipped))
    assert set(shipment.lines) == {ShippedLine(quantity=2, product_id=shipment.lines[0].product_id, sku="MB-MUG-BLUE"),
                                   ShippedLine(quantity=1, product_id=shipment.lines[1].product_id, sku="MB-TEE-S")}


def test_payment_changes_are_reported_and_foreign_orders_ignored(
        shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    ours = shop.create_order(draft_for(shop))
    theirs = shop.create_order(draft_for(shop, order_dict("999-0000000-0000000")))
    emulator.store.get("order", theirs.order_id)["customFields"] = {}  # as if placed in the storefront
    cursor = shop.changes_since(None).cursor
    clock.advance(60)
    emulator.change_payment_status(ours.order_id, "refund")
    emulator.change_order_status(theirs.order_id, "cancel")
    page = shop.changes_since(cursor)
    assert [(e.order.order_id, e.status) for e in page.events] == [(ours.order_id, "order_transaction.refunded")]


def test_changes_page_through_busy_windows(shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "PAGE_SIZE", 2)
    created = shop.create_order(draft_for(shop))
    cursor = shop.changes_since(None).cursor
    for action in ("process", "cancel", "reopen"):
        clock.advance(1)
        emulator.change_order_status(created.order_id, action)
    first = shop.changes_since(cursor)
    second = shop.changes_since(first.cursor)
    assert first.more and not second.more
    assert [e.status for e in first.events + second.events] == ["order.in_progress", "order.cancelled", "order.open"]
