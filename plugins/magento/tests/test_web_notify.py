"""Change notifications of the optional observer module, through the app (WebTest), on SQLite and PostgreSQL:
a signed one reaches the marketplace within the request; unsigned, forged, stale and replayed ones are refused
with nothing recorded and nothing read from Magento."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from marketbridge.models import AdapterState, OutboxMessage, StatusMapping, db

from marketbridge_magento import notify

SECRET = "notify-secret-of-this-shop"


@pytest.fixture
def notified(magento_loop, emulator, browser):
    """The engine with a Magento shop that has the observer module (notification secret set), and a client."""
    loop = magento_loop(shop_secrets={"notify_secret": SECRET})
    db.session.add(StatusMapping(connection_id=loop.connection.id, marketplace_status="cancelled",
                                 shop_status="canceled"))
    db.session.commit()
    oid = loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)])
    loop.cycle()
    loop.shop_cycle()
    return loop, oid, int(loop.orders()[0].shop_order_id), browser(loop.app)


def post(client, loop, payload, *, secret=SECRET, headers=None, status=200, shop_id=None):
    body = json.dumps(payload).encode()
    sent = notify.signed_headers(secret, loop.clock, body) if headers is None else headers
    return client.post(f"/magento/notify/{shop_id or loop.connection.shop_id}", body, headers=sent,
                       content_type="application/json", status=status)


def outbox_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one()


def test_signed_notifications_reach_the_marketplace_within_the_request(notified, emulator):
    loop, oid, order_id, client = notified
    assert loop.host.shop_adapter(loop.connection.shop).pushes_changes is True

    emulator.invoice_order(order_id)
    shipment = emulator.ship_order(order_id, carrier_code="dhl", title="DHL", tracking_number="00340434161234567890",
                                   items={"MB-CANDLE": 1})
    answer = post(client, loop, {"orders": [order_id], "shipments": [shipment]})
    assert answer.json == {"events": 2, "queued": 1, "ignored": 0}  # status processing is not mapped
    [sent] = loop.marketplace.shipments
    assert (sent["order_id"], sent["carrier"], sent["tracking"], sent["lines"]) == (
        oid, "DHL", "00340434161234567890", [{"item": f"{oid}-2", "qty": 1}])

    other_oid = loop.marketplace.add_order()
    loop.clock.advance(minutes=2)
    loop.cycle()
    other = int(next(o for o in loop.orders() if o.marketplace_order_id == other_oid).shop_order_id)
    emulator.cancel_order(other)
    answer = post(client, loop, {"orders": [other]})
    assert answer.json == {"events": 1, "queued": 1, "ignored": 0}
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(other_oid, "cancelled")]

    loop.clock.advance(seconds=601)  # the safety-net poll sees the same changes: recorded once, sent once
    loop.shop_cycle()
    assert len(loop.marketplace.status_calls) == 1 and len(loop.marketplace.shipments) == 1


def forged(loop, body):
    return {**notify.signed_headers(SECRET, loop.clock, body), notify.HEADER_SIGNATURE: "sha256=" + "0" * 64}


REFUSALS = {
    "unsigned": (401, lambda loop, body: {"Content-Type": "application/json"}),
    "forged signature": (401, forged),
    "signed with another secret": (401, lambda loop, body: notify.signed_headers("guessed", loop.clock, body)),
    "body changed after signing": (401, lambda loop, body: notify.signed_headers(SECRET, loop.clock, body + b" ")),
    "stale": (403, lambda loop, body: {**notify.signed_headers(SECRET, loop.clock, b""),
                                       notify.HEADER_TIMESTAMP: str(int(loop.clock.now().timestamp()) - 301),
                                       notify.HEADER_SIGNATURE: notify.sign(
                                           SECRET, int(loop.clock.now().timestamp()) - 301, body)}),
}


def test_unsigned_forged_stale_and_replayed_notifications_are_refused_without_effect(notified, emulator):
    loop, oid, order_id, client = notified
    emulator.cancel_order(order_id)
    body = json.dumps({"orders": [order_id]}).encode()
    calls, outbox = len(emulator.log), outbox_count()
    for case, (status, make_headers) in REFUSALS.items():
        answer = client.post(f"/magento/notify/{loop.connection.shop_id}", body, headers=make_headers(loop, body),
                             content_type="application/json", expect_errors=True)
        assert answer.status_int == status and answer.json["message"], case
    db.session.expire_all()
    assert len(emulator.log) == calls, "nothing was read from Magento"
    assert outbox_count() == outbox and loop.marketplace.status_calls == []
    assert db.session.execute(sa.select(AdapterState).filter_by(key="notifications_seen")).first() is None

    headers = notify.signed_headers(SECRET, loop.clock, body)
    client.post(f"/magento/notify/{loop.connection.shop_id}", body, headers=headers, content_type="application/json")
    calls, outbox = len(emulator.log), outbox_count()
    loop.clock.advance(seconds=30)
    answer = client.post(f"/magento/notify/{loop.connection.shop_id}", body, headers=headers,
                         content_type="application/json", status=403)
    assert "before" in answer.json["message"], "replayed"
    assert len(emulator.log) == calls and outbox_count() == outbox
    assert len(loop.marketplace.status_calls) == 1


def test_other_shops_bad_bodies_and_an_unreachable_magento(notified, emulator):
    from marketbridge.testing import Fault

    loop, oid, order_id, client = notified
    post(client, loop, {"orders": [order_id]}, shop_id=9999, status=403)  # no such Magento shop
    post(client, loop, {"orders": "all"}, status=400)  # signed, but not a list of ids
    post(client, loop, {"orders": [order_id], "padding": "x" * notify.MAX_BODY_BYTES}, status=413)
    post(client, loop, {"orders": [order_id + 1000]})  # not an order of Marketbridge: nothing to record
    assert loop.marketplace.status_calls == [] and outbox_count() == 0

    emulator.cancel_order(order_id)
    emulator.faults.add(Fault(status=503, method="GET", path=r"/V1/orders$"))
    answer = post(client, loop, {"orders": [order_id]}, status=503)
    assert "next poll" in answer.json["message"]
    loop.clock.advance(seconds=601)
    loop.shop_cycle()
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(oid, "cancelled")]
