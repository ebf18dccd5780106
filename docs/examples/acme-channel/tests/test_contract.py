# tests/test_contract.py
"""The contract: the adapter uses every Acme operation as the spec describes it, and the checks bite."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from marketbridge.adapters import FetchRequest, NoticeLine, ShipmentNotice, StatusNotice, StockUpdate
from marketbridge.testing import ContractError, SpecContract

from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import AcmeEmulator

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def test_the_adapter_uses_every_operation_of_the_spec(acme: AcmeEmulator, adapter: AcmeChannel,
                                                      contract: SpecContract) -> None:
    paid, unpaid = acme.place_order(), acme.place_order(paid=False)
    notice = ShipmentNotice("shipment:1:S1", paid, (NoticeLine(f"{paid}-1", 1),), "DHL", "00340434161234567890",
                            NOW, "1")
    adapter.check_connection()
    adapter.fetch_orders(FetchRequest(cursor=None, since=NOW, open_only=True))
    adapter.refresh_orders([unpaid])
    adapter.confirm_shipment(notice)
    adapter.was_delivered(notice)
    adapter.push_status(StatusNotice("status:2:cancelled", unpaid, "cancelled"))
    adapter.push_stock([StockUpdate("MB-CANDLE", 3)])
    used = {contract.operation(exchange.method, exchange.path).operation_id for exchange in acme.log}
    assert used == {operation.operation_id for operation in contract.operations}
    # The acme fixture validates every one of these exchanges against the spec after the test.


def test_the_contract_catches_what_the_real_api_would_not_do(acme: AcmeEmulator, adapter: AcmeChannel,
                                                             contract: SpecContract) -> None:
    acme.place_order()
    adapter.fetch_orders(FetchRequest(cursor=None, since=NOW, open_only=True))
    drifted = copy.deepcopy(acme.calls("GET", "/v1/orders")[0].response_json())
    del drifted["orders"][0]["total_cents"]
    with pytest.raises(ContractError, match="total_cents"):
        contract.check_response("GET", "/v1/orders", 200, drifted)
    with pytest.raises(ContractError, match="tracking_number"):
        contract.check_request("POST", "/v1/orders/ACM-1/shipments", {"carrier": "DHL", "lines": [],
                                                                       "shipped_at": NOW.isoformat()})


def test_the_adapter_offers_exactly_the_spec_s_carriers(adapter: AcmeChannel, contract: SpecContract) -> None:
    assert adapter.carrier_codes() == set(contract.document["components"]["schemas"]["Carrier"]["enum"])
