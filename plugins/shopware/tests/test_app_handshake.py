"""The Shopware app route end to end with real signatures over real HTTP (C7-style connect, S2, M1):
the emulated shop installs the app, hands over credentials the adapter then uses with
nothing but the manifest's privileges, sends signed webhooks the app verifies, opens the
signed admin module, and rotates the secret by re-registration."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterator

import pytest
import requests
from flask import Flask, Response, jsonify, request

from marketbridge.clock import FakeClock
from marketbridge.testing.context import MemoryState, adapter_context
from marketbridge.testing.emulator import Emulator, EmulatorServer

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.app.admin import AdminLinkRejected, link_shop_id, verify_admin_link
from marketbridge_shopware.app.registration import (
    AppCredentials,
    PendingRegistration,
    RegistrationRejected,
    registration_answer,
    verify_confirmation,
    verify_registration,
)
from marketbridge_shopware.app.signing import ShopSecrets, sign
from marketbridge_shopware.app.webhooks import ReplayGuard, WebhookCall, WebhookRejected, verify_webhook
from marketbridge_shopware.emulator import AppInstallError, ShopwareEmulator
from marketbridge_shopware.permissions import PRIVILEGES, WEBHOOK_EVENTS

from sw_helpers import draft_for

APP_NAME = "MarketbridgeApp"
APP_SECRET = "app-secret-from-the-manifest"


@dataclass
class AppBackendState:
    pending: dict[str, PendingRegistration] = field(default_factory=dict)
    shops: dict[str, AppCredentials] = field(default_factory=dict)
    calls: list[WebhookCall] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)


class AppBackend(Emulator):
    """A minimal app backend made of the plugin's pure pieces, served over real HTTP (the real routes
    are tested through Marketbridge's app in ``test_app_routes.py``)."""

    name = "app-backend"

    def __init__(self, clock: FakeClock) -> None:
        self.data = AppBackendState()
        self.replays = ReplayGuard(MemoryState())
        super().__init__(clock)

    def routes(self, app: Flask) -> None:
        @app.get("/register")
        def register() -> Response:
            shop_id = request.args.get("shop-id", "")
            known = self.data.shops.get(shop_id)
            try:
                found = verify_registration(request.query_string.decode(), dict(request.headers), APP_SECRET,
                                            self.clock.now(), known=known.secrets if known else None)
            except RegistrationRejected as exc:
                return jsonify({"error": str(exc)}), 401
            answer, pending = registration_answer(found, app_name=APP_NAME, app_secret=APP_SECRET,
                                                  confirmation_url=request.host_url + "confirm")
            self.data.pending[found.shop_id] = pending
            return jsonify(answer)

        @app.post("/confirm")
        def confirm() -> Response:
            raw = request.get_data()
            shop_id = json.loads(raw).get("shopId", "")
            known = self.data.shops.get(shop_id)
            try:
                self.data.shops[shop_id] = verify_confirmation(raw, dict(request.headers), self.data.pending.pop(shop_id),
                                                               self.clock.now(), previous=known.secrets if known else None)
            except (RegistrationRejected, KeyError):
                return Response(status=401)
            return Response(status=204)

        @app.post("/webhook")
        def webhook() -> Response:
            raw = request.get_data()
            claimed = json.loads(raw).get("source", {}).get("shopId", "")
            shop = self.data.shops.get(claimed)
            try:
                if shop is None:
                    raise WebhookRejected("unknown shop")
                call = verify_webhook(raw, dict(request.headers), shop.secrets, self.clock.now())
            except WebhookRejected:
                self.data.outcomes.append("rejected")
                return Response(status=401)
            if not self.replays.first_time(call, self.clock.now()):
                self.data.outcomes.append("duplicate")
                return Response(status=200)
            self.data.outcomes.append("accepted")
            self.data.calls.append(call)
            return Response(status=200)

        @app.get("/admin")
        def admin() -> Response:
            raw = request.query_string.decode()
            shop = self.data.shops.get(link_shop_id(raw) or "")
            try:
                if shop is None:
                    raise AdminLinkRejected("unknown shop")
                link = verify_admin_link(raw, shop.secrets, self.clock.now())
            except AdminLinkRejected as exc:
                return Response(str(exc), status=403)
            return jsonify({"shop": link.shop_id, "language": link.user_language})


@pytest.fixture
def backend(clock: FakeClock) -> Iterator[tuple[AppBackend, EmulatorServer]]:
    app = AppBackend(clock)
    with app.serve() as running:
        yield app, running


def install(emulator: ShopwareEmulator, shop_server: EmulatorServer, app_server: EmulatorServer) -> None:
    emulator.apps.install(APP_NAME, f"{app_server.url}/register", APP_SECRET, shop_url=shop_server.url,
                          privileges=PRIVILEGES, webhooks={event: f"{app_server.url}/webhook" for event in WEBHOOK_EVENTS},
                          modules={"orders": f"{app_server.url}/admin"})


def app_shop(app: AppBackend, emulator: ShopwareEmulator, clock: FakeClock) -> ShopwareShop:
    credentials = app.data.shops[emulator.apps.shop_id]
    return ShopwareShop(adapter_context(settings={"shop_url": credentials.shop_url, "client_id": credentials.api_key},
                                        secrets={"client_secret": credentials.secret_key}, clock=clock))


