"""S2/S3: status changes and shipments made by the merchant in the back office, found by polling."""
from __future__ import annotations

from datetime import datetime, timedelta

from marketbridge.adapters import Shipped, StatusChanged
from marketbridge_prestashop.changes import ChangeReader, tracking_numbers
from marketbridge_prestashop.testing import order_dict


def statuses(page) -> list[str]:
    return [e.status for e in page.events if isinstance(e, StatusChanged)]


def shipments(page) -> list[Shipped]:
    return [e for e in page.events if isinstance(e, Shipped)]


def test_a_shipment_is_the_shipped_state_plus_the_tracking_number(shop, adapter, make_draft, clock):
    ref = adapter.create_order(make_draft())
    clock.advance(minutes=10)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    shop.ship_order(ref.order_id, "00340434161094042557", carrier_reference=3)
    page = adapter.changes_since(cursor)
    assert statuses(page) == ["4"]
    (shipped,) = shipments(page)
    assert shipped.order == ref
    assert shipped.tracking_numbers == ("00340434161094042557",)
    assert shipped.carrier == "DHL Paket"
    assert shipped.shipment_id.startswith("order_carrier:")
    assert shipped.shipped_at == clock.now()
    assert shipped.lines == ()
    again = adapter.changes_since(cursor)
    assert [e.event_id for e in again.events] == [e.event_id for e in page.events]  # stable ids: duplicates harmless


def test_times_are_reported_in_utc_although_the_shop_writes_local_time(shop, adapter, make_draft, clock):
    ref = adapter.create_order(make_draft())
    page = adapter.changes_since(None)
    created = [e for e in page.events if e.order == ref]
    assert created and all(e.changed_at == clock.now() for e in created)
    assert shop.store.get("orders", ref.order_id)["date_add"] == "2026-11-02 10:00:00"  # Paris = UTC+1 in November


def test_shipped_without_tracking_is_a_status_change_and_the_number_added_later_a_shipment(shop, adapter,
                                                                                          make_draft, clock):
    ref = adapter.create_order(make_draft())
    clock.advance(minutes=10)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    shop.change_order_state(ref.order_id, 4)
    page = adapter.changes_since(cursor)
    assert statuses(page) == ["4"] and shipments(page) == []
    clock.advance(minutes=10)
    shop.ship_order(ref.order_id, "1Z999AA10123456784", state_id=4)
    later = adapter.changes_since(page.cursor)
    (shipped,) = shipments(later)
    assert shipped.tracking_numbers == ("1Z999AA10123456784",)
    assert shipped.carrier == "My carrier"


def test_custom_states_with_the_shipped_flag_count_as_shipments(shop, adapter, make_draft, clock):
    courier = shop.add_order_state("Handed to courier", shipped=True)
    ref = adapter.create_order(make_draft())
    clock.advance(minutes=10)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    shop.ship_order(ref.order_id, "JJD000390007788", state_id=courier)
    page = adapter.changes_since(cursor)
    assert statuses(page) == [str(courier)]
    assert len(shipments(page)) == 1


def test_the_first_poll_reaches_back_a_day_and_quiet_polls_return_nothing_new(shop, adapter, make_draft, clock):
    """Until a poll succeeds there is no window: the first one reads the last day, not more."""
    old = adapter.create_order(make_draft())
    clock.advance(hours=25)
    recent = adapter.create_order(make_draft(order_dict(marketplace_order_id="302-7654321-7654321")))
    clock.advance(hours=2)  # e.g. the first polls failed meanwhile
    first = adapter.changes_since(None)
    assert {e.order.order_id for e in first.events} == {recent.order_id}, f"order {old.order_id} is older than a day"
    clock.advance(minutes=10)
    quiet = adapter.changes_since(first.cursor)
    assert quiet.events == () and quiet.more is False


def test_status_changes_of_several_orders_come_in_order_and_page_without_loss(shop, adapter, make_draft, clock):
    refs = [adapter.create_order(make_draft(order_dict(marketplace_order_id=f"302-0000000-000000{i}")))
            for i in range(5)]
    clock.advance(minutes=10)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    for ref in refs:
        clock.advance(minutes=1)
        shop.change_order_state(ref.order_id, 5)
    parts = adapter._parts
    reader = ChangeReader(parts.ws, parts.settings, clock, parts.statuses, parts.refs, page_size=2)
    seen: list[str] = []
    page = reader.since(cursor)
    rounds = 1
    while page.more:
        seen += [e.order.order_id for e in page.events if isinstance(e, StatusChanged) and e.status == "5"]
        page = reader.since(page.cursor)
        rounds += 1
    seen += [e.order.order_id for e in page.events if isinstance(e, StatusChanged) and e.status == "5"]
    assert rounds == 3
    assert seen == [r.order_id for r in refs]


def test_only_orders_changed_in_the_window_are_read(shop, adapter, make_draft, clock):
    first = adapter.create_order(make_draft())
    second = adapter.create_order(make_draft(order_dict(marketplace_order_id="302-0000000-0000002")))
    clock.advance(minutes=30)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=1)
    shop.change_order_state(second.order_id, 6)
    page = adapter.changes_since(cursor)
    assert {e.order.order_id for e in page.events} == {second.order_id}
    history_call = shop.calls("GET", "/api/order_histories")[-1]
    assert history_call.query["filter[id_order]"] == [f"[{second.order_id}|{second.order_id}]"]
    assert first.order_id != second.order_id


def test_tracking_numbers_split_on_commas():
    assert tracking_numbers("JJD1, JJD2,,") == ("JJD1", "JJD2")
    assert tracking_numbers("") == ()


def test_a_change_committed_late_with_an_earlier_time_stamp_is_still_seen(shop, adapter, make_draft, clock):
    """The overlap: a slow transaction writes a change stamped before the newest row of the last poll."""
    ref = adapter.create_order(make_draft())
    clock.advance(minutes=10)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    shop.change_order_state(ref.order_id, 4)
    stamped = shop.store.get("orders", ref.order_id)["date_upd"]
    page = adapter.changes_since(cursor)
    assert statuses(page) == ["4"]
    clock.advance(minutes=1)
    shop.change_order_state(ref.order_id, 5)
    earlier = (datetime.strptime(stamped, "%Y-%m-%d %H:%M:%S") - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    shop.store.get("orders", ref.order_id)["date_upd"] = earlier
    shop.store.where("order_histories", id_order=ref.order_id, id_order_state=5)[0]["date_add"] = earlier
    later = adapter.changes_since(page.cursor)
    assert "5" in statuses(later)
