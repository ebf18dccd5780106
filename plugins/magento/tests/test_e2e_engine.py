"""End to end through the engine (example marketplace ↔ Magento emulator over HTTP), on SQLite and PostgreSQL:
an order created as charged (O1–O3), a status change (S1, S2), a shipment with carrier and lines (S3, S4),
stock read and pushed (P1)."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.models import CarrierRule, Listing, OutboxMessage, StatusMapping, db

POLL = 61  # seconds: past the shop's poll interval


def created(loop, emulator, **order):
    """Place a marketplace order, run the connection cycle, return (marketplace id, Magento order)."""
    oid = loop.marketplace.add_order(**order)
    assert loop.cycle().created == 1
    [row] = [o for o in loop.orders() if o.marketplace_order_id == oid]
    return oid, emulator.shop.order(int(row.shop_order_id))


def test_order_is_created_as_the_marketplace_charged_it(magento_loop, emulator):
    loop = magento_loop(initial_status="processing")
    oid, order = created(loop, emulator, skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])

    [row] = loop.orders()
    assert row.state == "created" and row.shop_order_number == order["increment_id"]
    assert order["ext_order_id"] == f"example_channel:{oid}"  # O1: the reference find_order searches
    # marketplace prices (14.90, 9.90, shipping 4.90), not the catalogue's flat rate of 5.00 per item
    assert order["grand_total"] == 44.60 and order["shipping_incl_tax"] == 4.90
    assert {i["sku"]: (i["qty_ordered"], i["price_incl_tax"]) for i in order["items"]} == {
        "MB-MUG-BLUE": (2, 14.90), "MB-CANDLE": (1, 9.90)}
    assert order["shipping_description"] == "Example Marketplace: Standard"  # O2 marker in the order grid
    assert any(f"Example Marketplace order {oid}" in h["comment"] for h in order["status_histories"])
    assert (order["state"], order["status"]) == ("processing", "processing")  # O3: the connection's status
    assert emulator.shop.salable("MB-MUG-BLUE") == 126 - 2, "the checkout reserved the stock"
    assert len(emulator.calls("PUT", "/order")) == 1

    loop.clock.advance(minutes=10)
    assert loop.cycle().created == 0, "a later cycle changes nothing"
    assert len(emulator.shop.orders) == 1


def test_status_change_in_magento_reaches_the_marketplace(magento_loop, emulator):
    loop = magento_loop()
    db.session.add(StatusMapping(connection_id=loop.connection.id, marketplace_status="cancelled",
                                 shop_status="canceled"))
    db.session.commit()
    oid, order = created(loop, emulator)
    loop.shop_cycle()  # first poll: the cursor starts now

    emulator.invoice_order(order["entity_id"])  # processing: not mapped, nothing sent
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    assert loop.marketplace.status_calls == []
    other_oid, other = created(loop, emulator)
    assert emulator.cancel_order(other["entity_id"])
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()  # the overlapping window sees the change again: still one call
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(other_oid, "cancelled")]
    kinds = db.session.execute(sa.text("select kind from order_events order by id")).scalars().all()
    assert "status_not_sent" in kinds and "status_sent" in kinds


def test_shipment_reaches_the_marketplace_with_carrier_code_and_lines(magento_loop, emulator):
    loop = magento_loop()
    db.session.add(CarrierRule(connection_id=loop.connection.id, position=0, pattern=r"1Z[0-9A-Z]{16}",
                               carrier_code="UPS"))
    db.session.commit()
    oid, order = created(loop, emulator, skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    loop.shop_cycle()

    emulator.ship_order(order["entity_id"], carrier_code="ups", title="United Parcel Service",
                        tracking_number="1Z999AA10123456784", items={"MB-MUG-BLUE": 2})
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    [sent] = loop.marketplace.shipments
    assert (sent["order_id"], sent["carrier"], sent["tracking"]) == (oid, "UPS", "1Z999AA10123456784")
    assert sent["lines"] == [{"item": f"{oid}-1", "qty": 2}]

    emulator.ship_order(order["entity_id"], carrier_code="dhl", title="DHL", tracking_number="00340434161234567890")
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    second = loop.marketplace.shipments[1]
    assert (second["carrier"], second["tracking"], second["lines"]) == (
        "DHL", "00340434161234567890", [{"item": f"{oid}-2", "qty": 1}]), "the rest, by the default carrier"
    assert [line.quantity_shipped for line in loop.orders()[0].lines] == [2, 1]
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 2


def listing(loop, emulator, sku: str) -> Listing:
    row = Listing(connection_id=loop.connection.id, sku=sku, product_id=str(emulator.shop.product(sku)["id"]),
                  store_code="")
    db.session.add(row)
    db.session.commit()
    return row


def test_stock_is_read_and_pushed_on_change_only(magento_loop, emulator):
    loop = magento_loop()
    listing(loop, emulator, "MB-MUG-BLUE")
    listing(loop, emulator, "MB-KETTLE")
    loop.shop_cycle()  # cursors start now

    emulator.set_stock("MB-KETTLE", 9)  # the merchant counts the warehouse
    emulator.set_stock("MB-MUG-BLUE", 4, source_code="paris-store")  # the pickup store sold two over the counter
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    assert loop.marketplace.stock == {"MB-KETTLE": 9, "MB-MUG-BLUE": 124}  # salable: 120 default + 4 store

    loop.clock.advance(seconds=POLL)
    oid, _ = created(loop, emulator, skus=[("MB-MUG-BLUE", 3)])  # a marketplace sale reserves salable stock
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    assert loop.marketplace.stock["MB-MUG-BLUE"] == 121
    calls = len(loop.marketplace.stock_calls)
    emulator.set_stock("MB-KETTLE", 9)  # saved again, same quantity
    loop.clock.advance(seconds=POLL)
    loop.shop_cycle()
    assert len(loop.marketplace.stock_calls) == calls, "unchanged quantities are never sent again"
