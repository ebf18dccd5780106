"""Statuses (S1), status changes and shipments back (S2, S3) through polling, and set_status."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from marketbridge.adapters import Shipped, ShippedLine, StatusChanged
from marketbridge.errors import OrderRejected

from marketbridge_magento import polling


@pytest.fixture
def imported(adapter, draft_for, clock):
    """A Marketbridge order created at 09:00, and a first poll cursor at 09:05."""
    ref = adapter.create_order(draft_for(adapter))
    clock.advance(minutes=5)
    cursor = adapter.changes_since(None).cursor
    return ref, cursor


def test_first_poll_starts_from_now(adapter):
    page = adapter.changes_since(None)
    assert page.events == () and page.cursor == "2026-11-02 09:00:00" and not page.more


def test_status_change_is_reported_with_a_stable_id(adapter, emulator, clock, imported):
    ref, cursor = imported
    clock.advance(minutes=10)
    emulator.add_status("packing", "Packing", "new")
    emulator.change_status(int(ref.order_id), "packing", "boxed")
    page = adapter.changes_since(cursor)
    [event] = page.events
    assert isinstance(event, StatusChanged)
    assert (event.order, event.status) == (ref, "packing")
    assert event.changed_at == datetime(2026, 11, 2, 9, 15, tzinfo=timezone.utc)
    clock.advance(minutes=1)
    emulator.change_status(int(ref.order_id), "packing", "a later comment, same status")
    [again] = adapter.changes_since(page.cursor).events
    assert again.event_id == event.event_id  # the same change, seen twice, keeps its id


def test_shipment_is_reported_with_carrier_tracking_and_lines(adapter, emulator, clock, imported):
    ref, cursor = imported
    clock.advance(minutes=10)
    shipment_id = emulator.ship_order(int(ref.order_id), carrier_code="dhl", title="DHL Paket",
                                      tracking_number="00340434161094042557", items={"MB-MUG-BLUE": 1})
    events = adapter.changes_since(cursor).events
    shipped = [e for e in events if isinstance(e, Shipped)]
    statuses = [e for e in events if isinstance(e, StatusChanged)]
    assert len(shipped) == 1 and [s.status for s in statuses] == ["processing"]  # a document moved the state
    event = shipped[0]
    assert event.shipment_id == str(shipment_id) and event.order == ref
    assert event.carrier == "DHL Paket" and event.tracking_numbers == ("00340434161094042557",)
    mug_id = str(emulator.shop.product("MB-MUG-BLUE")["id"])
    assert event.lines == (ShippedLine(quantity=1, product_id=mug_id, sku="MB-MUG-BLUE"),)
    assert event.shipped_at == datetime(2026, 11, 2, 9, 15, tzinfo=timezone.utc)


def test_orders_not_created_by_marketbridge_are_ignored(adapter, emulator, clock, imported):
    _, cursor = imported
    clock.advance(minutes=10)
    web_order = emulator.place_web_order("MB-CANDLE", 1)
    emulator.ship_order(web_order, tracking_number="1Z999")
    assert adapter.changes_since(cursor).events == ()


def test_polling_pages_by_total_count(adapter, emulator, draft_for, order_dict, clock, monkeypatch):
    monkeypatch.setattr(polling, "PAGE_SIZE", 2)
    refs = [adapter.create_order(draft_for(adapter, order_dict(f"302-000000{i}-0000000"))) for i in range(3)]
    clock.advance(minutes=5)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=5)
    for ref in refs:
        emulator.cancel_order(int(ref.order_id))
    first = adapter.changes_since(cursor)
    assert first.more and len(first.events) == 2
    second = adapter.changes_since(first.cursor)
    assert not second.more and len(second.events) == 1  # the last page, not a repeat of it
    assert {e.order for e in first.events + second.events} == set(refs)
    assert second.cursor == "2026-11-02 09:10:00"


def test_magento_repeats_the_last_page_past_the_end(adapter, emulator):
    params = {"searchCriteria[pageSize]": "5", "searchCriteria[currentPage]": "99"}
    last = adapter.client.get("/products", params)
    assert last["total_count"] == 12 and [p["sku"] for p in last["items"]] == ["MB-LAMP-NOWEIGHT", "MB-RETIRED"]


def test_list_statuses_includes_defaults_custom_and_discovered(make_adapter, emulator, draft_for):
    adapter = make_adapter(custom_statuses="ready_pickup | Ready for pickup | processing")
    ref = adapter.create_order(draft_for(adapter))
    emulator.add_status("awaiting_stock", "Awaiting stock", "new")
    emulator.change_status(int(ref.order_id), "awaiting_stock")
    statuses = {s.code: s.label for s in adapter.list_statuses()}
    assert statuses["pending"] == "Pending" and statuses["holded"] == "On Hold" and statuses["fraud"]
    assert statuses["ready_pickup"] == "Ready for pickup"
    assert statuses["awaiting_stock"] == "Awaiting stock"
    suits_new = {s.code for s in adapter.list_statuses() if s.initial}  # what the connection form offers (O3)
    assert {"pending", "processing", "ready_pickup", "awaiting_stock"} <= suits_new
    assert not suits_new & {"complete", "closed", "canceled", "holded", "payment_review", "pending_payment"}


def test_set_status_within_the_state_adds_a_comment(adapter, emulator, draft_for):
    ref = adapter.create_order(draft_for(adapter))
    emulator.add_status("packing", "Packing", "new")
    adapter.statuses.add("packing", "Packing", "new")
    adapter.set_status(ref, "packing")
    order = emulator.shop.order(int(ref.order_id))
    assert order["status"] == "packing" and order["status_histories"][-1]["status"] == "packing"
    calls = len(emulator.log)
    adapter.set_status(ref, "packing")  # already there: no change requested
    assert [c.method for c in emulator.log[calls:]] == ["GET"]


def test_set_status_hold_unhold_and_cancel(adapter, emulator, draft_for):
    ref = adapter.create_order(draft_for(adapter))
    adapter.set_status(ref, "holded")
    assert emulator.shop.order(int(ref.order_id))["state"] == "holded"
    adapter.set_status(ref, "pending")
    assert emulator.shop.order(int(ref.order_id))["state"] == "new"
    adapter.set_status(ref, "canceled")
    assert emulator.shop.order(int(ref.order_id))["state"] == "canceled"


def test_set_status_refuses_what_only_documents_do(adapter, emulator, draft_for):
    ref = adapter.create_order(draft_for(adapter))
    with pytest.raises(OrderRejected) as err:
        adapter.set_status(ref, "complete")
    assert err.value.code == "status_by_documents"
    with pytest.raises(OrderRejected) as err:
        adapter.set_status(ref, "processing")
    assert err.value.code == "status_other_state"
    emulator.ship_order(int(ref.order_id))
    with pytest.raises(OrderRejected) as err:
        adapter.set_status(ref, "canceled")
    assert err.value.code == "cancel_refused"
