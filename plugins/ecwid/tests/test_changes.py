"""Status changes and shipments back from Ecwid (S2, S3): polling with overlapping windows."""
from __future__ import annotations

import json
from datetime import timedelta

from marketbridge.adapters import Shipped, StatusChanged

from marketbridge_ecwid.cursor import OVERLAP_SECONDS
from marketbridge_ecwid.webhooks import parse_webhook


def drain(adapter, cursor):
    """Follow ``more`` pages; return every event and the final cursor."""
    events, page = [], adapter.changes_since(cursor)
    events.extend(page.events)
    while page.more:
        page = adapter.changes_since(page.cursor)
        events.extend(page.events)
    return events, page.cursor


def test_first_call_starts_now_and_reports_nothing_old(adapter, make_draft, clock):
    adapter.create_order(make_draft())
    clock.advance(hours=1)

    page = adapter.changes_since(None)

    assert page.events == () and page.more is False
    assert json.loads(page.cursor)["from"] == int(clock.now().timestamp()) - OVERLAP_SECONDS


def test_shipment_in_the_shop_is_reported_with_carrier_and_tracking(adapter, emulator, make_draft, clock):
    ref = adapter.create_order(make_draft())
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    emulator.ship_order(ref.order_id, "00340434161094042557", carrier="DHL")
    clock.advance(minutes=1)

    events, _ = drain(adapter, cursor)

    shipped = [e for e in events if isinstance(e, Shipped)]
    assert len(shipped) == 1
    assert shipped[0].order == ref and shipped[0].shipment_id == ref.order_id
    assert shipped[0].tracking_numbers == ("00340434161094042557",) and shipped[0].carrier == "DHL"
    assert shipped[0].shipping_method == "Standard" and shipped[0].lines == ()
    assert shipped[0].shipped_at == clock.now() - timedelta(minutes=1)
    statuses = {e.status for e in events if isinstance(e, StatusChanged)}
    assert statuses == {"PAID", "SHIPPED"}


def test_status_change_is_reported_and_windows_overlap_harmlessly(adapter, emulator, make_draft, clock):
    ref = adapter.create_order(make_draft())
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=5)
    emulator.set_order_status(ref.order_id, fulfillment_status="PROCESSING")
    clock.advance(seconds=30)

    first, cursor = drain(adapter, cursor)
    again, _ = drain(adapter, cursor)  # the overlap sees the same change again, with the same ids

    changed = [e for e in first if isinstance(e, StatusChanged) and e.status == "PROCESSING"]
    assert len(changed) == 1 and changed[0].event_id == f"ecwid:1003:{ref.order_id}:PROCESSING"
    assert {e.event_id for e in again} <= {e.event_id for e in first}


def test_tracking_number_added_later_is_a_new_event_for_the_same_shipment(adapter, emulator, make_draft, clock):
    ref = adapter.create_order(make_draft())
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=5)
    emulator.set_order_status(ref.order_id, fulfillment_status="SHIPPED")
    clock.advance(minutes=5)
    before, cursor = drain(adapter, cursor)
    clock.advance(minutes=5)
    emulator.ship_order(ref.order_id, "1Z999AA10123456784")
    clock.advance(minutes=5)

    after, _ = drain(adapter, cursor)

    first = [e for e in before if isinstance(e, Shipped)]
    second = [e for e in after if isinstance(e, Shipped)]
    assert first[0].tracking_numbers == () and second[0].tracking_numbers == ("1Z999AA10123456784",)
    assert first[0].shipment_id == second[0].shipment_id and first[0].event_id != second[0].event_id


def test_pickup_ready_is_a_status_not_a_shipment(adapter, emulator, make_draft, clock):
    ref = adapter.create_order(make_draft(flags={"pickup": True}, pickup_store_code="KOELN-01"))
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=5)
    emulator.set_order_status(ref.order_id, fulfillment_status="READY_FOR_PICKUP")
    clock.advance(minutes=1)

    events, _ = drain(adapter, cursor)

    assert "READY_FOR_PICKUP" in {e.status for e in events if isinstance(e, StatusChanged)}
    assert not [e for e in events if isinstance(e, Shipped)]


def test_orders_not_created_by_marketbridge_are_ignored(adapter, emulator, raw_order, clock):
    cursor = adapter.changes_since(None).cursor
    other = raw_order(refererId="some-other-app")
    emulator.ship_order(other, "123")
    clock.advance(minutes=1)

    events, _ = drain(adapter, cursor)

    assert events == []
    assert emulator.calls("GET", "/orders")[-1].query["refererId"] == ["marketbridge"]


def test_many_changed_orders_are_paged_by_100(adapter, emulator, make_draft, clock):
    cursor = adapter.changes_since(None).cursor
    for i in range(130):
        emulator.orders[f"X{i:04d}"] = _stored_order(f"X{i:04d}", int(clock.now().timestamp()))
    clock.advance(minutes=1)

    first = adapter.changes_since(cursor)
    second = adapter.changes_since(first.cursor)

    assert first.more is True and second.more is False
    seen = {e.order.order_id for e in (*first.events, *second.events)}
    assert seen == {f"X{i:04d}" for i in range(130)}


def test_window_that_shrinks_while_paging_restarts_instead_of_skipping(adapter, emulator, clock):
    cursor = adapter.changes_since(None).cursor
    now = int(clock.now().timestamp())
    for i in range(150):
        emulator.orders[f"Y{i:04d}"] = _stored_order(f"Y{i:04d}", now - 30, created=now - 300 + i)
    clock.advance(minutes=1)
    first = adapter.changes_since(cursor)
    # the merchant touches an order of the first page: it leaves the window, later orders shift down
    touched = next(iter(first.events)).order.order_id
    clock.advance(seconds=5)
    emulator.set_order_status(touched, fulfillment_status="PROCESSING")

    restart = adapter.changes_since(first.cursor)
    rest, _ = drain(adapter, restart.cursor)

    assert restart.events == () and restart.more is True
    seen = {e.order.order_id for e in (*first.events, *rest)}
    assert seen == {f"Y{i:04d}" for i in range(150)}


def test_webhook_and_polling_report_the_same_event_ids(adapter, emulator, make_draft, clock):
    emulator.install_app("mb-client", "0123abcd4567efgh1234567890", webhook_url="https://mb.example/hook")
    ref = adapter.create_order(make_draft())
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=2)
    emulator.ship_order(ref.order_id, "JJD000390007421567", carrier="DHL")
    clock.advance(minutes=1)
    call = emulator.outbox.pending()[-1]
    webhook = parse_webhook(call.raw_body, call.headers, client_secret="0123abcd4567efgh1234567890",
                            now=clock.now(), store_id="1003")

    pushed = adapter.events_for_webhook(webhook)
    polled, _ = drain(adapter, cursor)

    assert webhook.event_type == "order.updated" and webhook.order_id == ref.order_id
    assert {e.event_id for e in pushed} == {e.event_id for e in polled}
    assert any(isinstance(e, Shipped) and e.tracking_numbers == ("JJD000390007421567",) for e in pushed)


def _stored_order(order_id: str, updated: int, created: int | None = None) -> dict:
    return {"id": order_id, "internalId": updated, "paymentStatus": "PAID", "fulfillmentStatus": "AWAITING_PROCESSING",
            "refererId": "marketbridge", "externalTransactionId": f"amazon:{order_id}", "total": 1, "subtotal": 1,
            "email": "", "createTimestamp": created or updated, "updateTimestamp": updated,
            "createDate": "2026-11-02 09:00:00 +0000", "updateDate": "2026-11-02 09:00:00 +0000", "items": []}
