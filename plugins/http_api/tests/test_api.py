"""The shop API on its own: tokens, validation, 404s, idempotency, the pull cursor, requested statuses, the document.

Every answer is checked against ``openapi.json`` by the ``ShopClient`` (see conftest).
"""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
import sqlalchemy as sa

from marketbridge.adapters import ProductIdentifier, ShopOrderRef
from marketbridge.errors import OrderRejected
from marketbridge.models import Shop, db
from marketbridge.testing import ContractError

from marketbridge_http_api.tables import events, products

from .conftest import CATALOGUE, OPENAPI, STATUSES, TOKEN


_RESPONSE = {"type": "object", "oneOf": [{"required": ["$ref"]}, {"required": ["description"]}]}
_OPERATION = {"type": "object", "required": ["responses", "operationId"], "properties": {
    "responses": {"type": "object", "minProperties": 1, "additionalProperties": _RESPONSE,
                  "propertyNames": {"pattern": "^([1-5][0-9X]{2}|default)$"}},
    "parameters": {"type": "array", "items": {"type": "object", "required": ["name", "in", "schema"], "properties": {
        "in": {"enum": ["path", "query", "header", "cookie"]}}}},
    "requestBody": {"type": "object", "required": ["content"]}}}
#: The parts of the OpenAPI 3.0 specification's structure this document uses (no validator package is installed).
OPENAPI_30_CORE = {
    "type": "object", "required": ["openapi", "info", "paths"], "properties": {
        "openapi": {"type": "string", "pattern": "^3\\.0\\.[0-9]+$"},
        "info": {"type": "object", "required": ["title", "version"]},
        "servers": {"type": "array", "items": {"type": "object", "required": ["url"]}},
        "paths": {"type": "object", "propertyNames": {"pattern": "^/"}, "additionalProperties": {
            "type": "object", "propertyNames": {"enum": ["get", "put", "post", "delete", "patch", "parameters"]},
            "additionalProperties": _OPERATION}},
        "components": {"type": "object", "properties": {
            "schemas": {"type": "object"}, "responses": {"type": "object", "additionalProperties": _RESPONSE},
            "securitySchemes": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["type"]}}}}}}


def _count(table: sa.Table) -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_every_route_but_the_document_refuses_a_missing_or_wrong_token(api_loop):
    run = api_loop()
    rules = [r for r in run.loop.app.url_map.iter_rules() if r.endpoint.startswith("http_api.")]
    assert len(rules) == 8
    checked = 0
    for rule in rules:
        if rule.endpoint == "http_api.openapi":
            continue
        url = rule.rule.replace("<int:shop_id>", str(run.shop.shop_id)).replace("<order_id>", "1")
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        body = None if method == "GET" else {}
        for token in ("", "wrong", TOKEN[:-1], TOKEN + "x"):
            res = run.shop.call(method, url, body, token=token)
            assert res.status_int == 401, f"{method} {url} with {token!r} answered {res.status}"
            assert res.json["error"] == "unauthorized"
            checked += 1
    assert checked == 7 * 4
    assert run.shop.get("/api/shop/v1/openapi.json").status_int == 200, "the document is public"
    assert run.shop.get("/orders").status_int == 200, "the right token passes"


def test_a_token_of_another_shop_or_kind_is_refused(api_loop):
    run = api_loop()
    other = Shop(kind="example_shop", name="other", settings={}, secrets=run.loop.host.seal({"api_token": TOKEN}),
                 created_at=run.loop.clock.now())
    db.session.add(other)
    db.session.commit()
    assert run.shop.call("GET", f"/api/shop/v1/{other.id}/orders").status_int == 401, "not an http_api shop"
    assert run.shop.call("GET", "/api/shop/v1/999999/orders").status_int == 401, "no such shop"


