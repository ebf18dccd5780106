"""The Shopware app's routes in Marketbridge's web app, called by the emulated shop with real
signatures through the app's test client: registration and confirmation, webhooks that reach the
marketplace within the request, refusals without side effects, lifecycle, secret rotation, the
embedded admin module (M1) and the manifest."""
from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from marketbridge.host import current_host
from marketbridge.models import AdapterState, Connection, OrderEvent, OutboxMessage, Shop, StatusMapping, db
from marketbridge.web.i18n import SESSION_KEY

from marketbridge_shopware import settings as keys
from marketbridge_shopware.emulator.app_system import hmac_hex, php_json
from marketbridge_shopware.permissions import PRIVILEGES, WEBHOOK_EVENTS
from marketbridge_shopware.web.shops import DEACTIVATED, DELETED

from sw_engine import (
    APP_BASE,
    APP_NAME,
    APP_SECRET,
    FlaskTransport,
    ShopwareRun,
    admin_client,
    browser,
    install_app,
    parse_manifest,
)
from sw_specs import load

SHIPPED = "state_enter.order_delivery.state.shipped"


@pytest.fixture
def installed(sw_loop):
    """The shop installed the Marketbridge app (registration through Marketbridge's own routes)."""
    run: ShopwareRun = sw_loop()
    transport = FlaskTransport(run.loop.app)
    app = install_app(run, transport=transport)
    return run, app, transport


def shop_row(run: ShopwareRun) -> Shop:
    db.session.expire_all()
    return run.shop_row


def last_delivery(run: ShopwareRun, event: str):
    return [d for d in run.shop.apps.deliveries if d.event == event][-1]


def signed_webhook(run: ShopwareRun, secret: str, event: str, payload, *, age: int = 0) -> tuple[bytes, dict]:
    """A webhook exactly as Shopware builds it, signed with ``secret``."""
    body = php_json({"data": {"payload": payload, "event": event},
                     "source": {"url": run.server.url, "appVersion": "1.0.0", "shopId": run.shop.apps.shop_id,
                                "eventId": secrets.token_hex(16)},
                     "timestamp": int(run.clock.now().timestamp()) - age})
    return body, {"Content-Type": "application/json", "shopware-shop-signature": hmac_hex(secret, body)}


def side_effects(run: ShopwareRun) -> tuple[int, ...]:
    count = lambda model: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()  # noqa: E731
    return (count(OutboxMessage), count(OrderEvent), count(AdapterState), len(run.shop.log), len(run.marketplace.log))


def test_installed_app_registers_the_shop_and_its_webhooks_reach_the_marketplace_in_the_request(
        any_database_url: str, installed) -> None:
    run, app, transport = installed
    assert [(m, p.split("/confirm/")[0], s) for m, p, s in transport.calls] == [
        ("GET", "/shopware/app/register", 200), ("POST", "/shopware/app", 204)]
    [shop] = db.session.execute(sa.select(Shop)).scalars().all()  # the merchant's shop row was adopted
    assert shop.settings[keys.APP_SHOP_ID] == run.shop.apps.shop_id
    assert shop.settings[keys.CLIENT_ID] == app.integration.access_key != run.integration.access_key
    assert app.shop_secret not in json.dumps(shop.settings) and app.shop_secret not in (shop.secrets or "")
    sealed = current_host().open(shop.secrets)
    assert sealed[keys.CLIENT_SECRET] == app.integration.secret and sealed[keys.APP_SHOP_SECRET] == app.shop_secret
    assert current_host().shop_adapter(shop).pushes_changes is True

    db.session.add(StatusMapping(connection_id=run.loop.connection.id, marketplace_status="cancelled",
                                 shop_status="order.cancelled"))
    db.session.commit()
    run.listing("MB-KETTLE")
    shipped_oid, shipped = run.imported(skus=[("MB-MUG-BLUE", 2)])
    cancelled_oid, cancelled = run.imported()
    token = run.creates()[-1].headers["Authorization"].split()[-1]
    assert run.shop.auth.tokens[token].integration is app.integration, "the app's keys, the manifest's permissions"
    run.loop.shop_cycle()  # the safety poll's cursors start

    run.shop.ship(shipped, "00340434161094042557", carrier="DHL")
    assert [(s["order_id"], s["tracking"], s["carrier"], s["lines"]) for s in run.marketplace.shipments] == [
        (shipped_oid, "00340434161094042557", "DHL", [{"item": f"{shipped_oid}-1", "qty": 2}])]
    assert last_delivery(run, SHIPPED).status == 200

    run.shop.change_order_status(cancelled, "cancel")
    assert [(c["order_id"], c["status"]) for c in run.marketplace.status_calls] == [(cancelled_oid, "cancelled")]

    run.shop.set_stock("MB-KETTLE", 4)
    assert run.marketplace.stock == {"MB-KETTLE": 4}
    assert {d.status for d in run.shop.apps.deliveries} == {200}
    run.clock.advance(minutes=11)  # with webhooks the shop is polled every 10 minutes, as a safety net
    calls = len(run.marketplace.log)
    assert run.loop.shop_cycle() == 0 and len(run.marketplace.log) == calls, "the poll re-reads, sends nothing"


