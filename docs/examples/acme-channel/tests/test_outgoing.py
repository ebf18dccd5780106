# tests/test_outgoing.py
"""Shipments, cancellations and stock going to Acme: sent once, refused clearly, recovered after a crash."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pytest

from marketbridge.adapters import NoticeLine, ShipmentNotice, StatusNotice, StockResult, StockUpdate, Store
from marketbridge.errors import DeliveryRejected, TemporaryFailure
from marketbridge.testing import Fault

from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import AcmeEmulator

SHIPPED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def shipment(order_id: str, *, key: str = "shipment:7:S1", carrier: str = "DHL", quantity: int = 1) -> ShipmentNotice:
    return ShipmentNotice(key=key, marketplace_order_id=order_id, lines=(NoticeLine(f"{order_id}-1", quantity),),
                          carrier_code=carrier, tracking_number="00340434161234567890", shipped_at=SHIPPED_AT,
                          package_ref="1")


def test_a_shipment_is_confirmed_with_its_lines_and_key(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    order_id = acme.place_order([("MB-CANDLE", 2)])
    adapter.confirm_shipment(shipment(order_id, quantity=2))
    (sent,) = acme.calls("POST", "/shipments")
    assert sent.headers["Idempotency-Key"] == "shipment:7:S1"
    assert sent.json()["lines"] == [{"item_id": f"{order_id}-1", "quantity": 2}]
    assert acme.orders[order_id]["status"] == "shipped"


def test_sending_a_shipment_again_never_ships_twice(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    order_id = acme.place_order([("MB-CANDLE", 2)])
    acme.faults.add(Fault(kind="after", status=502))  # Acme records the shipment, then the answer is lost
    with pytest.raises(TemporaryFailure):
        adapter.confirm_shipment(shipment(order_id))
    adapter.confirm_shipment(shipment(order_id))  # the engine's retry, with the same key
    assert len(acme.shipments) == 1


@pytest.mark.parametrize(("notice", "reason"), [
    (lambda order_id: shipment(order_id, carrier="OTHER"), "invalid_carrier"),
    (lambda order_id: shipment(order_id, quantity=5), "invalid_lines"),
    (lambda order_id: shipment("ACM-404"), "not_found"),
])
def test_a_shipment_acme_refuses_is_rejected_with_acme_s_reason(acme: AcmeEmulator, adapter: AcmeChannel,
                                                                notice: Callable[[str], ShipmentNotice],
                                                                reason: str) -> None:
    order_id = acme.place_order()
    with pytest.raises(DeliveryRejected) as refused:
        adapter.confirm_shipment(notice(order_id))
    assert f"({reason})" in refused.value.message and acme.shipments == []


def test_was_delivered_reads_back_what_acme_has(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    order_id = acme.place_order([("MB-CANDLE", 2)])
    assert adapter.was_delivered(shipment(order_id)) is False
    adapter.confirm_shipment(shipment(order_id))
    assert adapter.was_delivered(shipment(order_id)) is True
    assert adapter.was_delivered(shipment(order_id, key="shipment:7:S2")) is False
    cancel = StatusNotice(key="status:8:cancelled", marketplace_order_id=acme.place_order(), status="cancelled")
    assert adapter.was_delivered(cancel) is False
    adapter.push_status(cancel)
    assert adapter.was_delivered(cancel) is True


def test_a_cancellation_is_sent_and_other_statuses_are_refused(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    order_id = acme.place_order()
    adapter.push_status(StatusNotice(key="status:8:cancelled", marketplace_order_id=order_id, status="cancelled",
                                     reason="Out of stock"))
    assert acme.orders[order_id]["status"] == "cancelled"
    assert acme.calls("POST", "/cancellation")[0].json() == {"reason": "Out of stock"}
    with pytest.raises(DeliveryRejected):
        adapter.push_status(StatusNotice(key="status:8:ready", marketplace_order_id=order_id,
                                         status="ready_for_pickup"))
    shipped = acme.place_order()
    adapter.confirm_shipment(shipment(shipped))
    with pytest.raises(DeliveryRejected, match="already_shipped"):
        adapter.push_status(StatusNotice(key="status:9:cancelled", marketplace_order_id=shipped,
                                         status="cancelled"))


def test_stock_goes_in_one_call_with_a_result_per_sku(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    submission = adapter.push_stock([StockUpdate("MB-KETTLE", 7), StockUpdate("NOT-LISTED", 1),
                                     StockUpdate("MB-MUG-RED", 2, store_code="BERLIN-1")])
    assert submission.pending_id is None
    assert submission.results == (
        StockResult("MB-KETTLE", True),
        StockResult("NOT-LISTED", False, message="No Acme listing has this SKU."),
        StockResult("MB-MUG-RED", False, store_code="BERLIN-1", message="Acme Market has no pickup stores."))
    assert acme.stock == {"MB-KETTLE": 7} and len(acme.calls("PUT", "/v1/stock")) == 1
    acme.faults.add(Fault(status=422, path="/v1/stock",
                          body='{"error": {"code": "too_many_items", "message": "At most 50 items per call."}}'))
    (refused,) = adapter.push_stock([StockUpdate("MB-KETTLE", 8)]).results
    assert not refused.ok and refused.message is not None and "too_many_items" in refused.message


def test_what_acme_does_not_have_is_refused_without_a_call(acme: AcmeEmulator, adapter: AcmeChannel) -> None:
    store = Store(code="BERLIN-1", name="Berlin", address={"city": "Berlin", "country_code": "DE"},
                  handling_time_minutes=60, hold_days=3)
    for attempt in (lambda: adapter.upsert_store(store, None), lambda: adapter.archive_store("S1"),
                    lambda: adapter.stock_results("feed-1")):
        with pytest.raises(DeliveryRejected):
            attempt()
    assert adapter.carrier_codes() == {"DHL", "DPD", "GLS", "HERMES", "UPS", "OTHER"}
    assert acme.log == []