def test_a_bad_body_gets_400_with_field_errors_and_stores_nothing(api_loop):
    run = api_loop()
    run.shop.put("/statuses", STATUSES)
    bad_products = [dict(CATALOGUE[0]), {"product_id": "p2", "name": "", "quantity": -1, "price": "9.90"}]
    res = run.shop.put("/products", bad_products)
    assert res.status_int == 400 and res.json["error"] == "invalid_request"
    assert res.json["fields"] == {"1": {"name": ["Length must be between 1 and 500."],
                                        "quantity": ["Must be greater than or equal to 0."]}}
    assert run.shop.put("/products", [{"product_id": "p2", "name": "Bowl", "price": "9.90"}]).json["fields"] == {
        "0": {"currency": ["A price needs its currency."]}}
    assert _count(products) == 0, "the valid first item was not stored either"

    assert run.shop.put("/products", [CATALOGUE[0], CATALOGUE[0]]).json["fields"] == {
        "1": {"product_id": ["Also given in item 0."]}}
    assert run.shop.put("/products", {"product_id": "x"}).json["fields"] == {"_body": ["Send a JSON array."]}
    assert run.shop.put("/products", [{**CATALOGUE[0], "colour": "blue"}]).json["fields"] == {
        "0": {"colour": ["Unknown field."]}}
    assert _count(products) == 0

    run.shop.put("/products", CATALOGUE)
    res = run.shop.put("/stock", [{"product_id": "p-mug-blue", "quantity": 5}, {"product_id": "nope", "quantity": 1}])
    assert res.status_int == 400 and res.json["fields"] == {
        "1": {"product_id": ["Unknown product; send it with PUT /products first."]}}
    assert db.session.execute(sa.select(products.c.quantity).where(products.c.product_id == "p-mug-blue")
                              ).scalar_one() == 120, "the known product in the refused batch kept its stock"
    assert run.shop.put("/statuses", [{"code": "x"}]).json["fields"] == {"0": {"label": ["Missing data for required field."]}}
    assert run.shop.get("/orders", limit=0).json["fields"] == {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]}
    with pytest.raises(ContractError):
        run.shop.contract.check_request("PUT", f"/api/shop/v1/{run.shop.shop_id}/stock", [{"product_id": "p"}])


def test_order_calls_validate_404_and_stay_idempotent(api_loop):
    run = api_loop()
    run.set_up_shop()
    _, pulled = run.import_order([("MB-MUG-BLUE", 1)])
    oid = pulled["id"]

    for path in ("/orders/999/acknowledge", "/orders/abc/status", "/orders/999/shipments"):
        res = run.shop.post(path, {"number": "1"})
        assert res.status_int == 404 and res.json["error"] == "not_found"
    res = run.shop.post(f"/orders/{oid}/status", {"status": "shipped-ish"})
    assert res.status_int == 400 and "Not a declared status" in res.json["fields"]["status"][0]
    res = run.shop.post(f"/orders/{oid}/shipments", {"shipment_id": "S", "shipped_at": "yesterday",
                                                      "lines": [{"line_id": "nope", "quantity": 1}]})
    assert res.status_int == 400 and set(res.json["fields"]) == {"shipped_at"}
    res = run.shop.post(f"/orders/{oid}/shipments", {"shipment_id": "S", "shipped_at": "2026-11-02T10:00:00+01:00",
                                                      "lines": [{"line_id": "nope", "quantity": 1}]})
    assert res.status_int == 400 and res.json["fields"] == {"lines": {"0": {"line_id": ["Not a line of this order."]}}}
    assert _count(events) == 0, "nothing recorded for refused pushes"

    body = {"shipment_id": "S", "shipped_at": "2026-11-02T10:00:00+01:00", "tracking_number": "1Z999"}
    first = run.shop.post(f"/orders/{oid}/shipments", body)
    second = run.shop.post(f"/orders/{oid}/shipments", {**body, "tracking_number": "changed"})
    assert first.json == second.json and first.json["tracking_number"] == "1Z999"
    assert first.json["shipped_at"] == "2026-11-02T09:00:00Z" and first.json["lines"] == []
    assert _count(events) == 1


