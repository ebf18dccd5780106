"""The emulator's answers and the adapter's requests checked against the saved spec (``specs/prestashop/``)."""
from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from marketbridge.adapters import ProductIdentifier
from marketbridge.testing import ContractError, Fault, RecordedRequest
from marketbridge_prestashop.contract import WebserviceContract
from marketbridge_prestashop.emulator import DEMO_KEY
from marketbridge_prestashop.spec import load_resources, resources
from marketbridge_prestashop.testing import line, order_dict

SPEC_DIR = Path(__file__).resolve().parents[1] / "specs"
SPEC = SPEC_DIR / "webservice-resources.json"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{DEMO_KEY}:".encode()).decode()}


@pytest.fixture(scope="module")
def contract() -> WebserviceContract:
    if not SPEC.exists():
        pytest.skip("the shared spec folder is not available")
    return WebserviceContract(SPEC)


def exchange(method: str, path: str, *, query: dict | None = None, body: bytes = b"", status: int | None = 200,
             response: bytes = b"", headers: dict | None = None) -> RecordedRequest:
    return RecordedRequest(method=method, path=path, query={k: [v] for k, v in (query or {}).items()},
                           headers=headers if headers is not None else dict(AUTH), body=body, status=status,
                           response_body=response)


def example(name: str) -> bytes:
    return (SPEC_DIR / "examples" / name).read_bytes()


def test_the_shipped_spec_subset_equals_the_saved_spec():
    saved = load_resources(SPEC) if SPEC.exists() else pytest.skip("no shared spec")
    assert {name: saved[name] for name in resources()} == resources()


