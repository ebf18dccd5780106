"""End to end through the engine, on SQLite and PostgreSQL: marketplace order → PrestaShop order (O1–O3),
status changes (S1, S2) and shipments (S3, S4) back to the marketplace, stock read and pushed (P1).

The marketplace is core's example marketplace, the shop this plugin's emulator over real HTTP; the
engine runs the same jobs the scheduler runs.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketbridge.engine import stock
from marketbridge.jobs import work
from marketbridge.models import CarrierRule, Listing, OutboxMessage, StatusMapping, db
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

pytestmark = pytest.mark.usefixtures("any_database_url")


def imported(loop, shop, **order):
    """Place a marketplace order, run a connection cycle; return its id and the PrestaShop order record."""
    oid = loop.marketplace.add_order(**order)
    loop.cycle()
    [row] = [o for o in loop.orders() if o.marketplace_order_id == oid]
    assert row.state == "created", row.last_error
    return oid, shop.store.get("orders", row.shop_order_id)


def test_order_is_created_as_the_marketplace_charged_it_with_marker_and_initial_status(loop, shop):
    oid, order = imported(loop, shop, skus=[("MB-MUG-BLUE", 2), ("MB-TEE-S", 1)])
    charged = loop.marketplace.orders[oid]
    assert len(shop.orders()) == 1
    assert order["payment"] == "Example Marketplace"  # O2: the Payment column of Orders > Orders
    assert order["current_state"] == "3" and shop.history(order["id"])[-1] == 3  # O3: the connection's status
    assert f"Marketbridge reference: example_channel:{oid}" in order["note"]
    total = sum(Decimal(line["price"]) * line["qty"] for line in charged["lines"]) + Decimal(charged["shipping"])
    assert Decimal(order["total_paid_tax_incl"]) == total  # the marketplace's total, never re-priced
    details = {d["product_reference"]: d for d in shop.store.where("order_details", id_order=order["id"])}
    for line in charged["lines"]:
        assert Decimal(details[line["sku"]]["unit_price_tax_incl"]) == Decimal(line["price"])
        assert int(details[line["sku"]]["product_quantity"]) == line["qty"]
    assert details["MB-TEE-S"]["product_attribute_id"] != "0", "a variant is ordered as its combination (C5)"
    [carrier] = shop.store.where("order_carriers", id_order=order["id"])
    assert Decimal(carrier["shipping_cost_tax_incl"]) == Decimal(charged["shipping"])
    [row] = loop.orders()
    assert (row.shop_order_id, row.shop_order_number) == (order["id"], order["reference"])


def test_a_status_change_in_the_shop_reaches_the_marketplace_once(loop, shop, clock):
    db.session.add(StatusMapping(connection_id=loop.connection.id, marketplace_status="cancelled", shop_status="6"))
    db.session.commit()
    oid, order = imported(loop, shop)
    shop.change_order_state(order["id"], 5)  # "Delivered": not mapped, nothing sent
    shop.change_order_state(order["id"], 6)  # "Canceled"
    loop.shop_cycle()
    clock.advance(minutes=2)
    loop.shop_cycle()  # the overlapping window reads the same histories again
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(oid, "cancelled")]


def test_a_shipment_reaches_the_marketplace_with_carrier_code_tracking_and_lines(loop, shop):
    db.session.add(CarrierRule(connection_id=loop.connection.id, position=0, shop_carrier="UPS Standard",
                               carrier_code="UPS"))
    db.session.commit()
    oid, order = imported(loop, shop, skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    shop.ship_order(order["id"], "1Z999AA10123456784", carrier_reference=4)  # UPS Standard, then "Shipped"
    loop.shop_cycle()
    [sent] = loop.marketplace.shipments
    assert (sent["order_id"], sent["carrier"], sent["tracking"]) == (oid, "UPS", "1Z999AA10123456784")
    assert sent["lines"] == [{"item": f"{oid}-1", "qty": 2}, {"item": f"{oid}-2", "qty": 1}]
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalar_one()
    assert message.state == "delivered" and message.payload["shop_carrier"] == "UPS Standard"


def test_stock_is_read_per_product_and_combination_and_pushed(loop, shop, clock):
    """P1: a full read of the listed products (read_stock), then only the products whose stock moved."""
    keys = shop.product_keys
    for sku in ("MB-MUG-BLUE", "MB-TEE-S", "MB-TEE-M"):
        db.session.add(Listing(connection_id=loop.connection.id, sku=sku, product_id=keys[sku], store_code=""))
    db.session.commit()
    adapter = loop.host.shop_adapter(loop.connection.shop)
    levels = adapter.read_stock([keys["MB-MUG-BLUE"], keys["MB-TEE-S"], keys["MB-TEE-M"]])
    stock.apply_levels(loop.host, loop.connection.shop, levels)  # what a full stock sync does
    db.session.commit()
    work.deliver(loop.host, loop.connection.id)
    expected = {p.sku: p.stock for p in DEMO_PRODUCTS if p.sku in ("MB-MUG-BLUE", "MB-TEE-S", "MB-TEE-M")}
    assert loop.marketplace.stock == expected

    shop.set_stock("MB-MUG-BLUE", 7)  # Catalog > Stocks
    loop.shop_cycle()
    assert loop.marketplace.stock_calls[-1] == [{"sku": "MB-MUG-BLUE", "quantity": 7}]
    clock.advance(minutes=2)
    imported(loop, shop, skus=[("MB-TEE-S", 2)])  # a sale moves the combination's stock
    clock.advance(minutes=2)
    loop.shop_cycle()
    assert loop.marketplace.stock["MB-TEE-S"] == expected["MB-TEE-S"] - 2
    assert loop.marketplace.stock_calls[-1] == [{"sku": "MB-TEE-S", "quantity": expected["MB-TEE-S"] - 2}], \
        "only what changed is sent"
