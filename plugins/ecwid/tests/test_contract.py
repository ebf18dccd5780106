"""The contract from ``specs/ecwid`` checks the emulator's answers and the adapter's requests, and bites.

Every test using the ``server`` fixture is contract-checked when it ends (see
conftest); here a whole session is checked explicitly, and deliberately wrong
answers and requests are shown to be caught.
"""
from __future__ import annotations

import copy

import pytest

from marketbridge.adapters import ProductIdentifier
from marketbridge.testing import ContractError


def test_a_whole_session_follows_the_contract(adapter, emulator, make_draft, clock, contract, traffic_checker):
    adapter.check_connection()
    adapter.list_statuses()
    ref = adapter.create_order(make_draft([("MB-TEE-M", 1, "24.00", "3.83"), ("MB-KETTLE", 1, "39.00", "6.23")]))
    adapter.find_order("amazon:302-1234567-1234567")
    adapter.set_status(ref, "PROCESSING")
    emulator.ship_order(ref.order_id, "00340434161094042557", carrier="DHL")
    adapter.changes_since('{"from": 0}')
    adapter.read_stock([emulator.marketbridge_id("MB-TEE-M")])
    adapter.stock_changes_since('{"from": 0}')
    adapter.find_products(ProductIdentifier.EAN, ["4006381333955"])

    checked = traffic_checker(emulator, contract)

    used = {(c.method, contract.operation(c.method, c.path).template) for c in emulator.log}
    assert checked == len(emulator.log) >= 12
    assert used == {("GET", "/api/v3/{storeId}/profile"), ("GET", "/api/v3/{storeId}/profile/order_statuses"),
                    ("GET", "/api/v3/{storeId}/orders"), ("POST", "/api/v3/{storeId}/orders"),
                    ("PUT", "/api/v3/{storeId}/orders/{orderId}"), ("GET", "/api/v3/{storeId}/products")}


def _created_exchange(adapter, emulator, make_draft):
    adapter.create_order(make_draft())
    return next(c for c in emulator.log if c.method == "POST" and c.status == 200)


def test_wrong_answers_are_caught(adapter, emulator, make_draft, contract):
    created = _created_exchange(adapter, emulator, make_draft)
    order_id = created.response_json()["orderid"]
    order = emulator.order(order_id)
    path = f"/api/v3/1003/orders/{order_id}"
    contract.check_response("GET", path, 200, order)  # the real thing passes

    wrong = [
        {**order, "id": 212398840},  # the pre-2020 numeric id
        {**order, "paymentStatus": "SENT"},  # outside the status vocabulary
        {**order, "total": "58.70"},  # amount as text
        {**order, "items": [{**order["items"][0], "quantity": "2"}]},
        {k: v for k, v in order.items() if k != "fulfillmentStatus"},
    ]
    for body in wrong:
        with pytest.raises(ContractError):
            contract.check_response("GET", path, 200, body)
    with pytest.raises(ContractError):
        contract.check_response("POST", "/api/v3/1003/orders", 200, {"id": 5})  # no orderid
    with pytest.raises(ContractError):
        contract.check_response("GET", "/api/v3/1003/products", 200, {"total": 1, "items": [{"sku": "x"}]})


def test_a_drifting_emulator_fails_the_traffic_check(adapter, emulator, make_draft, contract, traffic_checker):
    """If the emulator answered a status Ecwid does not have, the automatic check after each test would fail."""
    ref = adapter.create_order(make_draft())
    emulator.orders[ref.order_id]["fulfillmentStatus"] = "IN_TRANSIT"
    adapter.find_order("amazon:302-1234567-1234567")

    with pytest.raises(ContractError, match="fulfillmentStatus"):
        traffic_checker(emulator, contract)
    emulator.orders[ref.order_id]["fulfillmentStatus"] = "AWAITING_PROCESSING"
    emulator.log.clear()


def test_wrong_requests_are_caught(adapter, emulator, make_draft, contract):
    body = _created_exchange(adapter, emulator, make_draft).json()
    contract.check_request("POST", "/api/v3/1003/orders", body)  # what the adapter sent passes

    wrong = copy.deepcopy(body)
    wrong["externalOrderReference"] = "amazon:1"  # a field Ecwid never documented
    missing = {k: v for k, v in body.items() if k != "email"}
    bad_item = copy.deepcopy(body)
    bad_item["items"][0]["colour"] = "blue"
    for request_body in (wrong, missing, bad_item):
        with pytest.raises(ContractError):
            contract.check_request("POST", "/api/v3/1003/orders", request_body)
    with pytest.raises(ContractError):
        contract.check_request("PUT", "/api/v3/1003/orders/ABCDE", {"fulfillmentStatus": "SENT"})


def test_error_answers_follow_the_error_shape(adapter, emulator, contract):
    adapter.check_connection()

    errors = [c for c in emulator.log if c.status and c.status >= 400 and c.fault is None]
    assert {c.status for c in errors} == {400, 404}
    for exchange in errors:
        contract.check_response(exchange.method, exchange.path, exchange.status, exchange.response_json())
    with pytest.raises(ContractError):
        contract.check_response("GET", "/api/v3/1003/orders/X", 404, {"errorMessage": 404})
