"""``POST /ecwid/webhooks`` through the app, on SQLite and PostgreSQL, with webhooks signed as Ecwid signs them.

A genuine webhook gets its change to the marketplace within the same
request (recorded, then delivered at once); unsigned, forged, stale and
replayed calls are refused and record nothing. The tests about the
receiver's own decisions (which secret, uninstall, stores not connected)
run on SQLite only: they touch no query that differs between databases.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketbridge.models import AdapterState, Listing, OrderEvent, OutboxMessage, Shop, StatusMapping, SyncProblem, db
from marketbridge.testing import Fault

from marketbridge_ecwid.emulator import AppClientSession
from marketbridge_ecwid.webhooks import SIGNATURE_HEADER, signature

TRACKING = "00340434116100000014"
APP_CLIENT_SECRET = "mb-app-secret-0123456789abcdef"


@pytest.fixture
def hooked(ecwid_loop):
    """An imported order, the Marketbridge app installed in the store with its webhook URL, the outbox drained."""
    def make(secret_in: str = "app", **connection):
        settings = {"ECWID_CLIENT_SECRET": APP_CLIENT_SECRET} if secret_in == "app" else {}
        secrets = {"client_secret": APP_CLIENT_SECRET} if secret_in == "shop" else {}
        ecwid = ecwid_loop(app_settings=settings, shop_secrets=secrets, **connection)
        ecwid.store.install_app("mb", APP_CLIENT_SECRET, webhook_url="http://localhost/ecwid/webhooks")
        marketplace_id, ecwid_id = ecwid.import_order(skus=[("MB-MUG-BLUE", 2)])
        ecwid.session = AppClientSession(ecwid.app_client())
        ecwid.store.deliver_webhooks(ecwid.session)  # order.created + product.updated: nothing to send yet
        assert [r.status_code for r in ecwid.session.responses] == [200, 200]
        ecwid.marketplace_id, ecwid.ecwid_id = marketplace_id, ecwid_id
        return ecwid
    return make


def recorded() -> dict[str, int]:
    """Rows a webhook could have written."""
    def count(model, *where):
        return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
    return {"outbox": count(OutboxMessage), "history": count(OrderEvent), "problems": count(SyncProblem),
            "state": count(AdapterState, AdapterState.key.like("webhook%"))}


def test_shipment_webhook_reaches_the_marketplace_within_the_request(hooked, any_database_url):
    ecwid = hooked()

    ecwid.store.ship_order(ecwid.ecwid_id, TRACKING, carrier="DHL")
    [call] = ecwid.store.outbox.pending()
    response = ecwid.session.client.post("/ecwid/webhooks", query_string={"eventtype": call.event_type},
                                         data=call.raw_body, headers=call.headers)

    assert response.status_code == 200 and response.json["status"] == "ok"
    assert [(s["order_id"], s["carrier"], s["tracking"]) for s in ecwid.marketplace.shipments] == [
        (ecwid.marketplace_id, "DHL", TRACKING)], "delivered before the webhook was answered"
    db.session.expire_all()
    assert db.session.execute(sa.select(OutboxMessage.state)).scalars().all() == ["delivered"]
    adapter = ecwid.loop.host.shop_adapter(db.session.get(Shop, ecwid.connection.shop_id))
    assert adapter.pushes_changes, "webhooks arrive: polling becomes the safety net"


def test_webhooks_verify_with_the_custom_app_secret_of_the_shop(hooked):
    ecwid = hooked("shop")  # no app-wide secret: the store's own custom app signs

    ecwid.store.ship_order(ecwid.ecwid_id, TRACKING, carrier="DHL")

    assert ecwid.store.deliver_webhooks(ecwid.session) == [200]
    assert [s["tracking"] for s in ecwid.marketplace.shipments] == [TRACKING]


def test_status_and_stock_webhooks_reach_the_marketplace(hooked, any_database_url):
    ecwid = hooked()
    db.session.add(StatusMapping(connection_id=ecwid.connection.id, marketplace_status="cancelled",
                                 shop_status="CANCELLED"))
    db.session.add(Listing(connection_id=ecwid.connection.id, sku="MB-TEE-S",
                           product_id=ecwid.store.marketbridge_id("MB-TEE-S"), store_code=""))
    db.session.commit()

    ecwid.store.set_order_status(ecwid.ecwid_id, payment_status="CANCELLED")  # Ecwid restocks the mugs too
    ecwid.store.set_stock("MB-TEE-S", 4)
    ecwid.store.deliver_webhooks(ecwid.session)

    assert [(c["order_id"], c["status"]) for c in ecwid.marketplace.status_calls] == [
        (ecwid.marketplace_id, "cancelled")]
    assert ecwid.marketplace.stock == {"MB-TEE-S": 4}
    assert ecwid.store.outbox.pending() == [], "every webhook acknowledged"


def test_webhook_and_poll_seeing_the_same_shipment_send_it_once(hooked, any_database_url):
    ecwid = hooked()
    ecwid.store.ship_order(ecwid.ecwid_id, TRACKING, carrier="DHL")
    ecwid.store.deliver_webhooks(ecwid.session)
    ecwid.poll()
    ecwid.clock.advance(minutes=11)
    ecwid.loop.shop_cycle()

    assert len(ecwid.marketplace.shipments) == 1


def _post(ecwid, body: bytes, headers: dict[str, str]):
    return ecwid.session.client.post("/ecwid/webhooks?eventtype=order.updated", data=body, headers=headers)


def _signed(body: dict, secret: str = APP_CLIENT_SECRET) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {SIGNATURE_HEADER: signature(secret, body["eventCreated"], body["eventId"]),
                                       "Content-Type": "application/json"}


@pytest.mark.parametrize("case", ["unsigned", "forged", "stale", "replayed", "other-store"])
def test_refused_calls_record_nothing(hooked, any_database_url, case):
    ecwid = hooked()
    ecwid.store.ship_order(ecwid.ecwid_id, TRACKING, carrier="DHL")
    [call] = ecwid.store.outbox.pending()
    body, headers = call.raw_body, dict(call.headers)
    if case == "replayed":  # delivered once; the same call again is refused
        assert _post(ecwid, body, headers).status_code == 200
    before, shipments = recorded(), list(ecwid.marketplace.shipments)
    reads = len(ecwid.store.calls("GET", f"/orders/{ecwid.ecwid_id}"))
    expected = 403
    if case == "unsigned":
        headers.pop(SIGNATURE_HEADER)
        expected = 401
    elif case == "forged":
        body, headers = _signed(call.body, secret="not-the-client-secret")
    elif case == "stale":  # a genuine signature, but older than Ecwid's 24 h of retries
        old = int((ecwid.clock.now() - timedelta(hours=26)).timestamp())
        body, headers = _signed({**call.body, "eventCreated": old, "eventId": "0f1e2d3c-old"})
    elif case == "other-store":  # the unsigned storeId changed: genuine, but for no store connected here
        body = json.dumps({**call.body, "storeId": 4242}).encode()
        expected = 200  # acknowledged so Ecwid stops retrying, and ignored

    response = _post(ecwid, body, headers)

    assert response.status_code == expected, response.json
    db.session.expire_all()
    assert recorded() == before and ecwid.marketplace.shipments == shipments
    assert len(ecwid.store.calls("GET", f"/orders/{ecwid.ecwid_id}")) == reads, "not even a read in Ecwid"


def test_webhook_while_ecwid_fails_is_not_remembered_so_the_retry_works(hooked):
    ecwid = hooked()
    ecwid.store.ship_order(ecwid.ecwid_id, TRACKING, carrier="DHL")
    ecwid.store.faults.add(Fault(status=503, method="GET", path=r"/orders/"))

    assert ecwid.store.deliver_webhooks(ecwid.session) == [503], "Ecwid keeps the webhook and retries"
    assert ecwid.marketplace.shipments == []
    assert ecwid.store.deliver_webhooks(ecwid.session) == [200]
    assert len(ecwid.marketplace.shipments) == 1


def test_uninstalling_the_app_pauses_the_shop_with_a_reason(hooked):
    ecwid = hooked()
    created = int(ecwid.clock.now().timestamp())
    body, headers = _signed({"eventId": "uninstall-1", "eventCreated": created, "storeId": ecwid.store.store_id,
                             "entityId": str(ecwid.store.store_id), "eventType": "application.uninstalled"})

    assert _post(ecwid, body, headers).status_code == 200

    db.session.expire_all()
    shop = db.session.get(Shop, ecwid.connection.shop_id)
    assert "uninstalled" in shop.auth_problem and "Install the app again" in shop.auth_problem


def test_genuine_webhook_for_a_store_not_connected_is_acknowledged(hooked):
    ecwid = hooked()
    created = int(ecwid.clock.now().timestamp())
    body, headers = _signed({"eventId": "elsewhere-1", "eventCreated": created, "storeId": 777,
                             "entityId": 1, "eventType": "order.updated", "data": {"orderId": "ABCDE"}})
    before = recorded()

    response = _post(ecwid, body, headers)

    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert recorded() == before
