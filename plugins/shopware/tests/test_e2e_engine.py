"""End to end through the engine, on SQLite and PostgreSQL: a marketplace order into the emulated
Shopware shop exactly as charged (O1–O3), and the merchant's status changes, shipments and stock
back to the marketplace (S1–S4, P1) by polling."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketbridge.models import CarrierRule, Order, StatusMapping, db

from marketbridge_shopware.ids import derived_id

from sw_engine import ShopwareRun


def stored(run: ShopwareRun, order_id: str) -> dict:
    record = run.shop.store.get("order", order_id)
    assert record is not None
    return run.shop.serialize("order", record, {"lineItems": {}, "deliveries": {}, "transactions": {}, "tags": {},
                                                "stateMachineState": {}})


def state_of(run: ShopwareRun, state_id: str) -> str:
    return run.shop.store.get("state_machine_state", state_id)["technicalName"]


def prime(run: ShopwareRun) -> None:
    """The first poll of a shop starts its cursors at "now" (nothing before it is reported)."""
    run.loop.shop_cycle()


def poll_later(run: ShopwareRun) -> None:
    run.clock.advance(seconds=61)  # a shop without the app is polled every 60 s
    run.loop.shop_cycle()


def test_marketplace_order_is_created_once_exactly_as_charged(any_database_url: str, sw_loop) -> None:
    run: ShopwareRun = sw_loop(initial_status="order.in_progress")
    oid = run.marketplace.add_order(skus=[("MB-MUG-BLUE", 2), ("MB-TEE-S", 1)])
    assert run.loop.cycle().created == 1

    [row] = run.loop.orders()
    reference = f"example_channel:{oid}"
    assert row.state == "created" and row.shop_order_id == derived_id(reference)
    order = stored(run, row.shop_order_id)
    assert row.shop_order_number == order["orderNumber"] == oid
    assert order["customFields"]["marketbridge_external_ref"] == reference
    assert order["customFields"]["marketbridge_marker"] == "Example Marketplace"  # O2
    assert [t["name"] for t in order["tags"]] == ["Example Marketplace"]
    assert state_of(run, order["stateId"]) == "in_progress"  # O3: the connection's initial status
    lines = {li["payload"]["productNumber"]: li for li in order["lineItems"] if li["type"] == "product"}
    charged = {sku: (li["quantity"], li["price"]["unitPrice"], li["price"]["totalPrice"]) for sku, li in lines.items()}
    assert charged == {"MB-MUG-BLUE": (2, 14.9, 29.8), "MB-TEE-S": (1, 24.0, 24.0)}
    assert order["shippingCosts"]["totalPrice"] == 4.9
    assert order["amountTotal"] == order["price"]["totalPrice"] == pytest.approx(58.7)
    assert run.shop.product_by_number("MB-MUG-BLUE")["stock"] == 118  # the shop moved its stock

    run.clock.advance(minutes=5)
    assert run.loop.cycle().created == 0
    assert len(run.creates()) == 1 and len(run.shop_orders()) == 1


def test_statuses_and_shipments_made_in_the_shop_reach_the_marketplace_once(any_database_url: str,
                                                                           sw_loop) -> None:
    """One shop, three orders: a cancellation (mapped status), a shipment with a carrier rule, and a
    shipment whose tracking code the merchant types a minute after setting "shipped"."""
    run: ShopwareRun = sw_loop()
    connection_id = run.loop.connection.id
    db.session.add_all([
        StatusMapping(connection_id=connection_id, marketplace_status="cancelled", shop_status="order.cancelled"),
        CarrierRule(connection_id=connection_id, position=0, shop_carrier="UPS Standard", carrier_code="UPS")])
    db.session.commit()
    cancelled_oid, cancelled = run.imported()
    shipped_oid, shipped = run.imported(skus=[("MB-MUG-RED", 2), ("MB-KETTLE", 1)])
    late_oid, late = run.imported()
    prime(run)

    run.shop.change_order_status(cancelled, "process")  # order.in_progress: not mapped, nothing sent
    run.shop.change_order_status(cancelled, "cancel")
    run.shop.ship(shipped, "1Z999AA10123456784", carrier="UPS Standard")
    run.shop.ship(late, carrier="DHL")  # no tracking code yet: not reported, nothing held
    poll_later(run)
    assert [(c["order_id"], c["status"]) for c in run.marketplace.status_calls] == [(cancelled_oid, "cancelled")]
    [sent] = run.marketplace.shipments
    assert (sent["order_id"], sent["carrier"], sent["tracking"]) == (shipped_oid, "UPS", "1Z999AA10123456784")
    assert sent["lines"] == [{"item": f"{shipped_oid}-1", "qty": 2}, {"item": f"{shipped_oid}-2", "qty": 1}]
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=shipped_oid)).scalar_one()
    assert {line.line_id: line.quantity_shipped for line in row.lines} == {f"{shipped_oid}-1": 2, f"{shipped_oid}-2": 1}
    kinds = db.session.execute(sa.text("select kind from order_events order by id")).scalars().all()
    assert "status_not_sent" in kinds and "status_sent" in kinds

    run.shop.add_tracking(late, "00340434161094042557")
    poll_later(run)  # the overlapping window also reads the earlier history rows again
    assert [(s["order_id"], s["tracking"], s["carrier"]) for s in run.marketplace.shipments] == [
        (shipped_oid, "1Z999AA10123456784", "UPS"), (late_oid, "00340434161094042557", "DHL")]
    assert len(run.marketplace.status_calls) == 1
    assert [m.state for m in run.outbox()] == ["delivered"] * 3


def test_stock_is_read_and_pushed_to_the_listings(any_database_url: str, sw_loop) -> None:
    run: ShopwareRun = sw_loop()
    run.listing("MB-MUG-BLUE")
    run.listing("MB-KETTLE")
    run.listing("MB-TEE-M")  # a variant
    prime(run)
    run.imported(skus=[("MB-MUG-BLUE", 3)])  # the order lowers the shop's stock: 120 → 117
    run.shop.set_stock("MB-KETTLE", 7)  # the merchant counts the shelf
    run.shop.set_stock("MB-TEE-M", 0)
    poll_later(run)
    assert run.marketplace.stock == {"MB-MUG-BLUE": 117, "MB-KETTLE": 7, "MB-TEE-M": 0}
    calls = len(run.marketplace.stock_calls)
    poll_later(run)  # nothing changed: nothing sent again
    assert len(run.marketplace.stock_calls) == calls
