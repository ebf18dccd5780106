"""End to end on SQLite and PostgreSQL: the example marketplace → the engine → the shop API → back (C10).

The shop pulls the published order, acknowledges it, pushes a status and a
shipment (twice); the marketplace gets the shipment exactly once. Stock and
prices pushed by the shop reach the marketplace (P1, P2).
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketbridge.engine.stock import DEFAULT_POLL_SECONDS
from marketbridge.models import Listing, Order, OrderEvent, StatusMapping, db


def test_order_flows_to_the_shop_and_its_shipment_back_once(api_loop, any_database_url):
    run = api_loop(initial_status="new")
    run.set_up_shop()

    marketplace_id, pulled = run.import_order([("MB-MUG-BLUE", 2), ("MB-TEE-M", 1)])

    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert (row.state, row.shop_order_id) == ("created", pulled["id"])
    assert pulled["external_ref"] == f"example_channel:{marketplace_id}"
    assert pulled["lines"] == [
        {"line_id": f"{marketplace_id}-1", "product_id": "p-mug-blue", "sku": "MB-MUG-BLUE", "quantity": 2},
        {"line_id": f"{marketplace_id}-2", "product_id": "p-tee-m", "sku": "MB-TEE-M", "quantity": 1}]
    assert pulled["marker"] == {"marketplace": "example_channel", "label": "Example Marketplace",
                                "pickup": False, "test": False}
    assert (pulled["initial_status"], pulled["test"], pulled["acknowledged"]) == ("new", False, None)
    charged = run.marketplace.orders[marketplace_id]
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in pulled["order"]["lines"]] == [
        (line["sku"], line["qty"], {"amount": line["price"], "currency": "EUR"}) for line in charged["lines"]]
    assert pulled["order"]["total"] == row.payload["total"]
    assert Decimal(pulled["order"]["shipping"]["price"]["amount"]) == Decimal("4.90")

    ack = {"number": "10001", "shop_order_id": "abc-1"}
    first = run.shop.post(f"/orders/{pulled['id']}/acknowledge", ack)
    again = run.shop.post(f"/orders/{pulled['id']}/acknowledge", ack)
    assert first.status_int == again.status_int == 200 and first.json == again.json
    assert first.json["acknowledged"]["number"] == "10001"
    assert run.shop.post(f"/orders/{pulled['id']}/acknowledge", {"number": "10002"}).status_int == 409

    assert run.shop.post(f"/orders/{pulled['id']}/status", {"status": "processing"}).json["status"] == "processing"
    shipment = {"shipment_id": "S-1", "tracking_number": "00340434161094042557", "carrier": "DHL", "service": None,
                "shipped_at": "2026-11-02T10:00:00Z", "lines": [{"line_id": f"{marketplace_id}-1", "quantity": 2},
                                                                 {"line_id": f"{marketplace_id}-2", "quantity": 1}]}
    sent = run.shop.post(f"/orders/{pulled['id']}/shipments", shipment)
    run.loop.shop_cycle()
    repeated = run.shop.post(f"/orders/{pulled['id']}/shipments", shipment)
    run.loop.shop_cycle()
    run.loop.shop_cycle()

    assert sent.status_int == repeated.status_int == 200 and sent.json == repeated.json
    assert sent.json["lines"] == shipment["lines"]
    [delivered] = run.marketplace.shipments
    assert (delivered["order_id"], delivered["carrier"], delivered["tracking"]) == (
        marketplace_id, "DHL", "00340434161094042557")
    assert delivered["lines"] == [{"item": f"{marketplace_id}-1", "qty": 2}, {"item": f"{marketplace_id}-2", "qty": 1}]
    assert run.marketplace.status_calls == [], "processing is not mapped to a marketplace status"
    db.session.expire_all()
    row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    assert {line.line_id: line.quantity_shipped for line in row.lines} == {
        f"{marketplace_id}-1": 2, f"{marketplace_id}-2": 1}
    assert run.loop.cycle() is not None and len(run.shop.get("/orders").json["orders"]) == 1, "published once"


def test_status_pushed_by_the_shop_reaches_the_marketplace(api_loop, any_database_url):
    run = api_loop()
    db.session.add(StatusMapping(connection_id=run.connection.id, marketplace_status="cancelled",
                                 shop_status="cancelled"))
    db.session.commit()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-CANDLE", 1)])

    run.shop.post(f"/orders/{pulled['id']}/status", {"status": "cancelled"})
    run.shop.post(f"/orders/{pulled['id']}/status", {"status": "cancelled"})  # the same again: no second event
    run.loop.shop_cycle()
    run.loop.shop_cycle()

    assert [(c["order_id"], c["status"]) for c in run.marketplace.status_calls] == [(marketplace_id, "cancelled")]
    assert "status_sent" in db.session.execute(sa.select(OrderEvent.kind)).scalars().all()


def test_stock_and_prices_pushed_by_the_shop_reach_the_marketplace(api_loop, any_database_url):
    run = api_loop()
    run.connection.settings = {"price_sync": True}
    for sku, product_id in (("MB-MUG-BLUE", "p-mug-blue"), ("MB-TEE-M", "p-tee-m"), ("MB-CANDLE", "p-candle")):
        db.session.add(Listing(connection_id=run.connection.id, sku=sku, product_id=product_id, store_code=""))
    db.session.commit()
    run.set_up_shop()
    run.loop.shop_cycle()  # first poll: starts the stock cursor "now" and reads the listed products

    answer = run.shop.put("/stock", [{"product_id": "p-mug-blue", "quantity": 3, "price": "19.90", "currency": "EUR"},
                                     {"product_id": "p-tee-m", "quantity": 0}])
    assert answer.json == {"received": 2, "changed": 2}
    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()

    assert run.marketplace.stock["MB-MUG-BLUE"] == 3
    assert run.marketplace.prices["MB-MUG-BLUE"] == {"amount": "19.90", "currency": "EUR"}
    assert run.marketplace.stock["MB-TEE-M"] == 0
    assert run.marketplace.prices["MB-TEE-M"] == {"amount": "24.00", "currency": "EUR"}, "price kept when left out"
    calls = len(run.marketplace.stock_calls)
    assert run.shop.put("/stock", [{"product_id": "p-mug-blue", "quantity": 3}]).json["changed"] == 0
    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()
    assert len(run.marketplace.stock_calls) == calls, "nothing changed: nothing sent"
