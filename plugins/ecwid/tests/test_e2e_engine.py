"""End to end through the engine, on SQLite and PostgreSQL: the example marketplace ↔ the emulated Ecwid store.

An order is created in Ecwid exactly as the marketplace charged it (O1–O3),
a status change and a shipment made in the Ecwid admin reach the
marketplace (S1–S4), and stock read from Ecwid is pushed (P1).
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketbridge.models import Listing, Order, OrderEvent, StatusMapping, db


def test_order_is_created_in_ecwid_as_the_marketplace_charged_it(ecwid_loop, any_database_url):
    ecwid = ecwid_loop(initial_status="PROCESSING")
    stock_before = ecwid.store.stock_of("MB-TEE-M")

    marketplace_id, ecwid_id = ecwid.import_order(skus=[("MB-MUG-BLUE", 2), ("MB-TEE-M", 1)])

    order = ecwid.ecwid_order(marketplace_id)
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert (row.state, row.shop_order_id) == ("created", ecwid_id)
    assert order["externalTransactionId"] == f"example_channel:{marketplace_id}"
    assert order["refererId"] == "marketbridge"
    assert order["paymentMethod"] == "Example Marketplace", "the marker in Ecwid's order list (O2)"
    assert {f["id"]: f["value"] for f in order["orderExtraFields"]}["marketbridge_order"] == marketplace_id
    assert (order["paymentStatus"], order["fulfillmentStatus"]) == ("PAID", "PROCESSING"), "initial status (O3)"
    charged = ecwid.marketplace.orders[marketplace_id]
    assert [(i["sku"], i["quantity"], Decimal(str(i["price"]))) for i in order["items"]] == [
        (line["sku"], line["qty"], Decimal(line["price"])) for line in charged["lines"]]
    # The total exactly as the marketplace gave it (the example channel sums floats: 58.699999999999996).
    assert Decimal(str(order["total"])) == Decimal(row.payload["total"]["amount"])
    assert Decimal(str(order["subtotal"])) == Decimal("14.90") * 2 + Decimal("24.00")
    assert Decimal(str(order["shippingOption"]["shippingRate"])) == Decimal(charged["shipping"])
    tee = ecwid.store.find_sku("MB-TEE-M")
    assert order["items"][1]["productId"] == tee[0].id and order["items"][1]["combinationId"] == tee[1].id
    assert ecwid.store.stock_of("MB-TEE-M") == stock_before - 1, "Ecwid moved the stock once, with the order"
    assert ecwid.creates() == 1


def test_status_change_in_ecwid_reaches_the_marketplace(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    db.session.add(StatusMapping(connection_id=ecwid.connection.id, marketplace_status="cancelled",
                                 shop_status="CANCELLED"))
    db.session.commit()
    marketplace_id, ecwid_id = ecwid.import_order()

    ecwid.store.set_order_status(ecwid_id, fulfillment_status="PROCESSING")  # not mapped: nothing sent
    ecwid.store.set_order_status(ecwid_id, payment_status="CANCELLED")
    ecwid.poll()
    ecwid.poll()  # the overlapping window sees the same change again: still one call

    assert [(c["order_id"], c["status"]) for c in ecwid.marketplace.status_calls] == [(marketplace_id, "cancelled")]
    kinds = db.session.execute(sa.select(OrderEvent.kind)).scalars().all()
    assert "status_not_sent" in kinds and "status_sent" in kinds


def test_shipment_in_ecwid_reaches_the_marketplace_with_carrier_and_lines(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    marketplace_id, ecwid_id = ecwid.import_order(skus=[("MB-MUG-RED", 2), ("MB-CANDLE", 1)])

    ecwid.store.ship_order(ecwid_id, "00340434116100000014", carrier="DHL")
    ecwid.poll()
    ecwid.poll()

    [sent] = ecwid.marketplace.shipments
    assert (sent["order_id"], sent["carrier"], sent["tracking"]) == (marketplace_id, "DHL", "00340434116100000014")
    assert sent["lines"] == [{"item": f"{marketplace_id}-1", "qty": 2}, {"item": f"{marketplace_id}-2", "qty": 1}]
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert {line.line_id: line.quantity_shipped for line in row.lines} == {
        f"{marketplace_id}-1": 2, f"{marketplace_id}-2": 1}


def test_stock_is_read_from_ecwid_and_pushed(ecwid_loop, any_database_url):
    ecwid = ecwid_loop()
    for sku in ("MB-MUG-BLUE", "MB-TEE-L", "MB-CANDLE"):
        db.session.add(Listing(connection_id=ecwid.connection.id, sku=sku, product_id=ecwid.store.marketbridge_id(sku),
                               store_code=""))
    db.session.commit()

    ecwid.store.set_stock("MB-TEE-L", 9)  # the merchant counts a variation
    ecwid.store.set_stock("MB-CANDLE", None)  # and makes candles unlimited
    ecwid.import_order(skus=[("MB-MUG-BLUE", 3)])  # Ecwid takes the sold units off itself
    ecwid.poll()

    assert ecwid.marketplace.stock == {"MB-MUG-BLUE": 117, "MB-TEE-L": 9, "MB-CANDLE": 100}
    calls = len(ecwid.marketplace.stock_calls)
    ecwid.poll()  # nothing changed: nothing re-sent
    assert len(ecwid.marketplace.stock_calls) == calls