def test_a_whole_day_of_traffic_follows_the_spec(shop, server, adapter, make_draft, clock, contract):
    """Every exchange of connect, match, import (with Payment error), poll, ship and stock, plus error answers."""
    adapter.check_connection()
    adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE", "MB-TEE-M", "ODD|SKU"])
    adapter.find_products(ProductIdentifier.PRODUCT_ID, ["3-2"])
    draft = make_draft(order_dict(lines=[line("MB-MUG-BLUE", 2, "13.90", "4.44"), line("MB-TEE-M", 1, "24.00", "3.83")],
                                  total={"amount": "56.70", "currency": "EUR"}))
    shop.faults.add(Fault(kind="after", status=504, method="POST", path=r"^/api/orders$"))
    with pytest.raises(Exception):
        adapter.create_order(draft)
    ref = adapter.find_order(draft.external_ref) or adapter.create_order(draft)
    cursor = adapter.changes_since(None).cursor
    clock.advance(minutes=10)
    shop.ship_order(ref.order_id, "00340434161094042557", carrier_reference=3)
    adapter.changes_since(cursor)
    adapter.set_status(ref, "5")
    adapter.read_stock(["1", "3-2"])
    adapter.stock_changes_since(None)
    for params in ({"output_format": "JSON"}, {"output_format": "JSON", "display": "full"}):
        requests.get(f"{server.url}/api/orders", params=params, auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/orders/{ref.order_id}", params={"output_format": "JSON"}, auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/messages", params={"output_format": "JSON", "filter[id]": "[999|999]"},
                 auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/orders/999", auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/orders", params={"filter[date_upd]": "[2026-01-01,2027-01-01]"},
                 auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/addresses", params={"schema": "synopsis"}, auth=(DEMO_KEY, ""))
    requests.get(f"{server.url}/api/addresses", auth=(DEMO_KEY, ""))
    checked = [entry for entry in shop.log if entry.path.startswith("/api") and
               not (entry.query.get("filter[date_upd]") and not entry.query.get("date"))]
    for entry in checked:
        contract.check_exchange(entry)
    assert len(checked) > 60
    statuses = {entry.status for entry in checked}
    assert {200, 201, 404}.issubset(statuses)


@pytest.mark.parametrize("method, path, query, name", [
    ("GET", "/api/orders/1", None, "order.get.xml"),
    ("GET", "/api/order_details/3", None, "order_detail.get.xml"),
    ("GET", "/api/order_histories/1", None, "order_history.get.xml"),
    ("GET", "/api/order_states/1", None, "order_state.get.xml"),
    ("GET", "/api/stock_availables/10", None, "stock_available.get.xml"),
    ("GET", "/api/addresses/1", None, "address.get.xml"),
    ("GET", "/api/addresses", None, "addresses.list.xml"),
    ("GET", "/api/stock_availables", {"filter[id_product]": "27", "display": "full"}, "stock_availables.list.xml"),
    ("GET", "/api/", None, "api-root.xml"),
])
def test_the_real_answers_saved_with_the_spec_pass_the_contract(contract, method, path, query, name):
    contract.check_exchange(exchange(method, path, query=query, response=example(name)))


@pytest.mark.parametrize("method, path, name", [
    ("POST", "/api/messages", "message.post.xml"),
    ("POST", "/api/order_histories", "order_history.post.xml"),
    ("POST", "/api/carts", "cart.post.xml"),
    ("PATCH", "/api/order_carriers/12345", "order_carrier.patch.xml"),
    ("PATCH", "/api/stock_availables/67", "stock_available.patch.xml"),
    ("PATCH", "/api/addresses/1", "address.patch.xml"),
    ("POST", "/api/orders", "order.post.xml"),
])
def test_the_request_bodies_saved_with_the_spec_pass_the_contract(contract, method, path, name):
    body = example(name).replace(b"{idShoppingCart}", b"7")
    contract.check_request(exchange(method, path, body=body, status=None), contract.resources[path.split("/")[2]],
                           None)


def test_the_contract_catches_an_emulator_that_drifts(shop, server, contract, monkeypatch):
    """Let the emulator's own schema drift on purpose: the contract against the saved spec must notice."""
    requests.get(f"{server.url}/api/products/1", auth=(DEMO_KEY, ""))
    contract.check_exchange(shop.log[-1])
    drifted = replace(resources()["products"], blank_fields=resources()["products"].blank_fields + ("amazon_asin",))
    monkeypatch.setitem(resources(), "products", drifted)
    requests.get(f"{server.url}/api/products/1", auth=(DEMO_KEY, ""))
    with pytest.raises(ContractError, match="amazon_asin"):
        contract.check_exchange(shop.log[-1])


@pytest.mark.parametrize("response, status, query, words", [
    (b'<?xml version="1.0"?><prestashop><orders><order><id>1</id><amazon_id>x</amazon_id></order></orders>'
     b'</prestashop>', 200, {"display": "full"}, "no documented field <amazon_id>"),
    (b'<?xml version="1.0"?><prestashop><orders><item id="1"/></orders></prestashop>', 200, {}, "holds <item>"),
    (b'<?xml version="1.0"?><prestashop><orders><order id="1"/></orders></prestashop>', 201, {}, "HTTP 200"),
    (b'{"orders": {}}', 200, {"output_format": "JSON"}, "JSON list"),
    (b"<html>Internal Server Error</html>", 500, {}, "<prestashop><errors>"),
    (b'<?xml version="1.0"?><prestashop><orders><order><id>x</id></order></orders></prestashop>', 200,
     {"display": "full"}, "numeric <id>"),
    (b'<?xml version="1.0"?><prestashop><orders><order><id>1</id><total_paid>12,50</total_paid></order></orders>'
     b'</prestashop>', 200, {"display": "full"}, "fails isPrice"),
], ids=["unknown-field", "wrong-item-node", "wrong-status", "json-shape", "error-shape", "bad-id", "bad-value"])
def test_the_contract_rejects_wrong_answers(contract, response, status, query, words):
    with pytest.raises(ContractError, match=words.replace("(", r"\(").replace("[", r"\[")):
        contract.check_exchange(exchange("GET", "/api/orders", query=query, response=response, status=status))


def test_the_contract_rejects_a_translatable_field_without_languages(contract):
    body = b'<prestashop><product><id>1</id><name><value>Mug</value></name></product></prestashop>'
    with pytest.raises(ContractError, match="translatable"):
        contract.check_exchange(exchange("GET", "/api/products/1", response=body))


VALID_HISTORY = b'<prestashop><order_history><id_order>5</id_order><id_order_state>4</id_order_state>' \
                b'</order_history></prestashop>'


@pytest.mark.parametrize("method, path, query, body, headers, words", [
    ("POST", "/api/order_histories", {}, json.dumps({"order_history": {"id_order": 5}}).encode(), AUTH, "XML"),
    ("POST", "/api/order_histories", {}, VALID_HISTORY.replace(b"<id_order>", b"<id>3</id><id_order>"), AUTH,
     "must not carry an id"),
    ("PATCH", "/api/order_carriers/1", {}, b"<prestashop><order_carrier><tracking_number>X1</tracking_number>"
                                          b"</order_carrier></prestashop>", AUTH, "must carry the object's id"),
    ("POST", "/api/order_histories", {}, VALID_HISTORY.replace(b"<id_order_state>4</id_order_state>", b""), AUTH,
     "required field <id_order_state>"),
    ("POST", "/api/order_histories", {}, VALID_HISTORY.replace(b"5</id_order>", b"five</id_order>"), AUTH,
     "fails isUnsignedId"),
    ("POST", "/api/order_histories", {}, VALID_HISTORY.replace(b"</order_history>", b"<mood>ok</mood></order_history>"),
     AUTH, "no field <mood>"),
    ("GET", "/api/orders", {"filter[amazon_id]": "[1|1]"}, b"", AUTH, "cannot be filtered"),
    ("GET", "/api/orders", {"filter[date_upd]": "[2026-01-01,2027-01-01]"}, b"", AUTH, "needs date=1"),
    ("GET", "/api/orders", {"display": "[id,amazon_id]"}, b"", AUTH, "no field 'amazon_id'"),
    ("GET", "/api/orders", {"page": "2"}, b"", AUTH, "unknown query parameter"),
    ("GET", "/api/orders", {}, b"", {"Authorization": "Basic " + base64.b64encode(f"{DEMO_KEY}:pw".encode()).decode()},
     "empty password"),
    ("POST", "/api/stock_availables", {}, b"<prestashop><stock_available/></prestashop>", AUTH, "not allowed"),
], ids=["json-body", "post-with-id", "patch-without-id", "missing-required", "bad-value", "unknown-field",
        "unknown-filter", "date-without-date1", "unknown-display", "unknown-param", "password", "forbidden-method"])
def test_the_contract_rejects_wrong_requests(contract, method, path, query, body, headers, words):
    with pytest.raises(ContractError, match=words.replace("(", r"\(").replace("[", r"\[")):
        contract.check_exchange(exchange(method, path, query=query, body=body, status=None, headers=headers))


def test_computed_prices_follow_the_spec_and_the_contract_holds_them_to_it(shop, server, adapter, contract):
    """P2: price[<alias>][…] on products and combinations, the alias in display and in the answer."""
    adapter.read_stock(["1", "3-2"])
    priced = [entry for entry in shop.log if any(key.startswith("price[") for key in entry.query)]
    assert {entry.path for entry in priced} == {"/api/products", "/api/combinations"}
    for entry in priced:
        contract.check_exchange(entry)
    single = requests.get(f"{server.url}/api/products/3", auth=(DEMO_KEY, ""),
                          params={"price[ttc][use_tax]": "1", "price[ttc][product_attribute]": "2"})
    assert "<ttc><![CDATA[24.000000]]></ttc>" in single.text
    contract.check_exchange(shop.log[-1])
    for query, words in (({"price[p][use_tax]": "1"}, "products and combinations only"),
                         ({"price[p][with_tax]": "1"}, "not a price parameter")):
        with pytest.raises(ContractError, match=words):
            contract.check_exchange(exchange("GET", "/api/orders" if "use_tax" in str(query) else "/api/products",
                                             query=query, status=None))
    bad = b'<?xml version="1.0"?><prestashop><products><product><id>1</id><p>14,90</p></product></products></prestashop>'
    with pytest.raises(ContractError, match="not a %f amount"):
        contract.check_exchange(exchange("GET", "/api/products", query={"display": "[id,p]", "price[p][use_tax]": "1"},
                                         response=bad))
