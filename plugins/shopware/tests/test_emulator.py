"""The emulator behaves as the notes say the platform does (NOTES.md, state-machines.json),
so demo mode and the adapter tests stand on real behaviour."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from marketbridge.clock import FakeClock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS
from marketbridge.testing.emulator import EmulatorServer

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration
from marketbridge_shopware.emulator.seed import product_id_for, state_machine_data

from sw_helpers import draft_for
from sw_specs import load


def token_for(server: EmulatorServer, integration: Integration) -> dict[str, str]:
    answer = requests.post(f"{server.url}/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": integration.access_key, "client_secret": integration.secret})
    return {"Authorization": f"Bearer {answer.json()['access_token']}", "Accept": "application/json"}


def test_state_machines_are_seeded_exactly_from_the_spec() -> None:
    assert state_machine_data() == load("state-machines.json")["state_machines"]


def test_demo_catalogue_is_seeded_with_variants_as_children(emulator: ShopwareEmulator) -> None:
    products = {p["productNumber"]: p for p in emulator.store.all("product")}
    assert set(products) == {p.sku for p in DEMO_PRODUCTS}
    assert products["MB-TEE-S"]["parentId"] == products["MB-TEE"]["id"]
    assert products["MB-TEE"]["childCount"] == 3
    assert products["MB-TEE-S"]["price"] is None  # inherited, as Shopware stores variants


def test_inheritance_header_fills_variant_fields(server: EmulatorServer, integration: Integration) -> None:
    headers = token_for(server, integration)
    url = f"{server.url}/api/product/{product_id_for('MB-TEE-S')}"
    plain = requests.get(url, headers=headers).json()["data"]
    inherited = requests.get(url, headers={**headers, "sw-inheritance": "1"}).json()["data"]
    assert "taxId" not in plain and inherited["taxId"] and inherited["price"][0]["gross"] == 24.0


def test_accept_header_switches_between_simple_json_and_json_api(server: EmulatorServer,
                                                                 integration: Integration) -> None:
    headers = token_for(server, integration)
    simple = requests.get(f"{server.url}/api/product?limit=5&page=2", headers=headers)
    assert simple.headers["Content-Type"] == "application/json" and simple.json()["total"] == len(DEMO_PRODUCTS)
    json_api = requests.get(f"{server.url}/api/product?limit=5&page=2",
                            headers={"Authorization": headers["Authorization"]})
    body = json_api.json()
    assert json_api.headers["Content-Type"] == "application/vnd.api+json"
    assert body["meta"]["total"] == len(DEMO_PRODUCTS) and len(body["data"]) == 5
    assert body["data"][0]["type"] == "product" and "productNumber" in body["data"][0]["attributes"]
    assert body["links"]["next"].endswith("page=3") and body["links"]["prev"].endswith("page=1")


def test_create_answers_204_with_location_unless_a_response_is_asked_for(
        server: EmulatorServer, integration: Integration) -> None:
    headers = token_for(server, integration)
    bare = requests.post(f"{server.url}/api/tag", json={"id": "1" * 32, "name": "Bare"}, headers=headers)
    assert bare.status_code == 204 and bare.content == b""
    assert bare.headers["Location"] == f"{server.url}/api/tag/{'1' * 32}"
    detailed = requests.post(f"{server.url}/api/tag?_response=detail", json={"id": "2" * 32, "name": "Detailed"},
                             headers=headers)
    assert detailed.status_code == 200 and detailed.json()["data"]["name"] == "Detailed"
    duplicate = requests.post(f"{server.url}/api/tag", json={"id": "1" * 32, "name": "Again"}, headers=headers)
    assert duplicate.status_code == 500 and "1062 Duplicate entry" in duplicate.json()["errors"][0]["detail"]


def test_forbidden_transition_answers_400_listing_the_allowed_actions(
        shop: ShopwareShop, emulator: ShopwareEmulator, server: EmulatorServer, integration: Integration) -> None:
    created = shop.create_order(draft_for(shop))
    headers = token_for(server, integration)
    refused = requests.post(f"{server.url}/api/_action/order/{created.order_id}/state/complete", json={}, headers=headers)
    error: dict[str, Any] = refused.json()["errors"][0]
    assert refused.status_code == 400 and error["code"] == "SYSTEM__ILLEGAL_STATE_TRANSITION"
    assert error["meta"]["parameters"]["possibleTransitions"] == ["cancel", "process"]
    available = requests.get(f"{server.url}/api/_action/state-machine/order/{created.order_id}/state", headers=headers)
    assert [t["actionName"] for t in available.json()["transitions"]] == ["cancel", "process"]
    moved = requests.post(f"{server.url}/api/_action/order/{created.order_id}/state/process", json={}, headers=headers)
    assert moved.json()["data"]["technicalName"] == "in_progress"
    assert emulator.store.get("order", created.order_id)["updatedAt"] is not None


def test_tokens_expire_after_600_seconds(server: EmulatorServer, integration: Integration, clock: FakeClock) -> None:
    headers = token_for(server, integration)
    assert requests.get(f"{server.url}/api/_info/version", headers=headers).json() == {"version": "6.7.9.1"}
    clock.advance(600)
    expired = requests.get(f"{server.url}/api/_info/version", headers=headers)
    assert expired.status_code == 401 and expired.json()["errors"][0]["detail"] == "Access token is expired."


def test_oauth_limiter_answers_429_after_ten_requests_in_ten_seconds(server: EmulatorServer,
                                                                     integration: Integration) -> None:
    for _ in range(10):
        token_for(server, integration)
    limited = requests.post(f"{server.url}/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": integration.access_key, "client_secret": integration.secret})
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["code"] == "FRAMEWORK__RATE_LIMIT_EXCEEDED"


def test_missing_privileges_answer_403_naming_them(server: EmulatorServer, emulator: ShopwareEmulator) -> None:
    reader = emulator.add_integration("reader", admin=False, privileges=frozenset({"order:read"}))
    headers = token_for(server, reader)
    refused = requests.post(f"{server.url}/api/search/order", json={"associations": {"lineItems": {}}}, headers=headers)
    assert refused.status_code == 403
    assert '"missingPrivileges": ["order_line_item:read"]' in refused.json()["errors"][0]["detail"]


def test_orders_move_stock_and_cancellation_restores_it(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    created = shop.create_order(draft_for(shop))
    assert emulator.product_by_number("MB-TEE-S")["stock"] == 34
    emulator.change_order_status(created.order_id, "cancel")
    assert emulator.product_by_number("MB-TEE-S")["stock"] == 35
    emulator.change_order_status(created.order_id, "reopen")
    assert emulator.product_by_number("MB-TEE-S")["stock"] == 34


@pytest.mark.parametrize("criteria, expected", [
    ({"filter": [{"type": "prefix", "field": "productNumber", "value": "MB-TEE-"}]}, ["MB-TEE-L", "MB-TEE-M", "MB-TEE-S"]),
    ({"filter": [{"type": "range", "field": "stock", "parameters": {"gte": 100}}]}, ["MB-CANDLE", "MB-MUG-BLUE"]),
    ({"filter": [{"type": "not", "queries": [{"type": "equals", "field": "parentId", "value": None}]}]},
     ["MB-TEE-L", "MB-TEE-M", "MB-TEE-S"]),
    ({"filter": [{"type": "multi", "operator": "or", "queries": [
        {"type": "equals", "field": "productNumber", "value": "MB-KETTLE"},
        {"type": "contains", "field": "name", "value": "candle"}]}]}, ["MB-CANDLE", "MB-KETTLE"]),
])
def test_search_criteria_filter_like_the_dal(server: EmulatorServer, integration: Integration,
                                             criteria: dict[str, Any], expected: list[str]) -> None:
    headers = token_for(server, integration)
    body = {**criteria, "sort": [{"field": "productNumber", "order": "ASC"}], "limit": 50}
    found = requests.post(f"{server.url}/api/search/product", json=body, headers=headers).json()["data"]
    assert [p["productNumber"] for p in found] == expected


def test_bad_criteria_answer_400(server: EmulatorServer, integration: Integration) -> None:
    headers = token_for(server, integration)
    answer = requests.post(f"{server.url}/api/search/product", json={"filter": [{"type": "near", "field": "x"}]},
                           headers=headers)
    assert answer.status_code == 400 and answer.json()["errors"][0]["source"]["pointer"] == "/filter/0/type"
