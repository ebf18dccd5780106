"""Fixtures: the app with this plugin and its tables, the example marketplace, and a shop client.

``api_loop`` is core's ``engine_loop`` (example marketplace ↔ this plugin)
with the ``http_api`` branch migrated; combine it with ``any_database_url``
for SQLite and PostgreSQL runs. ``ShopClient`` plays the shop: it calls the
API over WSGI (WebTest), and checks every answer (and every accepted request)
against ``openapi.json`` with core's ``SpecContract`` as it goes, so no test
can pass on an answer the document does not describe.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import webtest

from marketbridge.models import db
from marketbridge.testing import SpecContract

import marketbridge_http_api.plugin as plugin

TOKEN = "t0k3n-" + "x" * 40
OPENAPI = Path(plugin.__file__).parent / "openapi.json"
CATALOGUE = [
    {"product_id": "p-mug-blue", "name": "Mug, blue", "sku": "MB-MUG-BLUE", "ean": "4006381333931", "weight": "0.35",
     "quantity": 120, "price": "14.90", "currency": "EUR"},
    {"product_id": "p-tee-m", "name": "T-shirt M", "sku": "MB-TEE-M", "parent_id": "p-tee", "weight": "0.2",
     "quantity": 7, "price": "24.00", "currency": "EUR"},
    {"product_id": "p-candle", "name": "Candle", "sku": "MB-CANDLE", "quantity": None, "active": True},
]
STATUSES = [{"code": "new", "label": "New"}, {"code": "processing", "label": "Processing", "initial": False},
            {"code": "cancelled", "label": "Cancelled", "initial": False}]


@pytest.fixture(scope="session")
def contract() -> SpecContract:
    """The plugin's own OpenAPI document as a contract."""
    return SpecContract.load(OPENAPI)


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    answer: Any


@dataclass
class ShopClient:
    """The shop's side: authenticated JSON calls to ``/api/shop/v1/<shop_id>/…``, contract-checked."""

    web: webtest.TestApp
    shop_id: int
    contract: SpecContract
    token: str = TOKEN
    log: list[Exchange] = field(default_factory=list)

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             params: dict[str, Any] | None = None) -> webtest.TestResponse:
        url = path if path.startswith("/api/") else f"/api/shop/v1/{self.shop_id}{path}"
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"} if token != "" else {}
        db.session.commit()  # the test's own reads must not hold SQLite's lock while the app writes
        if body is None:
            res = self.web.request(url, method=method, headers=headers, params=params, expect_errors=True) \
                if method != "GET" else self.web.get(url, params=params, headers=headers, expect_errors=True)
        else:
            res = getattr(self.web, f"{method.lower()}_json")(url, body, headers=headers, expect_errors=True)
        answer = res.json if res.content_type == "application/json" else None
        self.log.append(Exchange(method, url, body, res.status_int, answer))
        self.contract.check_response(method, url, res.status_int, answer)
        if res.status_int < 300 and body is not None:
            self.contract.check_request(method, url, body)
        db.session.expire_all()
        return res

    def get(self, path: str, **params: Any) -> webtest.TestResponse:
        return self.call("GET", path, params=params or None)

    def post(self, path: str, body: Any, **kwargs: Any) -> webtest.TestResponse:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> webtest.TestResponse:
        return self.call("PUT", path, body, **kwargs)


@dataclass
class ApiLoop:
    loop: Any
    shop: ShopClient

    @property
    def marketplace(self) -> Any:
        return self.loop.marketplace

    @property
    def connection(self) -> Any:
        return self.loop.connection

    def set_up_shop(self) -> None:
        """The shop declares its statuses and pushes its catalogue."""
        assert self.shop.put("/statuses", STATUSES).status_int == 200
        assert self.shop.put("/products", CATALOGUE).json == {"created": 3, "updated": 0}

    def import_order(self, skus: list[tuple[str, int]]) -> tuple[str, dict[str, Any]]:
        """A marketplace order goes through the engine; returns its id and the order the shop pulls."""
        marketplace_id = self.marketplace.add_order(skus=skus)
        self.loop.cycle()
        pulled = self.shop.get("/orders", after=0, limit=200).json["orders"]
        [order] = [o for o in pulled if o["order"]["marketplace_order_id"] == marketplace_id]
        return marketplace_id, order


@pytest.fixture
def api_loop(engine_loop: Callable[..., Any], contract: SpecContract) -> Callable[..., ApiLoop]:
    """``api_loop(**connection)``: the engine with this plugin, its tables, a shop of kind ``http_api``."""
    from flask_migrate import upgrade

    def factory(**connection: Any) -> ApiLoop:
        loop = engine_loop("http_api", shop_secrets={"api_token": TOKEN}, plugins=[plugin], **connection)
        upgrade(revision="heads")
        return ApiLoop(loop, ShopClient(webtest.TestApp(loop.app), loop.connection.shop_id, contract))

    return factory