def test_the_pull_cursor_pages_without_loss_and_sees_requested_statuses(api_loop):
    run = api_loop()
    run.set_up_shop()
    for i in range(7):
        run.marketplace.add_order(skus=[("MB-CANDLE", i + 1)])
    run.loop.cycle()

    seen: list[str] = []
    after, pages = 0, 0
    while True:
        page = run.shop.get("/orders", after=after, limit=3).json
        seen += [o["id"] for o in page["orders"]]
        pages += 1
        assert page["next"] >= after
        after = page["next"]
        if not page["more"]:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    assert [o["order"]["lines"][0]["quantity"] for o in run.shop.get("/orders", limit=200).json["orders"]] == \
        list(range(1, 8))
    assert run.shop.get("/orders", after=after).json == {"orders": [], "next": after, "more": False}

    adapter = run.loop.host.shop_adapter(run.loop.connection.shop)
    adapter.set_status(ShopOrderRef(seen[2]), "cancelled")
    adapter.set_status(ShopOrderRef(seen[2]), "cancelled")  # asked already: no-op
    db.session.commit()
    page = run.shop.get("/orders", after=after).json
    assert [(o["id"], o["requested_status"]) for o in page["orders"]] == [(seen[2], "cancelled")]
    run.shop.post(f"/orders/{seen[2]}/status", {"status": "cancelled"})
    assert run.shop.get("/orders", after=page["next"]).json["orders"] == []
    with pytest.raises(OrderRejected):
        adapter.set_status(ShopOrderRef(seen[2]), "lost")


def test_adapter_reads_what_the_shop_pushed(api_loop):
    run = api_loop()
    adapter = run.loop.host.shop_adapter(run.loop.connection.shop)
    assert not adapter.check_connection().ok
    assert adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE"]) == {}
    run.set_up_shop()
    db.session.expire_all()

    assert adapter.check_connection().ok
    assert [(s.code, s.initial) for s in adapter.list_statuses()] == [("new", True), ("processing", False),
                                                                     ("cancelled", False)]
    found = adapter.find_products(ProductIdentifier.EAN, ["4006381333931", "0000"])
    assert list(found) == ["4006381333931"] and found["4006381333931"].product_id == "p-mug-blue"
    assert str(found["4006381333931"].weight) == "0.35" and found["4006381333931"].stock == 120
    [tee] = adapter.find_products(ProductIdentifier.PRODUCT_ID, ["p-tee-m"]).values()
    assert (tee.sku, tee.parent_id) == ("MB-TEE-M", "p-tee")
    levels = {lv.product_id: lv for lv in adapter.read_stock(["p-candle", "p-mug-blue", "unknown"])}
    assert set(levels) == {"p-candle", "p-mug-blue"}
    assert (levels["p-candle"].quantity, levels["p-candle"].price) == (None, None)
    assert (str(levels["p-mug-blue"].price.amount), levels["p-mug-blue"].price.currency) == ("14.90", "EUR")

    start = adapter.stock_changes_since(None)
    assert start.levels == ()
    run.shop.put("/stock", [{"product_id": "p-candle", "quantity": 4, "price": "7.50", "currency": "EUR"}])
    page = adapter.stock_changes_since(start.cursor)
    assert [(lv.product_id, lv.quantity, str(lv.price.amount)) for lv in page.levels] == [("p-candle", 4, "7.50")]
    assert adapter.stock_changes_since(page.cursor).levels == ()
    assert adapter.changes_since(None).events == ()


def test_the_document_is_valid_openapi_and_served_as_is(api_loop):
    run = api_loop()
    served = run.shop.get("/api/shop/v1/openapi.json").json
    assert served == json.loads(OPENAPI.read_text())
    assert served["openapi"].startswith("3.0")
    jsonschema.validate(served, OPENAPI_30_CORE)
    for template, item in served["paths"].items():
        for op in item.values():
            named = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", template)), f"path parameters of {template}"
            assert all(p["required"] for p in op.get("parameters", []) if p["in"] == "path")
    operations = {(op.method, op.template) for op in run.shop.contract.operations}
    assert operations == {("GET", "/openapi.json"), ("GET", "/{shopId}/orders"),
                          ("POST", "/{shopId}/orders/{orderId}/acknowledge"),
                          ("POST", "/{shopId}/orders/{orderId}/status"),
                          ("POST", "/{shopId}/orders/{orderId}/shipments"), ("PUT", "/{shopId}/statuses"),
                          ("PUT", "/{shopId}/products"), ("PUT", "/{shopId}/stock")}
    for name in served["components"]["schemas"]:
        jsonschema.Draft202012Validator.check_schema(run.shop.contract.document["components"]["schemas"][name])
    for op in run.shop.contract.operations:
        assert op.spec.get("operationId") and "200" in op.spec["responses"]
        if op.template != "/openapi.json":
            assert {"401"} <= set(op.spec["responses"]), f"{op.operation_id} documents its 401"
