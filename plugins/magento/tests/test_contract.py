"""The emulator's answers and the adapter's requests checked against Magento's saved Swagger spec.

Runs every adapter operation (with the refusals it meets) against the
emulator, then validates each recorded exchange with ``SpecContract`` against
``specs/magento/admin-rest.swagger.subset.json`` (basePath ``/rest/default``):
request bodies against the operation's body parameter, answers against the
declared response of their status (``error-response`` for errors).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketbridge.adapters import ProductIdentifier, ShopOrderRef
from marketbridge.errors import AuthenticationFailed, OrderRejected
from marketbridge.testing import ContractError, RecordedRequest

REST = "/rest/default/V1/"
SPECS = Path(__file__).resolve().parents[1] / "specs"
EXAMPLES = SPECS / "examples.supplemental.json"

#: Magento's generated schema declares ``parameters`` as an array of objects, but Magento's
#: ErrorProcessor sends the exception's parameters as they are: an object for named
#: placeholders (``%resources``), a list of strings for ``%1`` (the docs' own example, see
#: ``test_error_schema_defect_is_real``). Error answers are checked against this corrected shape.
ERROR_BODY = {
    "type": "object", "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "parameters": {"anyOf": [{"type": "object", "additionalProperties": {"type": ["string", "number"]}},
                                 {"type": "array", "items": {"type": ["string", "number"]}}]},
        "trace": {"type": ["string", "null"]},
    },
}


def _check_all(emulator, contract) -> set[str]:
    checked = set()
    for exchange in emulator.log:
        if not exchange.path.startswith(REST):
            continue
        operation = contract.operation(exchange.method, exchange.path)
        if exchange.body:
            contract.check_request(exchange.method, exchange.path, exchange.json())
        if exchange.fault is None and exchange.status is not None:
            body = exchange.response_json() if exchange.response_body else None
            if exchange.status >= 400:
                contract.validate(ERROR_BODY, body, f"{operation.operation_id} → {exchange.status}")
            else:
                contract.check_response(exchange.method, exchange.path, exchange.status, body)
        checked.add(f"{exchange.method} {operation.template}")
    return checked


def test_every_exchange_of_a_full_round_matches_the_spec(adapter, emulator, draft_for, order_dict, clock, contract):
    cursor = adapter.changes_since(None).cursor
    assert adapter.check_connection().ok
    ref = adapter.create_order(draft_for(adapter, initial_status="processing"))
    pickup = adapter.create_order(draft_for(adapter, order_dict("303-0000000-0000000", pickup_store="paris-store")))
    adapter.find_order("amazon:302-1234567-1234567")
    adapter.find_products(ProductIdentifier.EAN, ["4006381333955"])
    adapter.list_statuses()
    clock.advance(minutes=5)
    emulator.ship_order(int(ref.order_id), carrier_code="dhl", title="DHL", tracking_number="00340434161094042557")
    adapter.changes_since(cursor)
    adapter.stock_changes_since(cursor)
    adapter.read_stock([str(emulator.shop.product("MB-MUG-BLUE")["id"])])
    adapter.pickup_stores()
    adapter.notify_ready_for_pickup([pickup])
    adapter.set_status(pickup, "holded")
    adapter.set_status(pickup, "processing")
    with pytest.raises(OrderRejected):  # an error answer (400) is in the spec's error-response shape too
        adapter.create_order(draft_for(adapter, order_dict("304-0000000-0000000", phone=None)))

    checked = _check_all(emulator, contract)
    assert {
        "GET /V1/store/storeConfigs", "GET /V1/orders", "GET /V1/orders/{id}", "POST /V1/orders",
        "POST /V1/carts/", "POST /V1/carts/{quoteId}/items", "POST /V1/carts/{cartId}/shipping-information",
        "PUT /V1/carts/{cartId}/order", "POST /V1/orders/{id}/comments", "GET /V1/products", "GET /V1/shipments",
        "GET /V1/inventory/source-items", "GET /V1/inventory/sources",
        "GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}",
        "POST /V1/order/notify-orders-are-ready-for-pickup", "POST /V1/orders/{id}/hold",
        "POST /V1/orders/{id}/unhold",
    } <= checked


def test_authentication_and_not_found_errors_match_the_error_shape(make_adapter, adapter, emulator, contract):
    with pytest.raises(AuthenticationFailed):
        make_adapter(secrets={"access_token": "nope"}).find_order("amazon:1")
    with pytest.raises(OrderRejected):
        adapter.set_status(ShopOrderRef("999"), "holded")
    assert {401, 404} <= {e.status for e in emulator.log}
    _check_all(emulator, contract)
    body = json.loads(emulator.calls("GET", "/orders")[0].response_body)
    assert body == {"message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": "Magento_Sales::sales"}}


def test_error_schema_defect_is_real(contract):
    """The documented error example does not fit the generated schema, and fits the corrected one."""
    example = next(e for e in json.loads(EXAMPLES.read_text())["examples"] if e["name"] == "error_body")
    body = example["response"]["body"]
    with pytest.raises(ContractError):
        contract.validate_definition("error-response", body)
    contract.validate(ERROR_BODY, body, "documented error example")


def test_contract_catches_a_wrong_answer(contract):
    wrong = RecordedRequest(method="GET", path="/rest/default/V1/orders", query={}, headers={}, body=b"", status=200,
                            response_body=json.dumps({"items": [{"entity_id": 1}], "total_count": 1}).encode())
    with pytest.raises(ContractError) as err:
        contract.check_exchange(wrong)  # no search_criteria, and an order without grand_total/items
    assert "GetV1Orders" in str(err.value)


def test_contract_catches_a_wrong_request(contract):
    unwrapped = RecordedRequest(method="POST", path="/rest/default/V1/carts/5/items", query={}, headers={},
                                body=json.dumps({"sku": "MB-CANDLE", "qty": 1}).encode())
    with pytest.raises(ContractError) as err:
        contract.check_exchange(unwrapped)  # Magento wants {"cartItem": {...}}
    assert "cartItem" in str(err.value)
