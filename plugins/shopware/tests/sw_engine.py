"""Helpers of the end-to-end tests: the Shopware emulator behind Marketbridge's engine and web app.

``sw_loop`` (see ``conftest.py``) wires the emulated shop, through the plugin, to core's
example marketplace with an active connection (core's ``engine_loop``). The Shopware
app's calls to Marketbridge (registration, confirmation, webhooks) go through
:class:`FlaskTransport`, i.e. the app's own test client, with real signatures.
"""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask.testing import FlaskClient
from requests.structures import CaseInsensitiveDict

from marketbridge.models import Listing, Order, OutboxMessage, Shop, SyncCursor, db
from marketbridge.testing.emulator import EmulatorServer
from marketbridge.testing.pytest_plugin import EngineLoop

from marketbridge_shopware.emulator import InstalledApp, ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration
from marketbridge_shopware.emulator.seed import product_id_for

APP_BASE = "http://marketbridge.test"
APP_SECRET = "app-secret-of-this-marketbridge-server"
APP_NAME = "MarketbridgeApp"


@dataclass
class ShopwareRun:
    """The engine loop plus the emulated Shopware shop behind it."""

    loop: EngineLoop
    shop: ShopwareEmulator
    server: EmulatorServer
    integration: Integration

    @property
    def marketplace(self) -> Any:
        return self.loop.marketplace

    @property
    def clock(self) -> Any:
        return self.loop.clock

    @property
    def shop_row(self) -> Shop:
        row: Shop = db.session.get(Shop, self.loop.connection.shop_id)
        return row

    def imported(self, **order: Any) -> tuple[str, str]:
        """Place a marketplace order and run a cycle when the next fetch is due (two minutes later);
        returns (marketplace id, Shopware order id)."""
        self.clock.advance(minutes=2)
        oid = self.marketplace.add_order(**order)
        self.loop.cycle()
        row = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
        assert row.shop_order_id, f"order {oid} was not created: {row.state} {row.holds} {row.last_error}"
        return oid, row.shop_order_id

    def creates(self) -> list[Any]:
        """``POST /api/order`` calls the shop received."""
        return [c for c in self.shop.calls("POST") if c.path == "/api/order"]

    def shop_orders(self) -> list[dict[str, Any]]:
        return self.shop.marketbridge_orders()

    def listing(self, sku: str) -> Listing:
        row = Listing(connection_id=self.loop.connection.id, sku=sku, product_id=product_id_for(sku), store_code="")
        db.session.add(row)
        db.session.commit()
        return row

    def outbox(self) -> list[OutboxMessage]:
        return list(db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())

    def cursor(self, scope: str, stream: str) -> SyncCursor:
        scope_id = self.loop.connection.id if scope == "connection" else self.loop.connection.shop_id
        found: SyncCursor = db.session.execute(sa.select(SyncCursor).filter_by(
            scope=scope, scope_id=scope_id, stream=stream)).scalar_one()
        return found


class FreshClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as under a real server.

    Nothing cached on ``g`` (the logged-in principal, the language) leaks between requests, and
    the request's database session is not the test's: the test's session is expired after each
    request so that it reads what the request committed.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


def browser(app: Any) -> FreshClient:
    return FreshClient(app, app.response_class, use_cookies=True)


class FlaskTransport(requests.adapters.BaseAdapter):
    """A ``requests`` transport that hands requests to a Flask app's test client (same thread only).

    Mounted on the emulated shop's app-system session, it makes the shop's calls to
    Marketbridge run inside the test, with the exact bytes and headers the shop signed.
    Calls from another thread (the emulator's server thread) get a 503 instead of
    touching the test's database session.
    """

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = browser(app)
        self.thread = threading.get_ident()
        self.calls: list[tuple[str, str, int]] = []
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(str(request.url))
        response = requests.Response()
        response.url, response.request, response.encoding = str(request.url), request, "utf-8"
        if threading.get_ident() != self.thread:
            response.status_code, response._content = 503, b"not from the test thread"
            return response
        answer = self.client.open(parts.path, base_url=f"{parts.scheme}://{parts.netloc}", method=request.method,
                                  query_string=parts.query, data=request.body, headers=dict(request.headers))
        response.status_code, response._content = answer.status_code, answer.get_data()
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        self.calls.append((str(request.method), parts.path, answer.status_code))
        self.requests.append(request)
        return response

    def close(self) -> None:
        return None


def admin_client(app: Any) -> Any:
    """A test client logged in as a Marketbridge administrator (one without a usable password: hashing
    a real one costs half a second)."""
    from marketbridge.host import current_host
    from marketbridge.models import User

    user = db.session.execute(sa.select(User).filter_by(email="admin@example.org")).scalar_one_or_none()
    if user is None:
        user = User(email="admin@example.org", password_hash="!", is_admin=True, created_at=current_host().clock.now())
        db.session.add(user)
        db.session.commit()
    client = browser(app)
    for base_url in ("http://localhost", APP_BASE):  # cookies are per host
        with client.session_transaction(base_url=base_url) as session:
            session["_user_id"] = str(user.id)
    return client


@dataclass(frozen=True)
class Manifest:
    registration_url: str
    secret: str | None
    webhooks: dict[str, str]
    names: list[str]
    module: str
    main_module: str
    privileges: frozenset[str]


def parse_manifest(xml: bytes) -> Manifest:
    root = ET.fromstring(xml)
    hooks = root.findall("webhooks/webhook")
    permissions = root.find("permissions")
    privileges = frozenset(f"{p.text}:{p.tag}" for p in (list(permissions) if permissions is not None else []))
    module = root.find("admin/module")
    main = root.find("admin/main-module")
    assert module is not None and main is not None
    return Manifest(registration_url=root.findtext("setup/registrationUrl") or "",
                    secret=root.findtext("setup/secret"),
                    webhooks={h.get("event", ""): h.get("url", "") for h in hooks},
                    names=[h.get("name", "") for h in hooks], module=module.get("source", ""),
                    main_module=main.get("source", ""), privileges=privileges)


def install_app(run: ShopwareRun, *, transport: FlaskTransport | None = None) -> InstalledApp:
    """Download the manifest as an administrator and install the app in the emulated shop."""
    transport = transport or FlaskTransport(run.loop.app)
    run.shop.apps.http.mount(APP_BASE + "/", transport)
    answer = admin_client(run.loop.app).get("/shopware/app/manifest.xml", base_url=APP_BASE)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    manifest = parse_manifest(answer.get_data())
    return run.shop.apps.install(APP_NAME, manifest.registration_url, manifest.secret or "",
                                 shop_url=run.server.url, privileges=manifest.privileges,
                                 webhooks=manifest.webhooks, modules={"marketplaces": manifest.module})