def test_install_hands_over_credentials_that_work_with_only_the_manifest_privileges(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer],
        clock: FakeClock) -> None:
    app, app_server = backend
    install(emulator, server, app_server)
    credentials = app.data.shops[emulator.apps.shop_id]
    assert credentials.shop_url == server.url
    assert credentials.secret_key not in repr(credentials)
    assert emulator.auth.integrations[credentials.api_key].admin is False
    shop = app_shop(app, emulator, clock)
    assert shop.check_connection().ok
    draft = draft_for(shop)
    created = shop.create_order(draft)
    shop.set_status(created, "order.completed")
    cursor = shop.changes_since(None).cursor
    clock.advance(30)
    emulator.ship(created.order_id, "JJD000390007")
    assert any(e.event_id for e in shop.changes_since(cursor).events)
    assert shop.read_stock([draft.lines[0].product.product_id])
    assert shop.stock_changes_since(shop.stock_changes_since(None).cursor) is not None


def test_webhooks_are_verified_deduplicated_and_lead_to_the_same_events_as_polling(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer],
        clock: FakeClock) -> None:
    app, app_server = backend
    install(emulator, server, app_server)
    shop = app_shop(app, emulator, clock)
    created = shop.create_order(draft_for(shop))
    cursor = shop.changes_since(None).cursor
    clock.advance(60)
    emulator.ship(created.order_id, "00340434161094042557", carrier="DHL Paket")
    shipped_call = next(c for c in app.data.calls if c.event == "state_enter.order_delivery.state.shipped")
    assert shipped_call.order_ids == (created.order_id,)
    pushed = shop.events_for_orders(shipped_call.order_ids, shipped_call.sent_at)
    polled = shop.changes_since(cursor).events
    assert {e.event_id for e in pushed} == {e.event_id for e in polled}
    shipment = next(e for e in pushed if hasattr(e, "tracking_numbers"))
    assert shipment.tracking_numbers == ("00340434161094042557",) and shipment.carrier == "DHL Paket"

    delivery = next(d for d in emulator.apps.deliveries if d.event == "state_enter.order_delivery.state.shipped")
    assert requests.post(delivery.url, data=delivery.body, headers=delivery.headers).status_code == 200
    assert app.data.outcomes[-1] == "duplicate"  # a replay (or Shopware's retry) is not processed twice
    unsigned = {k: v for k, v in delivery.headers.items() if k != "shopware-shop-signature"}
    assert requests.post(delivery.url, data=delivery.body, headers=unsigned).status_code == 401
    forged = delivery.body.replace(created.order_id.encode(), b"0" * 32)
    assert requests.post(delivery.url, data=forged, headers=delivery.headers).status_code == 401
    clock.advance(minutes=20)
    app.replays = ReplayGuard(MemoryState())  # even with the replay memory gone, an old webhook is refused
    assert requests.post(delivery.url, data=delivery.body, headers=delivery.headers).status_code == 401


def test_stock_written_in_the_admin_reaches_the_app_as_product_ids(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer]) -> None:
    app, app_server = backend
    install(emulator, server, app_server)
    emulator.set_stock("MB-KETTLE", 2)
    emulator.update_product("MB-CANDLE", name="Candle")
    stock_calls = [c for c in app.data.calls if c.event == "product.written"]
    assert [c.stock_product_ids for c in stock_calls] == [(emulator.product_by_number("MB-KETTLE")["id"],), ()]


def test_admin_module_link_is_verified_and_tampering_is_refused(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer],
        clock: FakeClock) -> None:
    app, app_server = backend
    install(emulator, server, app_server)
    url = emulator.apps.module_url(APP_NAME, "orders")
    opened = requests.get(url)
    assert opened.status_code == 200
    assert opened.json() == {"shop": emulator.apps.shop_id, "language": "en-GB"}
    tampered = url.replace("sw-user-language=en-GB", "sw-user-language=de-DE")
    assert requests.get(tampered).status_code == 403
    unsigned = url.split("&shopware-shop-signature=")[0]
    assert requests.get(unsigned).status_code == 403
    clock.advance(minutes=6)
    assert requests.get(url).status_code == 403  # expired link


def test_reregistration_rotates_the_secret_and_keeps_the_old_one_only_briefly(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer],
        clock: FakeClock) -> None:
    app, app_server = backend
    install(emulator, server, app_server)
    first = app.data.shops[emulator.apps.shop_id]
    install(emulator, server, app_server)
    second = app.data.shops[emulator.apps.shop_id]
    assert second.secrets.current != first.secrets.current and second.api_key != first.api_key
    body = b'{"data":{"payload":[],"event":"app.activated"},"source":{"shopId":"x"},"timestamp":1}'
    old = sign(first.secrets.current, body)
    assert second.secrets.accepts(body, old, clock.now())
    clock.advance(61)
    assert not second.secrets.accepts(body, old, clock.now())


def test_a_wrong_app_secret_or_forged_registration_aborts_the_install(
        emulator: ShopwareEmulator, server: EmulatorServer, backend: tuple[AppBackend, EmulatorServer]) -> None:
    _, app_server = backend
    with pytest.raises(AppInstallError, match="401"):
        emulator.apps.install(APP_NAME, f"{app_server.url}/register", "not-the-app-secret", shop_url=server.url,
                              privileges=PRIVILEGES)
    query = "shop-id=evil&shop-url=https://evil.example&timestamp=1"
    assert requests.get(f"{app_server.url}/register?{query}",
                        headers={"shopware-app-signature": "0" * 64}).status_code == 401


def test_secrets_never_show_in_reprs() -> None:
    secrets = ShopSecrets("very-secret", previous="older-secret")
    text = repr(secrets)
    assert "very-secret" not in text and "older-secret" not in text