def test_unsigned_forged_stale_and_replayed_webhooks_are_refused_without_side_effects(
        any_database_url: str, installed) -> None:
    run, app, _ = installed
    _, shop_order = run.imported()
    run.shop.ship(shop_order, "00340434161094042557", carrier="DHL")
    delivery = last_delivery(run, SHIPPED)
    assert delivery.status == 200 and len(run.marketplace.shipments) == 1
    client = browser(run.loop.app)
    before = side_effects(run)
    post = lambda body, headers: client.post("/shopware/webhook", data=body, headers=headers)  # noqa: E731

    unsigned = {k: v for k, v in delivery.headers.items() if k != "shopware-shop-signature"}
    assert post(delivery.body, unsigned).status_code == 401
    event_id = json.loads(delivery.body)["source"]["eventId"]
    forged = delivery.body.replace(event_id.encode(), secrets.token_hex(16).encode())  # a "new" event, old signature
    assert post(forged, delivery.headers).status_code == 401
    wrong_secret = {**delivery.headers, "shopware-shop-signature": hmac_hex("x" * 64, delivery.body)}
    assert post(delivery.body, wrong_secret).status_code == 401
    stale = signed_webhook(run, app.shop_secret, SHIPPED, {"order": {"id": shop_order}}, age=20 * 60)
    assert post(*stale).status_code == 401
    unknown = delivery.body.replace(run.shop.apps.shop_id.encode(), b"someOtherShop")
    assert post(unknown, {**delivery.headers, "shopware-shop-signature": hmac_hex(app.shop_secret, unknown)}
                ).status_code == 401
    replay = post(delivery.body, delivery.headers)
    assert replay.status_code == 403 and "processed already" in replay.get_json()["error"]

    assert side_effects(run) == before, "nothing was read from the shop or written anywhere"
    assert len(run.marketplace.shipments) == 1


