"""The models' static sandbox examples (NOTES.md §10) as test cases.

Every example's response is validated against its own schema; the ones known to be
invalid are listed with the quirk they show. Examples the channel parses go through its
parsing code; request examples of operations the emulator serves are sent through it,
and the documented answer (status, error) must come back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from marketbridge.order import load_order
from marketbridge.testing import ContractError, SpecContract

from marketbridge_amazon.client import AmazonRejected
from marketbridge_amazon.emulator import EmulatedOrder, Item
from marketbridge_amazon.listings import submission_outcome
from marketbridge_amazon.order_mapping import MappingRules, map_order
from marketbridge_amazon.reports import report_state
from marketbridge_amazon.sellers import parse_participations
from marketbridge_amazon.supply_sources import address_key, index_entries

SPECS = Path(__file__).resolve().parents[1] / "specs"
#: The files of NOTES.md §10's table (109 examples) and the Reports addendum (18).
TABLE_FILES = ("ordersV0.json", "orders_2026-01-01.json", "supplySources_2020-07-01.json",
               "listingsItems_2021-08-01.json", "feeds_2021-06-30.json", "merchantFulfillmentV0.json",
               "notifications.json", "catalogItems_2022-04-01.json", "sellers.json", "tokens_2021-03-01.json",
               "shippingV2.json", "fbaInventory.json")
REPORTS_FILE = "reports_2021-06-30.json"

#: Examples that fail their own response schema, with the quirk NOTES.md §10 describes.
KNOWN_INVALID = {
    ("merchantFulfillmentV0.json", "getEligibleShipmentServices", "200", 0): "LabelFormat: '' is not one of",
    ("merchantFulfillmentV0.json", "cancelShipment", "200", 0): "FileType: '' is not one of",
    ("sellers.json", "getAccount", "200", 0): "'defaultCurrencyCode' is a required property",
    ("supplySources_2020-07-01.json", "getSupplySources", "200", 0): "'name' is a required property",
    ("supplySources_2020-07-01.json", "getSupplySource", "200", 0): "'name' is a required property",
    ("supplySources_2020-07-01.json", "updateSupplySource", "204", 0): "'errors' is a required property",
    ("supplySources_2020-07-01.json", "archiveSupplySource", "204", 0): "'errors' is a required property",
    ("supplySources_2020-07-01.json", "updateSupplySourceStatus", "204", 0): "'errors' is a required property",
}


@dataclass(frozen=True)
class Example:
    file: str
    operation: str
    method: str
    template: str
    status: str
    index: int
    request: dict[str, Any]
    response: Any

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.file, self.operation, self.status, self.index)

    def param(self, name: str) -> Any:
        return (self.request.get("parameters", {}).get(name) or {}).get("value")


def _examples(files: tuple[str, ...]) -> Iterator[Example]:
    for name in files:
        document = json.loads((SPECS / name).read_text())
        for template, item in document["paths"].items():
            for method, op in item.items():
                if method not in ("get", "put", "post", "patch", "delete"):
                    continue
                for status, answer in op.get("responses", {}).items():
                    for index, entry in enumerate(answer.get("x-amzn-api-sandbox", {}).get("static", [])):
                        yield Example(name, op["operationId"], method.upper(), template, status, index,
                                      entry.get("request") or {}, entry.get("response"))


ALL = list(_examples(TABLE_FILES + (REPORTS_FILE,)))
_CONTRACTS: dict[str, SpecContract] = {}


def _contract(name: str) -> SpecContract:
    if name not in _CONTRACTS:
        _CONTRACTS[name] = SpecContract.load(SPECS / name)
    return _CONTRACTS[name]


def _examples_of(operation: str, status: str | None = None) -> list[Example]:
    return [e for e in ALL if e.operation == operation and (status is None or e.status == status)]


def test_example_counts_match_the_notes():
    assert len(list(_examples(TABLE_FILES))) == 109
    assert len(list(_examples((REPORTS_FILE,)))) == 18
    assert sum(1 for e in _examples(TABLE_FILES) if e.status.startswith("2")) == 63


@pytest.mark.parametrize("example", ALL, ids=lambda e: f"{e.file}:{e.operation}:{e.status}:{e.index}")
def test_example_response_matches_its_schema_or_is_a_known_quirk(example: Example):
    contract = _contract(example.file)
    op = next(o for o in contract.operations if o.template == example.template and o.method == example.method)
    schema = contract.response_schema(op, int(example.status))
    if example.key in KNOWN_INVALID:
        with pytest.raises(ContractError) as caught:
            contract.validate(schema, example.response, example.operation)
        assert KNOWN_INVALID[example.key] in str(caught.value)
    elif schema is not None and example.response is not None:
        contract.validate(schema, example.response, example.operation)


def test_get_supply_source_example_uses_the_wrong_throughput_unit_case():
    """The other quirk of getSupplySource: ``throughputUnit: "ORDER"`` against the enum value ``Order``."""
    example = _examples_of("getSupplySource", "200")[0]
    throughput = example.response["configuration"]["operationalConfiguration"]["throughputConfig"]
    with pytest.raises(ContractError, match="'ORDER' is not one of"):
        _contract(example.file).validate_definition("ThroughputConfig", throughput)


# -- the channel's parsing ------------------------------------------------------------------
def _rules(store_code_for: dict[str, str] | None = None, currency: str = "USD", gross: bool = False) -> MappingRules:
    lookup = {address_key({"addressLine1": k.split("|")[0], "postalCode": k.split("|")[1],
                           "countryCode": k.split("|")[2]}): v for k, v in (store_code_for or {}).items()}
    return MappingRules(currency=currency, prices_include_tax=gross,
                        resolve_store=lambda address: lookup.get(address_key(address)))


def _orders_2026() -> list[tuple[Example, dict[str, Any]]]:
    found = []
    for example in _examples_of("searchOrders", "200"):
        found += [(example, order) for order in example.response["orders"]]
    for example in _examples_of("getOrder", "200"):
        if example.file == "orders_2026-01-01.json":
            found.append((example, example.response["order"]))
    return found


def test_all_orders_2026_examples_map_to_valid_canonical_orders():
    rules = _rules({"100 Main Street|98101|US": "STORE-SEA-1234"})
    orders = {raw["orderId"]: map_order(raw, rules) for _, raw in _orders_2026()}
    assert len(orders) == 6
    for order in orders.values():
        load_order(order)
        assert order["buyer"]["email"] is None
    jp = orders["250-1234567-8901234"]
    assert jp["fulfilment_channel"] == "marketplace" and jp["status"] == "shipped" and jp["currency"] == "JPY"
    assert "Amazon Prime Order" in jp["tags"] and len(jp["lines"]) == 2 and jp["lines"][1]["quantity"] == 2
    assert Decimal(jp["lines"][1]["unit_price"]["amount"]) == Decimal("6980")
    br = orders["171-2345678-9012345"]
    assert br["flags"]["business"] and br["buyer"]["vat_number"] == "1234567890"
    assert br["notes"]["purchase_order_number"] == "PO-BR-2024-5678" and br["status"] == "unshipped"
    assert br["promise"]["latest_delivery"] == "2024-12-30T23:59:59+00:00"
    ispu = orders["114-9876543-1234567"]
    assert ispu["flags"]["pickup"] and ispu["pickup_store_code"] == "STORE-SEA-1234"
    assert ispu["lines"][0]["tax"]["amount"] == "10.00" and ispu["total"]["amount"] == "49.99"


def test_pickup_example_without_a_known_store_is_not_mapped():
    from marketbridge_amazon.order_mapping import Unmappable

    raw = next(raw for _, raw in _orders_2026() if raw["orderId"] == "114-9876543-1234567")
    with pytest.raises(Unmappable, match="matches none of your pickup stores"):
        map_order(raw, _rules())


def test_marketplace_participations_example_is_read():
    [participation] = parse_participations(_examples_of("getMarketplaceParticipations", "200")[0].response)
    assert (participation.marketplace_id, participation.currency, participation.participating) == (
        "ATVPDKIKX0DER", "USD", True)


def test_listings_submission_examples_are_read():
    outcomes = {e.response["sku"]: submission_outcome(e.response, e.response["sku"])
                for e in _examples_of("patchListingsItem", "200")}
    assert outcomes["GM-ZDPI-9B4E"] == (True, None) and outcomes["VALIDATION_VALID"] == (True, None)
    assert outcomes["VALIDATION_INVALID"][0] is False and "attributes are invalid" in outcomes["VALIDATION_INVALID"][1]


def test_report_examples_are_read():
    state = report_state(_examples_of("getReport", "200")[0].response)
    assert state.status == "IN_PROGRESS" and state.document_id is None


def test_supply_sources_example_builds_the_store_index():
    entries = index_entries(_examples_of("getSupplySources", "200")[0].response)
    assert entries["ed85fcf9-798c-4b63-a47e-8d4f0d273ddb"]["code"] == "owner_s2cs_test_010101_aaaas"


# -- requests through the emulator ------------------------------------------------------------
def _us_order(emulator, clock, order_id: str, item_id: str, programs: list[str]) -> EmulatedOrder:
    created = clock.now() - timedelta(hours=1)
    return emulator.add_order(EmulatedOrder(
        order_id=order_id, seller_id="A3EMULATORSELLER", marketplace_id="ATVPDKIKX0DER",
        marketplace_name="Amazon.com", currency="USD", prices_include_tax=False, fulfilled_by="MERCHANT",
        created=created, items=[Item(item_id, "SKU-1", "B000000001", "Widget", 1, Decimal("10"), Decimal("8"))],
        events=[(created, "UNSHIPPED")], address={"name": "A", "addressLine1": "1 Main St", "city": "Seattle",
                                                   "postalCode": "98101", "countryCode": "US"},
        programs=programs))


def test_confirm_shipment_examples_through_the_emulator(channel, emulator, clock):
    emulator.marketplace_ids = (*emulator.marketplace_ids, "ATVPDKIKX0DER")
    ok, bad = _examples_of("confirmShipment", "204")[0], _examples_of("confirmShipment", "400")[0]
    _us_order(emulator, clock, ok.param("orderId"), "79039765272157", [])
    path = f"/orders/v0/orders/{ok.param('orderId')}/shipmentConfirmation"
    with pytest.raises(AmazonRejected) as caught:
        channel.client.call("confirmShipment", "POST", path, json=bad.param("body"))
    assert caught.value.status == 400 and "ISO 8601" in caught.value.text()
    assert channel.client.call("confirmShipment", "POST", path, json=ok.param("body")).status == 204


def test_update_shipment_status_examples_through_the_emulator(channel, emulator, clock):
    order = _us_order(emulator, clock, "113-0000001-0000001", "11111111111111", ["IN_STORE_PICK_UP"])
    path = f"/orders/v0/orders/{order.order_id}/shipment"
    bad = _examples_of("updateShipmentStatus", "400")[0]
    with pytest.raises(AmazonRejected) as caught:
        channel.client.call("updateShipmentStatus", "POST", path, json=bad.param("body"))
    assert caught.value.errors[0].message == bad.response["errors"][0]["message"]
    assert channel.client.call("updateShipmentStatus", "POST", path, json={
        "marketplaceId": "A1PA6795UKMFR9", "shipmentStatus": "ReadyForPickup"}).status == 204


def test_orders_2026_error_examples_through_the_emulator(channel):
    get_bad = next(e for e in _examples_of("getOrder", "400") if e.file == "orders_2026-01-01.json")
    with pytest.raises(AmazonRejected) as caught:
        channel.client.call("getOrder", "GET", f"/orders/2026-01-01/orders/{get_bad.param('orderId')}")
    assert caught.value.errors[0].code == get_bad.response["errors"][0]["code"]
    search_bad = _examples_of("searchOrders", "400")[0]
    with pytest.raises(AmazonRejected) as caught:
        channel.client.call("searchOrders", "GET", "/orders/2026-01-01/orders",
                            params={"createdAfter": search_bad.param("createdAfter")})
    assert caught.value.errors[0].code == "InvalidInput"


def test_restricted_data_token_examples_through_the_emulator(channel):
    for example in _examples_of("createRestrictedDataToken", "200"):
        answer = channel.client.call("createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken",
                                     json=example.param("body")).body
        assert answer["restrictedDataToken"].startswith("Atz.sprdt|") and answer["expiresIn"] == 3600


@pytest.mark.no_contract
def test_invalid_restricted_data_token_example_is_refused_by_the_emulator(channel):
    """The 400 example's request breaks the request schema on purpose (empty method)."""
    bad = _examples_of("createRestrictedDataToken", "400")[0]
    with pytest.raises(AmazonRejected):
        channel.client.call("createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken",
                            json=bad.param("body"))


def test_create_report_error_example_through_the_emulator(channel):
    bad = _examples_of("createReport", "400")[0]
    with pytest.raises(AmazonRejected) as caught:
        channel.client.call("createReport", "POST", "/reports/2021-06-30/reports", json=bad.param("body"))
    assert caught.value.status == 400
