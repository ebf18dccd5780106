"""How one page of orders lands in the inbox: new orders in bulk, the rest through the session (O1, C9, M2).

New orders are written with multi-row statements; known orders, invalid ones
and an order id repeated within the page go one by one. These tests pin that
the two ways store the same thing and that no page shape loses or doubles an
order.
"""
from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from marketbridge.adapters import OrderPage, RejectedOrder
from marketbridge.engine import inbox
from marketbridge.models import Connection, Order, OrderEvent, OrderLine, OrderState, SyncProblem, db
from marketbridge.order import load_order
from marketbridge.order.stored import order_to_stored

MONEY = lambda a: {"amount": a, "currency": "EUR"}  # noqa: E731


def order(oid: str, *, sku: str = "MB-MUG-BLUE", quantity: int = 1, status: str = "unshipped",
          **changes: Any) -> dict[str, Any]:
    data = {
        "marketplace": "example_channel", "marketplace_order_id": oid, "status": status,
        "marketplace_status": status.title(), "purchased_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:05:00Z", "currency": "EUR",
        "lines": [{"line_id": f"{oid}-1", "title": "Mug", "quantity": quantity, "sku": sku,
                   "unit_price": MONEY("14.90"), "tax": MONEY("2.38"), "discount": MONEY("0")}],
        "shipping": {"method": "Standard", "price": MONEY("4.90"), "tax": MONEY("0.78"), "discount": MONEY("0")},
        "total": MONEY(str(14.90 * quantity + 4.90)), "buyer": {"name": "Anna Schmidt"},
        "shipping_address": {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin",
                             "postal_code": "10115", "country_code": "DE"},
        "flags": {"prime": True}, "tags": ["Example Prime", "Example Prime"],
    }
    data.update(changes)
    return data


def store(loop: Any, *orders: dict[str, Any], rejected: tuple[RejectedOrder, ...] = ()) -> tuple[int, int]:
    connection = db.session.get(Connection, loop.connection_id)
    stats = inbox.store_page(connection, OrderPage(tuple(orders), None, rejected=rejected), loop.clock.now())
    db.session.commit()
    return stats


def rows(loop: Any) -> dict[str, Order]:
    return {o.marketplace_order_id: o for o in db.session.execute(
        sa.select(Order).where(Order.connection_id == loop.connection_id)).scalars()}


def events(order_id: int) -> list[str]:
    return list(db.session.execute(sa.select(OrderEvent.kind).where(OrderEvent.order_id == order_id)
                                   .order_by(OrderEvent.id)).scalars())


def test_a_new_order_is_stored_with_its_lines_columns_and_first_event(loop):
    data = order("N-1", quantity=3)
    assert store(loop, data) == (1, 1)
    row = rows(loop)["N-1"]
    assert row.state == OrderState.NEW and row.order_key == "example_channel:N-1"
    assert row.payload == order_to_stored(load_order(data)), "the stored canonical order"
    assert row.raw is None and db.session.execute(
        sa.select(sa.func.count()).select_from(Order).where(Order.raw.is_(None))).scalar_one() == 1, \
        "SQL NULL, not a JSON null: nothing raw was kept"
    assert (row.status, row.marketplace_status, row.prime, row.pickup, row.currency) == \
        ("unshipped", "Unshipped", True, False, "EUR")
    assert row.tags == ["Example Prime"], "tags once each"
    assert row.received_at == row.changed_at == loop.clock.now()
    assert [(ln.line_id, ln.sku, ln.quantity, ln.quantity_shipped) for ln in row.lines] == [("N-1-1", "MB-MUG-BLUE", 3, 0)]
    assert events(row.id) == ["fetched"]


def test_an_order_id_twice_on_one_page_is_one_order_with_the_later_copy(loop):
    assert store(loop, order("D-1", quantity=1), order("D-1", quantity=2)) == (2, 1)
    row = rows(loop)["D-1"]
    assert [ln.quantity for ln in row.lines] == [2], "the later copy wins"
    assert db.session.execute(sa.select(sa.func.count()).select_from(OrderLine)).scalar_one() == 1
    assert events(row.id) == ["fetched"]


def test_a_page_mixing_new_known_invalid_and_rejected_orders_keeps_each_once(loop):
    store(loop, order("K-1"))
    broken = order("B-1", currency="euro")
    stats = store(loop, order("K-1", status="shipped"), order("N-2"), broken, order("N-3", sku="MB-CANDLE"),
                  rejected=(RejectedOrder("R-1", {"id": "R-1"}, "cannot read the order"),))
    assert stats == (5, 4), "N-2, N-3, the held B-1 and the held R-1 are new; K-1 is known"
    found = rows(loop)
    assert sorted(found) == ["B-1", "K-1", "N-2", "N-3", "R-1"]
    assert found["K-1"].status == "shipped" and events(found["K-1"].id) == ["fetched", "marketplace_status"]
    assert found["B-1"].state == OrderState.HELD and found["B-1"].raw["currency"] == "euro"
    assert found["R-1"].state == OrderState.HELD and "cannot read the order" in found["R-1"].holds[0]["params"]["details"]
    assert (found["N-2"].state, found["N-3"].state) == (OrderState.NEW, OrderState.NEW)
    assert [ln.sku for ln in found["N-3"].lines] == ["MB-CANDLE"]
    problems = set(db.session.execute(sa.select(SyncProblem.subject).where(SyncProblem.code == "invalid_order_data"))
                   .scalars())
    assert problems == {"B-1", "R-1"}


def test_the_same_page_again_changes_nothing(loop):
    page = [order("S-1"), order("S-2", quantity=2)]
    store(loop, *page)
    before = {oid: (o.id, o.changed_at) for oid, o in rows(loop).items()}
    loop.clock.advance(minutes=5)
    assert store(loop, *copy.deepcopy(page)) == (2, 0)
    assert {oid: (o.id, o.changed_at) for oid, o in rows(loop).items()} == before
    assert db.session.execute(sa.select(sa.func.count()).select_from(OrderEvent)).scalar_one() == 2


def test_an_invalid_copy_after_a_valid_one_on_the_same_page_holds_the_order_once(loop):
    stats = store(loop, order("V-1"), order("V-1", currency="euro"))
    assert stats == (2, 1)
    [row] = rows(loop).values()
    assert row.state == OrderState.HELD and row.raw["currency"] == "euro"


def test_an_order_the_channel_also_rejects_on_the_same_page_is_held_once(loop):
    """A reject comes after the page's orders: the order is kept held with the raw data, never stored twice."""
    stats = store(loop, order("R-2"), rejected=(RejectedOrder("R-2", {"id": "R-2", "odd": True}, "unreadable"),))
    assert stats == (2, 1)
    [row] = rows(loop).values()
    assert row.state == OrderState.HELD and row.raw == {"raw": {"id": "R-2", "odd": True}}
