"""The emulator's answers and the adapter's requests checked against the saved Shopware spec,
so the emulator cannot drift into a convenient fiction; and proof the check bites."""
from __future__ import annotations

import copy
import json

import pytest
import requests

from marketbridge.adapters import ProductIdentifier
from marketbridge.clock import FakeClock
from marketbridge.testing.contract import ContractError
from marketbridge.testing.emulator import EmulatorServer, RecordedRequest
from marketbridge.testing.faults import Fault

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration
from marketbridge_shopware.emulator.seed import product_id_for

from sw_contract import ShopwareContract
from sw_helpers import draft_for, make_shop, order_dict
from sw_specs import load

CONTRACT = ShopwareContract.saved()


def run_everything(shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    """Every adapter method, good and bad paths, so every request and answer gets recorded."""
    assert shop.check_connection().ok
    shop.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE", "MB-TEE-S", "MB-UNKNOWN"])
    shop.find_products(ProductIdentifier.EAN, ["4006381333931"])
    shop.find_products(ProductIdentifier.PRODUCT_ID, [product_id_for("MB-KETTLE")])
    draft = draft_for(shop)
    assert shop.find_order(draft.external_ref) is None
    created = shop.create_order(draft)
    shop.create_order(draft)  # duplicate key → looked up
    shop.list_statuses()
    cursor = shop.changes_since(None).cursor
    stock_cursor = shop.stock_changes_since(None).cursor
    clock.advance(60)
    shop.set_status(created, "order.completed")
    emulator.ship(created.order_id, "00340434161094042557", carrier="DHL")
    emulator.set_stock("MB-KETTLE", 3)
    emulator.set_price("MB-TEE", "25.00")  # variants inherit it (P2)
    clock.advance(60)
    shop.changes_since(cursor)
    shop.events_for_orders([created.order_id], clock.now())
    shop.read_stock([product_id_for("MB-KETTLE"), product_id_for("MB-CANDLE"), product_id_for("MB-TEE-S")])
    shop.stock_changes_since(stock_cursor)
    bad = order_dict("302-5555555-5555555", shipping_address={"name": "A B", "line1": " ", "city": "Köln",
                                                              "postal_code": "1", "country_code": "DE"})
    with pytest.raises(Exception):
        shop.create_order(draft_for(shop, bad))


def test_every_exchange_of_a_full_run_matches_the_spec(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                      clock: FakeClock) -> None:
    run_everything(shop, emulator, clock)
    operations = set()
    for exchange in emulator.log:
        CONTRACT.check_exchange(exchange)
        operations.add(CONTRACT.operation(exchange.method, exchange.path).operation_id)
    assert {"token", "infoShopwareVersion", "searchOrder", "createOrder", "searchProduct", "orderStateTransition",
            "searchStateMachineHistory", "searchOrderDelivery", "searchStateMachineState", "createCustomFieldSet",
            "searchStateMachineTransition"} <= operations
    statuses = {e.status for e in emulator.log}
    assert {200, 400, 500} <= statuses  # good answers, the NotBlank refusal, the duplicate-key error


def test_error_answers_match_the_spec(server: EmulatorServer, emulator: ShopwareEmulator, integration: Integration,
                                      clock: FakeClock) -> None:
    url = server.url
    requests.post(f"{url}/api/oauth/token", json={"grant_type": "client_credentials", "client_id": "x",
                                                  "client_secret": "y"})
    requests.post(f"{url}/api/search/order", json={}, headers={"Accept": "application/json"})
    limited = emulator.add_integration("none", admin=False)
    make_shop(server, limited, clock).check_connection()
    shop = make_shop(server, integration, clock)
    created = shop.create_order(draft_for(shop))
    token = shop.api.token()
    requests.post(f"{url}/api/_action/order/{created.order_id}/state/complete", json={},
                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    for exchange in emulator.log:
        CONTRACT.check_exchange(exchange)
    assert {401, 403, 400} <= {e.status for e in emulator.log}


def test_json_api_answers_and_204_creates_match_the_spec(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                         server: EmulatorServer) -> None:
    token = shop.api.token()
    auth = {"Authorization": f"Bearer {token}"}
    listing = requests.post(f"{server.url}/api/search/state-machine-state", json={"limit": 3}, headers=auth)
    assert listing.headers["Content-Type"] == "application/vnd.api+json"
    detail = requests.get(f"{server.url}/api/product/{product_id_for('MB-KETTLE')}", headers=auth)
    created = requests.post(f"{server.url}/api/custom-field-set", json={"id": "a" * 32, "name": "other_set"}, headers=auth)
    assert created.status_code == 204 and created.headers["Location"].startswith(server.url)
    assert detail.json()["data"]["attributes"]["productNumber"] == "MB-KETTLE"
    for exchange in emulator.log:
        CONTRACT.check_exchange(exchange)


def recorded(emulator: ShopwareEmulator, path: str) -> RecordedRequest:
    return copy.deepcopy(next(e for e in emulator.log if e.path == path and e.status == 200))


def test_the_check_catches_a_wrong_answer_and_a_wrong_request(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop)
    shop.create_order(draft)
    assert shop.find_order(draft.external_ref) is not None
    exchange = recorded(emulator, "/api/search/order")
    CONTRACT.check_exchange(exchange)
    body = json.loads(exchange.response_body)
    body["total"] = "one"  # a drifted emulator answering a string count
    exchange.response_body = json.dumps(body).encode()
    with pytest.raises(ContractError, match="total"):
        CONTRACT.check_exchange(exchange)

    created = recorded(emulator, "/api/order")
    body = json.loads(created.response_body)
    del body["data"]["stateId"]  # an order without its required state
    created.response_body = json.dumps(body).encode()
    with pytest.raises(ContractError, match="stateId"):
        CONTRACT.check_exchange(created)

    request = recorded(emulator, "/api/search/product")
    criteria = json.loads(request.body)
    criteria["filter"] = [{"type": "equals", "field": "productNumber", "value": ["a", "list"]}]
    request.body = json.dumps(criteria).encode()
    with pytest.raises(ContractError, match="searchProduct request"):
        CONTRACT.check_exchange(request)


def test_the_check_catches_an_emulator_that_drifts(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    original = emulator.serialize

    def drifted(entity, record, associations=None, inherit=False):  # noqa: ANN001, ANN202
        data = original(entity, record, associations, inherit)
        if entity == "product":
            data["stock"] = str(data.get("stock"))  # stock as a string: convenient, and wrong
        return data

    monkeypatch.setattr(emulator, "serialize", drifted)
    shop.read_stock([product_id_for("MB-KETTLE")])
    with pytest.raises(ContractError, match="stock"):
        for exchange in emulator.log:
            CONTRACT.check_exchange(exchange)


def test_undeclared_statuses_must_still_be_shopware_error_bodies(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.faults.add(Fault(kind="after", status=503, body='{"message": "not shopware"}', path="/api/search/product"))
    with pytest.raises(Exception):
        shop.read_stock([product_id_for("MB-KETTLE")])
    exchange = next(e for e in emulator.log if e.fault == "after")
    exchange.fault = None  # judge it as if the emulator had produced it itself
    with pytest.raises(ContractError, match="errors"):
        CONTRACT.check_exchange(exchange)


def test_the_docs_examples_pass_the_same_check() -> None:
    examples = {e["name"]: e for e in load("examples.json")["examples"]}
    token = examples["oauth_token_client_credentials"]
    CONTRACT.check_request("POST", token["request"]["path"], token["request"]["body"])
    CONTRACT.check_response("POST", token["request"]["path"], 200, token["response"]["body"])
    transitions = examples["available_transitions"]
    CONTRACT.check_response("GET", "/api/_action/state-machine/order_delivery/" + "a" * 32 + "/state", 200,
                            transitions["response"]["body"])
    error = examples["validation_error"]["response"]["body"]
    CONTRACT.validate(CONTRACT.definition("failure"), error, "validation_error example")
