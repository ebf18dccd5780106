"""Contract: every request the channel sends and every answer of the emulator match the Swagger 2.0 models.

All other tests run their traffic through the same check at teardown; this one drives every
operation with a rich order mix, validates every searchOrders page, and proves the check is
not vacuous.
"""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from marketbridge.adapters import (LabelRequest, Money, NoticeLine, Parcel, ShipmentNotice, StatusNotice, StockUpdate,
                                   Store)
from marketbridge.testing import ContractError

from marketbridge_amazon.emulator import Mix, OrderGenerator

OPERATIONS = {
    ("GET", "/orders/2026-01-01/orders"), ("GET", "/orders/2026-01-01/orders/{id}"),
    ("POST", "/orders/v0/orders/{id}/shipmentConfirmation"), ("POST", "/orders/v0/orders/{id}/shipment"),
    ("POST", "/tokens/2021-03-01/restrictedDataToken"), ("POST", "/reports/2021-06-30/reports"),
    ("GET", "/reports/2021-06-30/reports/{id}"), ("GET", "/reports/2021-06-30/documents/{id}"),
    ("POST", "/feeds/2021-06-30/documents"), ("POST", "/feeds/2021-06-30/feeds"), ("GET", "/feeds/2021-06-30/feeds/{id}"),
    ("GET", "/feeds/2021-06-30/documents/{id}"), ("PATCH", "/listings/2021-08-01/items/{id}/{id}"),
    ("GET", "/supplySources/2020-07-01/supplySources"), ("POST", "/supplySources/2020-07-01/supplySources"),
    ("PUT", "/supplySources/2020-07-01/supplySources/{id}"),
    ("PUT", "/supplySources/2020-07-01/supplySources/{id}/status"),
    ("DELETE", "/supplySources/2020-07-01/supplySources/{id}"), ("GET", "/sellers/v1/marketplaceParticipations"),
    ("POST", "/shipping/v2/shipments/rates"), ("POST", "/shipping/v2/shipments"),
}


def _shape(path: str) -> str:
    parts = path.split("/")
    for i, part in enumerate(parts):
        if i > 3 and part and part not in ("orders", "shipment", "shipmentConfirmation", "status", "reports",
                                           "documents", "feeds", "items", "supplySources",
                                           "shipments", "rates"):
            parts[i] = "{id}"
    return "/".join(parts)


def test_every_operation_used_is_contract_checked(make_channel, emulator, clock, run_import, traffic_check,
                                                  store_address):
    mix = Mix(malformed=0.02, shipped_share=0.5)
    generator = OrderGenerator("A3EMULATORSELLER", seed=21, mix=mix, stores=[store_address])
    emulator.add_orders(generator.orders(clock.now() - timedelta(days=6), clock.now() - timedelta(hours=1), 400,
                                         now=clock.now()))
    channel = make_channel()
    run = run_import(channel, clock.now() - timedelta(days=6))
    assert run.rejected, "the malformed orders are rejected"
    kinds = {flag for order in run.orders.values() for flag, on in order["flags"].items() if on}
    assert kinds >= {"prime", "pickup", "business", "replacement", "preorder"}

    open_orders = [o for o in run.orders.values() if o["status"] == "unshipped"]
    delivery = next(o for o in open_orders if not o["flags"]["pickup"])
    channel.confirm_shipment(ShipmentNotice(
        "k1", delivery["marketplace_order_id"], tuple(NoticeLine(l["line_id"], l["quantity"]) for l in delivery["lines"]),
        "DHL", "00340434161234567890", clock.now(), "1"))
    pickup = next(o for o in open_orders if o["flags"]["pickup"])
    channel.push_status(StatusNotice("k2", pickup["marketplace_order_id"], "ready_for_pickup"))
    labelled = max((o for o in open_orders if not o["flags"]["pickup"] and o is not delivery),
                   key=lambda o: o["promise"]["latest_delivery"])  # the newest promise: some services can meet it
    quote = channel.label_rates(LabelRequest(
        labelled["marketplace_order_id"], tuple(NoticeLine(l["line_id"], l["quantity"]) for l in labelled["lines"]),
        Parcel(800, Decimal(20), Decimal(15), Decimal(5)),
        {"name": "Lager", "line1": "Weg 2", "city": "Leipzig", "postal_code": "04109", "region": "Sachsen",
         "country_code": "DE"}, Money(Decimal("20.00"), "EUR"), clock.now()))
    channel.buy_label(quote.token, next(r for r in quote.rates if r.eligible).rate_id, "k-label")
    channel.push_stock([StockUpdate("MB-MUG-BLUE", 3)])
    pending = channel.push_stock([StockUpdate(f"MB-{n}", n) for n in range(8)]).pending_id
    clock.advance(seconds=61)
    assert channel.stock_results(pending) is not None
    store = Store("MB-STORE-2", "Second store", {"line1": "Weg 1", "city": "Köln", "postal_code": "50667",
                                                 "region": "NRW", "country_code": "DE"}, 30, 5)
    channel.archive_store(channel.upsert_store(store, None))
    channel.check_connection()
    report_id = channel.request_reconciliation(clock.now() - timedelta(days=1), clock.now() - timedelta(minutes=5))
    clock.advance(seconds=91)
    channel.reconciliation(report_id, [])
    from marketbridge.adapters import FetchRequest
    from marketbridge_amazon.cursor import ImportCursor, ReportJob

    backlog = ImportCursor(phase="updates", report=ReportJob(kind="updated", after=(clock.now() - timedelta(days=1))
                                                             .isoformat(), before=(clock.now() - timedelta(minutes=3))
                                                             .isoformat()))
    page = channel.fetch_orders(FetchRequest(backlog.dumps(), clock.now(), False))
    clock.advance(seconds=91)
    channel.fetch_orders(FetchRequest(page.cursor, clock.now(), False))

    checked = traffic_check(emulator)
    used = {(c.method, _shape(c.path)) for c in emulator.calls() if not c.path.startswith(("/auth", "/_"))}
    assert used == OPERATIONS
    assert checked == len([c for c in emulator.calls() if not c.path.startswith(("/auth", "/_"))])


def test_the_check_catches_a_response_that_breaks_the_model(channel, emulator, traffic_check, clock):
    channel.marketplaces()
    exchange = emulator.calls("GET", "/sellers/v1/marketplaceParticipations")[0]
    body = json.loads(exchange.response_body)
    del body["payload"][0]["marketplace"]["defaultCurrencyCode"]
    exchange.response_body = json.dumps(body).encode()
    with pytest.raises(ContractError, match="defaultCurrencyCode"):
        traffic_check(emulator)
    emulator.log.clear()


def test_the_check_catches_an_undeclared_query_parameter(channel, emulator, traffic_check):
    channel.marketplaces()
    emulator.calls()[-1].query["MarketplaceId"] = ["A1PA6795UKMFR9"]
    with pytest.raises(ContractError, match="undeclared query parameter"):
        traffic_check(emulator)
    emulator.log.clear()
