"""Immediate delivery (S2) and the shop's order number on Marketbridge's own order row.

A status change, shipment, stock or price pushed through the API reaches the
example marketplace during the push, with no shop poll; the poll that follows
reads the same events (same ids) and sends nothing a second time. An engine
failure after the push is stored still answers 200, and the poll delivers.
"""
from __future__ import annotations

import sqlalchemy as sa

import marketbridge.engine.shop_changes as shop_changes
from marketbridge.engine.shop_changes import poll_shop_changes
from marketbridge.engine.stock import DEFAULT_POLL_SECONDS
from marketbridge.models import Listing, Order, OrderEvent, OutboxMessage, Shop, StatusMapping, db

import marketbridge_http_api.delivery as delivery


def _shipment(marketplace_id: str, shipment_id: str = "S-1") -> dict:
    return {"shipment_id": shipment_id, "tracking_number": "00340434161094042557", "carrier": "DHL",
            "shipped_at": "2026-11-02T10:00:00Z", "lines": [{"line_id": f"{marketplace_id}-1", "quantity": 1}]}


def _kinds(marketplace_id: str) -> list[str]:
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=marketplace_id)).scalar_one()
    return list(db.session.execute(sa.select(OrderEvent.kind).where(OrderEvent.order_id == order.id)
                                   .order_by(OrderEvent.id)).scalars())


def test_a_pushed_shipment_reaches_the_marketplace_without_a_poll_and_only_once(api_loop, any_database_url,
                                                                                monkeypatch):
    run = api_loop()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-MUG-BLUE", 1)])
    ingested: list = []
    real_ingest = delivery.ingest_shop_events

    def spy(host, shop_id, events):
        events = list(events)
        ingested.extend(events)
        return real_ingest(host, shop_id, events)

    monkeypatch.setattr(delivery, "ingest_shop_events", spy)

    answer = run.shop.post(f"/orders/{pulled['id']}/shipments", _shipment(marketplace_id))

    assert answer.status_int == 200
    [delivered] = run.marketplace.shipments  # no shop_cycle ran
    assert (delivered["order_id"], delivered["tracking"]) == (marketplace_id, "00340434161094042557")
    # the poll sees the very same event (same id) and sends nothing more
    shop = db.session.get(Shop, run.shop.shop_id)
    polled = run.loop.host.shop_adapter(shop).changes_since(None).events
    assert [e.event_id for e in polled] == [e.event_id for e in ingested] == [
        f"http_api-shipment-{pulled['id']}-S-1"]
    assert poll_shop_changes(run.loop.host, shop.id, force=True).queued == 0
    run.loop.shop_cycle()
    assert run.shop.post(f"/orders/{pulled['id']}/shipments", _shipment(marketplace_id)).status_int == 200
    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()
    assert len(run.marketplace.shipments) == 1
    assert len(ingested) == 1, "a repeated shipment_id hands nothing new to the engine"
    assert _kinds(marketplace_id).count("shipment_queued") == 1


def test_a_pushed_status_reaches_the_marketplace_without_a_poll(api_loop, any_database_url):
    run = api_loop()
    db.session.add(StatusMapping(connection_id=run.connection.id, marketplace_status="cancelled",
                                 shop_status="cancelled"))
    db.session.commit()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-CANDLE", 1)])

    assert run.shop.post(f"/orders/{pulled['id']}/status", {"status": "cancelled"}).status_int == 200

    assert [(c["order_id"], c["status"]) for c in run.marketplace.status_calls] == [(marketplace_id, "cancelled")]
    run.loop.shop_cycle()
    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()
    assert len(run.marketplace.status_calls) == 1


def test_when_the_engine_fails_the_push_is_still_accepted_and_the_poll_delivers(api_loop, any_database_url,
                                                                               monkeypatch):
    run = api_loop()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-MUG-BLUE", 1)])

    def broken(*args, **kwargs):
        raise RuntimeError("engine down")

    logged: list[str] = []
    monkeypatch.setattr(shop_changes, "record_events", broken)
    monkeypatch.setattr(delivery.log, "exception", lambda message, *args: logged.append(message % args))
    answer = run.shop.post(f"/orders/{pulled['id']}/shipments", _shipment(marketplace_id))
    monkeypatch.undo()

    assert answer.status_int == 200 and answer.json["shipment_id"] == "S-1"
    assert run.marketplace.shipments == []
    assert logged == [f"shop {run.shop.shop_id}: pushed changes not handed to the engine at once (the poll will)"]
    run.loop.shop_cycle()  # the safety net
    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()
    assert len(run.marketplace.shipments) == 1