def test_app_lifecycle_pauses_resumes_and_forgets_the_keys(installed) -> None:
    run, app, _ = installed
    oid, shop_order = run.imported()
    run.loop.shop_cycle()  # the safety poll's cursors exist, as in any running installation
    run.shop.apps.deactivate(APP_NAME)
    shop = shop_row(run)
    assert shop.auth_problem == DEACTIVATED and current_host().shop_adapter(shop).pushes_changes is False
    run.shop.ship(shop_order, "00340434161094042557", carrier="DHL")  # no webhook while deactivated
    assert run.marketplace.shipments == [] and last_delivery(run, "app.deactivated").status == 200
    run.clock.advance(minutes=11)
    run.loop.shop_cycle()
    assert run.marketplace.shipments == [], "paused"

    run.shop.apps.activate(APP_NAME)
    assert shop_row(run).auth_problem is None
    run.clock.advance(minutes=11)
    run.loop.shop_cycle()  # the polling safety net finds what no webhook announced
    assert [s["order_id"] for s in run.marketplace.shipments] == [oid]

    old_secret = app.shop_secret
    run.shop.apps.uninstall(APP_NAME)
    shop = shop_row(run)
    assert shop.auth_problem == DELETED
    assert not {keys.CLIENT_SECRET, keys.APP_SHOP_SECRET} & set(current_host().open(shop.secrets))
    body, headers = signed_webhook(run, old_secret, SHIPPED, {"order": {"id": shop_order}})
    assert browser(run.loop.app).post("/shopware/webhook", data=body, headers=headers).status_code == 401

    again = install_app(run)
    [shop] = db.session.execute(sa.select(Shop)).scalars().all()
    db.session.refresh(shop)
    assert shop.auth_problem is None and shop.settings[keys.CLIENT_ID] == again.integration.access_key


def test_reregistration_rotates_the_secret_and_refuses_stale_or_half_signed_calls(installed) -> None:
    run, first, transport = installed
    first_confirmation = transport.requests[-1]
    second = install_app(run, transport=transport)  # Shopware re-registers: rotation, both secrets sign
    assert second.shop_secret != first.shop_secret
    shop = shop_row(run)
    assert shop.settings[keys.APP_DUAL_SIGNED] is True
    assert shop.settings[keys.CLIENT_ID] == second.integration.access_key
    client = browser(run.loop.app)
    body, headers = signed_webhook(run, first.shop_secret, "product.written", [])
    assert client.post("/shopware/webhook", data=body, headers=headers).status_code == 200, "old secret: 60 s grace"
    run.clock.advance(seconds=61)
    body, headers = signed_webhook(run, first.shop_secret, "product.written", [])
    assert client.post("/shopware/webhook", data=body, headers=headers).status_code == 401

    parts = urlsplit(first_confirmation.url)
    replayed = client.post(parts.path, data=first_confirmation.body, headers=dict(first_confirmation.headers))
    assert replayed.status_code == 401, "an old confirmation cannot roll the keys back"
    query = f"shop-id={run.shop.apps.shop_id}&shop-url={run.server.url}&timestamp={int(run.clock.now().timestamp())}"
    half = client.get(f"/shopware/app/register?{query}",
                      headers={"shopware-app-signature": hmac_hex(APP_SECRET, query)})
    assert half.status_code == 401 and "shop's signature" in half.get_json()["error"]
    wrong = client.get(f"/shopware/app/register?{query}", headers={"shopware-app-signature": hmac_hex("nope", query)})
    assert wrong.status_code == 401
    new_shop = query.replace(run.shop.apps.shop_id, "brandNewShop1")
    assert client.get(f"/shopware/app/register?{new_shop}").status_code == 401
    run.loop.app.config["SHOPWARE_APP_SECRET"] = None
    assert client.get(f"/shopware/app/register?{new_shop}",
                      headers={"shopware-app-signature": hmac_hex(APP_SECRET, new_shop)}).status_code == 403
    assert shop_row(run).settings[keys.CLIENT_ID] == second.integration.access_key


