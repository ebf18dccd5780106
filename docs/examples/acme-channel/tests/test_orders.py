# tests/test_orders.py
"""Importing orders: the adapter against the emulator, over real HTTP."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from marketbridge.adapters import FetchRequest, OrderPage
from marketbridge.clock import FakeClock
from marketbridge.order import load_order

from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import AcmeEmulator

ACTIVATION = datetime(2026, 11, 1, tzinfo=timezone.utc)


def fetch(adapter: AcmeChannel, cursor: str | None = None) -> OrderPage:
    """What the host does: the first fetch has no cursor and asks for open orders since the activation date."""
    return adapter.fetch_orders(FetchRequest(cursor=cursor, since=ACTIVATION, open_only=cursor is None))


def ids(page: OrderPage) -> list[str]:
    return [order["marketplace_order_id"] for order in page.orders]


def test_an_acme_order_becomes_a_canonical_order(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    order_id = acme.place_order([("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)], express=True, business=True,
                                vat_id="DE123456789")
    (data,) = fetch(adapter).orders
    order = load_order(data)  # the host's own validation: this dict is a valid canonical order
    assert (order.marketplace, order.marketplace_order_id, order.status) == ("acme", order_id, "unshipped")
    assert data["lines"][0]["unit_price"] == {"amount": "14.90", "currency": "EUR"}
    assert [line.line_id for line in order.lines] == [f"{order_id}-1", f"{order_id}-2"]
    assert order.total.amount == Decimal("44.60")
    assert order.flags.premium and order.flags.business and order.tags == ["Acme Express", "Acme Business"]
    assert order.buyer.vat_number == "DE123456789"
    assert order.buyer.email is None and "relay.acme-market" not in json.dumps(data)


def test_the_first_window_holds_open_orders_then_every_status_counts(acme: AcmeEmulator, adapter: AcmeChannel,
                                                                      clock: FakeClock) -> None:
    shipped = acme.place_order()
    acme.change(shipped, status="shipped")
    open_order = acme.place_order()
    first = fetch(adapter)
    assert ids(first) == [open_order]
    clock.advance(minutes=1)
    acme.cancel(open_order)
    assert load_order(fetch(adapter, first.cursor).orders[-1]).status == "cancelled"
    assert [call.query["status"] for call in acme.calls("GET", "/v1/orders")] == [["open"], ["any"]]


def test_a_window_is_read_page_by_page(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    placed = [acme.place_order() for _ in range(101)]
    first = fetch(adapter)
    second = fetch(adapter, first.cursor)
    assert (len(first.orders), first.more, second.more) == (100, True, False)
    assert ids(first) + ids(second) == placed


def test_windows_overlap_so_late_orders_are_read_again_not_missed(acme: AcmeEmulator, adapter: AcmeChannel,
                                                                  clock: FakeClock) -> None:
    early = acme.place_order()
    first = fetch(adapter)
    clock.advance(minutes=1)
    late = acme.place_order()
    second = fetch(adapter, first.cursor)
    assert ids(second) == [early, late], "the order of the last five minutes comes again; the host upserts"
    clock.advance(minutes=10)
    third = fetch(adapter, second.cursor)
    clock.advance(minutes=10)
    assert ids(fetch(adapter, third.cursor)) == []


def test_an_unpaid_order_is_pending_until_refresh_orders_finds_it_paid(acme: AcmeEmulator,
                                                                        adapter: AcmeChannel) -> None:
    order_id = acme.place_order(paid=False)
    pending = load_order(fetch(adapter).orders[0])
    assert pending.status == "pending" and pending.shipping_address is None
    acme.pay(order_id)
    page = adapter.refresh_orders([order_id, "ACM-404"])
    assert load_order(page.orders[0]).shipping_address is not None
    assert [r.marketplace_order_id for r in page.rejected] == ["ACM-404"]


def test_an_order_in_a_status_nobody_documented_is_rejected_with_its_data(acme: AcmeEmulator,
                                                                          adapter: AcmeChannel) -> None:
    first = fetch(adapter)
    order_id = acme.place_order()
    acme.change(order_id, status="on_hold")
    page = fetch(adapter, first.cursor)
    (rejected,) = page.rejected
    assert page.orders == () and rejected.marketplace_order_id == order_id
    assert "'on_hold'" in rejected.reason
    assert rejected.raw["items"] and "email" not in rejected.raw["buyer"]
