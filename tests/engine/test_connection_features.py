"""Connection features of issue 8 in the engine: test orders (C6), reservations and stock rules (P1),
stores (K1, K2, K6), manual statuses (S5), Prime shipments (O6), reprocessing rules (O7)."""
from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from marketbridge.engine import actions, outbox, reprocess, stock, stores
from marketbridge.engine.testorders import TestOrderError, create_test_order
from marketbridge.jobs import work
from marketbridge.models import (
    AutomationRule,
    Listing,
    Order,
    OutboxMessage,
    StatusMapping,
    Store,
    StoreStock,
    SyncProblem,
    db,
)


def order_row(oid):
    return db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()


# -- C6 test orders ----------------------------------------------------------------------------------------------

def test_test_order_goes_through_the_real_import_path_and_is_marked(loop):
    inactive = loop.wire(active=False, marketplace="A13V1IB3VIYZZH", shop=loop.connection.shop)
    order = create_test_order(loop.host, inactive, "MB-KETTLE", "FR", random.Random(7))
    assert order.is_test and order.marketplace_order_id.startswith("TEST-")
    work.connection_cycle(loop.host, inactive.id)  # inactive connections import test orders only
    [created] = loop.shop.orders.values()
    assert created["test"] is True and "Test order" in created["tags"]
    assert 1 <= created["lines"][0]["quantity"] <= 4
    payload = db.session.get(Order, order.id).payload
    assert payload["shipping_address"]["country_code"] == "FR" and payload["buyer"]["name"]
    assert payload["buyer"].get("email") is None


def test_test_order_refused_for_low_stock_or_unknown_product(loop):
    with pytest.raises(TestOrderError, match="at least 4"):
        create_test_order(loop.host, loop.connection, "MB-TEE-L", "DE")  # 3 in stock
    with pytest.raises(TestOrderError, match="No shop product"):
        create_test_order(loop.host, loop.connection, "NOPE", "DE")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one() == 0


# -- P1 reservations and stock rules -----------------------------------------------------------------------------

def listing(connection_id, sku, product_id, store_code=""):
    row = Listing(connection_id=connection_id, sku=sku, product_id=product_id, store_code=store_code)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_sale_lowers_the_quantity_on_other_marketplaces_before_the_shop_reports_it(loop):
    other = loop.wire(marketplace="A13V1IB3VIYZZH", shop=loop.connection.shop)
    product = loop.shop.product_by_sku("MB-KETTLE")  # 15 in stock
    listing(loop.connection_id, "MB-KETTLE", product["id"])
    listing(other.id, "MB-KETTLE", product["id"])
    loop.connection.require_weights = True
    db.session.commit()
    loop.shop.products[product["id"]]["weight"] = None  # the order will be held: the shop never sees the sale
    loop.marketplace.add_order(skus=[("MB-KETTLE", 4)])
    work.connection_cycle(loop.host, loop.connection_id)
    outbox.deliver(loop.host, other.id)
    # the other marketplace offers 15 - 4; the selling marketplace already took its own sale into account
    assert loop.marketplace.stock_calls[-1] == [{"sku": "MB-KETTLE", "quantity": 11}]
    pending = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.connection_id == loop.connection_id,
                                                                OutboxMessage.kind == "stock")).scalars().all()
    assert [m.payload["quantity"] for m in pending] == [15]


def test_stock_percentage_rule(loop):
    loop.connection.settings = {"stock_percent": 50}
    db.session.commit()
    listing(loop.connection_id, "MB-MUG-BLUE", loop.shop.product_by_sku("MB-MUG-BLUE")["id"])
    loop.shop.set_stock("MB-MUG-BLUE", 9)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert loop.marketplace.stock == {"MB-MUG-BLUE": 4}


def test_store_with_its_own_stock_figure_offers_that_figure(loop):
    """K2: a store keeping its own stock figure offers it, not the shop's total."""
    store = Store(connection_id=loop.connection_id, code="berlin", name="Berlin", stock_mode="own")
    db.session.add(store)
    db.session.flush()
    db.session.add(StoreStock(store_id=store.id, sku="MB-MUG-RED", quantity=2))
    db.session.commit()
    product = loop.shop.product_by_sku("MB-MUG-RED")
    listing(loop.connection_id, "MB-MUG-RED", product["id"], store_code="berlin")
    loop.shop.set_stock("MB-MUG-RED", 70)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="stock")).scalar_one()
    assert message.payload == {"sku": "MB-MUG-RED", "quantity": 2, "store_code": "berlin"}