def test_when_delivery_cannot_be_triggered_the_message_waits_for_the_scheduler(api_loop, monkeypatch):
    run = api_loop()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-MUG-BLUE", 1)])

    def broken(connection_id):
        raise RuntimeError("queue down")

    monkeypatch.setattr(delivery, "enqueue_delivery", broken)
    assert run.shop.post(f"/orders/{pulled['id']}/shipments", _shipment(marketplace_id)).status_int == 200
    monkeypatch.undo()

    assert run.marketplace.shipments == []
    [message] = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalars().all()
    assert message.state == "pending", "ingested at once; only the delivery trigger failed"
    run.loop.shop_cycle()
    assert len(run.marketplace.shipments) == 1


def test_pushed_stock_and_prices_reach_the_marketplace_without_a_poll(api_loop, any_database_url):
    run = api_loop()
    run.connection.settings = {"price_sync": True}
    for sku, product_id in (("MB-MUG-BLUE", "p-mug-blue"), ("MB-TEE-M", "p-tee-m")):
        db.session.add(Listing(connection_id=run.connection.id, sku=sku, product_id=product_id, store_code=""))
    db.session.commit()
    run.set_up_shop()
    run.loop.shop_cycle()  # first poll: the listed products get their first quantity
    calls = len(run.marketplace.stock_calls)

    assert run.shop.put("/stock", [{"product_id": "p-mug-blue", "quantity": 3, "price": "19.90",
                                    "currency": "EUR"}]).json["changed"] == 1
    assert run.marketplace.stock["MB-MUG-BLUE"] == 3
    assert run.marketplace.prices["MB-MUG-BLUE"] == {"amount": "19.90", "currency": "EUR"}
    assert len(run.marketplace.stock_calls) == calls + 1

    product = {"product_id": "p-tee-m", "name": "T-shirt M", "sku": "MB-TEE-M", "parent_id": "p-tee",
               "quantity": 2, "price": "24.00", "currency": "EUR"}
    assert run.shop.put("/products", [product]).json == {"created": 0, "updated": 1}
    assert run.marketplace.stock["MB-TEE-M"] == 2
    assert len(run.marketplace.stock_calls) == calls + 2

    run.loop.clock.advance(seconds=DEFAULT_POLL_SECONDS + 1)
    run.loop.shop_cycle()  # the stock poll reads both products again: nothing new to send
    assert len(run.marketplace.stock_calls) == calls + 2
    assert run.shop.put("/products", [{**product, "name": "T-shirt M (new name)"}]).status_int == 200
    assert len(run.marketplace.stock_calls) == calls + 2, "a name alone sends no stock"


def test_acknowledging_gives_the_core_order_the_shops_number(api_loop, any_database_url):
    run = api_loop()
    run.set_up_shop()
    marketplace_id, pulled = run.import_order([("MB-MUG-BLUE", 1)])
    run.loop.clock.advance(seconds=600)  # the next marketplace poll is due
    other_id, other = run.import_order([("MB-CANDLE", 1)])

    def number(mid: str) -> str | None:
        db.session.expire_all()
        return db.session.execute(sa.select(Order.shop_order_number)
                                  .filter_by(marketplace_order_id=mid)).scalar_one()

    assert number(marketplace_id) is None
    ack = {"number": "10001", "shop_order_id": "abc-1"}
    assert run.shop.post(f"/orders/{pulled['id']}/acknowledge", ack).status_int == 200
    assert number(marketplace_id) == "10001"
    assert number(other_id) is None, "only the acknowledged order"
    assert run.shop.post(f"/orders/{pulled['id']}/acknowledge", {"number": "10002"}).status_int == 409
    assert number(marketplace_id) == "10001", "a refused acknowledgement changes nothing"
    assert run.shop.post(f"/orders/{other['id']}/acknowledge", {"number": "10002"}).status_int == 200
    assert (number(marketplace_id), number(other_id)) == ("10001", "10002")