def test_admin_module_opens_the_pages_of_this_shop_only(installed, wire_connection) -> None:
    run, _, _ = installed
    other = wire_connection("shopware", "example_channel", name="Someone else's connection")
    merchant = browser(run.loop.app)
    url = urlsplit(run.shop.apps.module_url(APP_NAME, "marketplaces", user_language="de-DE"))
    assert url.path == "/shopware/admin"
    landing = merchant.get(f"{url.path}?{url.query}")
    assert landing.status_code == 200 and b"sw-app-loaded" in landing.data, landing.data[:500]
    with merchant.session_transaction() as session:
        assert session[SESSION_KEY] == "de"
    opened = merchant.get("/shopware/admin/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/connections/"), opened.data[:500]
    page = merchant.get("/connections/")
    assert page.status_code == 200 and run.loop.connection.name.encode() in page.data, page.data[:2000]
    assert b"Someone else" not in page.data
    assert merchant.get(f"/connections/{other.id}").status_code == 404

    stranger = browser(run.loop.app)
    assert stranger.get(f"{url.path}?{url.query}").status_code == 403, "a link opens one session only"
    fresh = urlsplit(run.shop.apps.module_url(APP_NAME, "marketplaces"))
    tampered = fresh.query.replace("sw-user-language=en-GB", "sw-user-language=de-DE")
    assert stranger.get(f"{fresh.path}?{tampered}").status_code == 403
    assert stranger.get(f"{fresh.path}?{fresh.query.split('&shopware-shop-signature=')[0]}").status_code == 403
    run.clock.advance(minutes=6)
    assert stranger.get(f"{fresh.path}?{fresh.query}").status_code == 403, "expired"
    blocked = stranger.get("/shopware/admin/open")
    assert blocked.status_code == 403 and b"SESSION_COOKIE_SAMESITE=None" in blocked.data, blocked.data[:500]
    assert stranger.get("/connections/").status_code == 302


def test_manifest_is_for_administrators_and_matches_routes_permissions_and_events(installed) -> None:
    run, _, _ = installed
    app = run.loop.app
    anonymous = browser(app).get("/shopware/app/manifest.xml")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    url = urlsplit(run.shop.apps.module_url(APP_NAME, "marketplaces"))
    embedded = browser(app)
    embedded.get(f"{url.path}?{url.query}")
    assert embedded.get("/shopware/app/manifest.xml").status_code == 403, "a shop session never sees the app secret"

    answer = admin_client(app).get("/shopware/app/manifest.xml", base_url=APP_BASE)
    assert answer.headers["Cache-Control"] == "no-store"
    manifest = parse_manifest(answer.get_data())
    assert manifest.registration_url == f"{APP_BASE}/shopware/app/register" and manifest.secret == APP_SECRET
    assert manifest.module == manifest.main_module == f"{APP_BASE}/shopware/admin"
    assert set(manifest.webhooks) == set(WEBHOOK_EVENTS) and len(set(manifest.names)) == len(WEBHOOK_EVENTS)
    assert set(manifest.webhooks.values()) == {f"{APP_BASE}/shopware/webhook"}
    assert manifest.privileges == PRIVILEGES
    reference = {e["event"]: e for e in load("webhook-events.json")["events"]}
    for event in WEBHOOK_EVENTS:
        assert set(reference[event]["permissions"]) <= manifest.privileges, event

    app.config.update(SHOPWARE_APP_SECRET=None, SHOPWARE_APP_URL="https://mb.example.com/")
    generated = parse_manifest(admin_client(app).get("/shopware/app/manifest.xml").get_data())
    assert generated.registration_url == "https://mb.example.com/shopware/app/register"
    assert generated.secret and generated.secret != APP_SECRET
    assert generated.secret == parse_manifest(admin_client(app).get("/shopware/app/manifest.xml").get_data()).secret


def test_every_route_refuses_anonymous_callers(installed) -> None:
    run, _, _ = installed
    client = browser(run.loop.app)
    rules = [r for r in run.loop.app.url_map.iter_rules() if r.endpoint.startswith("shopware.")]
    assert len(rules) == 6
    for rule in rules:
        path = rule.rule.replace("<token>", "x" * 40)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(path, method=method, data={"csrf_token": "x"})
            assert answer.status_code in (302, 401, 403), (method, path, answer.status_code)
            if answer.status_code == 302:
                assert "/login" in answer.headers["Location"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Connection)).scalar_one() == 1