# -- K1 stores and K6 pickup deadlines ---------------------------------------------------------------------------

def test_store_changes_reach_the_marketplace_and_refusals_are_shown(loop):
    store = Store(connection_id=loop.connection_id, code="berlin", name="Berlin Mitte", hold_days=5,
                  address={"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117",
                           "country_code": "DE"})
    db.session.add(store)
    db.session.commit()
    stores.queue_store(store, loop.clock.now())
    store.name = "Berlin Mitte (renamed)"
    stores.queue_store(store, loop.clock.now())  # replaces the pending message
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 1
    outbox.deliver(loop.host, loop.connection_id)  # the example marketplace has no pickup stores
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="store_rejected")).scalar_one()
    assert problem.params["store"] == "berlin" and "no pickup stores" in problem.params["error"]


def test_pickup_not_collected_in_time_is_flagged_until_picked_up(loop):
    db.session.add(Store(connection_id=loop.connection_id, code="berlin", name="Berlin", hold_days=5))
    db.session.add(StatusMapping(connection_id=loop.connection_id, marketplace_status="ready_for_pickup",
                                 shop_status="ready"))
    db.session.commit()
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    order = order_row(oid)
    order.pickup = True
    order.payload = {**order.payload, "pickup_store_code": "berlin", "flags": {**order.payload["flags"], "pickup": True}}
    db.session.commit()
    loop.shop.set_status(order.shop_order_id, "ready")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    loop.clock.advance(days=4)
    assert stores.flag_overdue_pickups(loop.host) == 0
    loop.clock.advance(days=2)
    assert stores.flag_overdue_pickups(loop.host) == 1
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="pickup_overdue")).scalar_one()
    assert problem.params["days"] == 5
    actions.send_status(loop.host, order_row(oid), "picked_up")
    outbox.deliver(loop.host, loop.connection_id)
    db.session.refresh(problem)
    assert problem.resolved_at is not None


# -- S5 manual statuses -------------------------------------------------------------------------------------------

def test_cancellation_from_the_order_view_is_sent_once(loop):
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    assert actions.send_status(loop.host, order_row(oid), "cancelled", reason="out of stock")
    assert not actions.send_status(loop.host, order_row(oid), "cancelled")
    outbox.deliver(loop.host, loop.connection_id)
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(oid, "cancelled")]
    with pytest.raises(actions.ActionRefused, match="sent with a shipment"):
        actions.send_status(loop.host, order_row(oid), "shipped")
    with pytest.raises(actions.ActionRefused, match="does not accept"):
        actions.send_status(loop.host, order_row(oid), "refunded")


# -- O6 Prime shipments --------------------------------------------------------------------------------------------

def test_a_prime_order_is_never_confirmed_in_parts(loop):
    oid = loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 1), ("MB-CANDLE", 1)], prime=True)
    work.connection_cycle(loop.host, loop.connection_id)
    shop_order = order_row(oid).shop_order_id
    loop.shop.ship(shop_order, "00340434161234567890", lines=[{"sku": "MB-MUG-BLUE", "quantity": 1}])
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert loop.marketplace.shipments == []
    assert db.session.execute(sa.select(SyncProblem.code).filter_by(order_id=order_row(oid).id)).scalar_one() == \
        "prime_split"


# -- O7 reprocessing rules -----------------------------------------------------------------------------------------

def test_reprocess_rules_previews_then_applies(loop):
    oid = loop.marketplace.add_order(skus=[("MB-KETTLE", 2)])
    work.connection_cycle(loop.host, loop.connection_id)
    db.session.add(AutomationRule(name="kettles", match="all", position=0, active=True,
                                  criteria=[{"field": "sku", "op": "equals", "value": "MB-KETTLE"}],
                                  actions=[{"type": "add_tag", "value": "Fragile"},
                                           {"type": "set_status", "value": "processing"}]))
    db.session.commit()
    [change] = reprocess.preview(loop.host, loop.connection_id)
    assert (change.marketplace_order_id, change.add_tags, change.status) == (oid, ["Fragile"], "processing")
    assert "Fragile" not in order_row(oid).tags and loop.shop.orders[order_row(oid).shop_order_id]["status"] == "open"
    reprocess.apply(loop.host, loop.connection_id)
    assert "Fragile" in order_row(oid).tags
    assert loop.shop.orders[order_row(oid).shop_order_id]["status"] == "processing"
    assert reprocess.preview(loop.host, loop.connection_id) == []
