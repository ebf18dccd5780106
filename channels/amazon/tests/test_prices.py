"""Prices (P2) travel with the quantities: a second ``purchasable_offer`` patch in the same
``patchListingsItem`` call or ``JSON_LISTINGS_FEED`` message, never an extra call, never for a store."""
from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest

from marketbridge.adapters import Money, StockUpdate, Store

from marketbridge_amazon.adapter import AmazonChannel
from marketbridge_amazon.emulator.feeds_routes import apply_patches
from marketbridge_amazon.stock import feed_results

DE = "A1PA6795UKMFR9"
FR = "A13V1IB3VIYZZH"


def availability(*entries: tuple[str, int]) -> dict:
    return {"op": "merge", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": code, "quantity": quantity} for code, quantity in entries]}


def offer(value: float, currency: str = "EUR", marketplace: str = DE) -> dict:
    return {"op": "merge", "path": "/attributes/purchasable_offer",
            "value": [{"marketplace_id": marketplace, "currency": currency, "audience": "ALL",
                       "our_price": [{"schedule": [{"value_with_tax": value}]}]}]}


def sp_api_calls(emulator) -> list:
    return [c for c in emulator.calls() if c.path.startswith(("/listings/", "/feeds/", "/_uploads/"))]


def add_store(channel, code: str = "MB-STORE-MITTE") -> str:
    return channel.upsert_store(Store(code, "Store Mitte", {
        "line1": "Torstraße 2", "city": "Berlin", "postal_code": "10119", "region": "Berlin",
        "country_code": "DE"}, handling_time_minutes=60, hold_days=5), None)


def test_the_channel_declares_price_sync():
    assert AmazonChannel.syncs_prices is True


def test_single_patch_carries_quantity_and_price_in_one_call(channel, emulator):
    submission = channel.push_stock([StockUpdate("MB-KETTLE", 7, price=Money(Decimal("19.99"), "EUR"))])
    assert [(r.sku, r.ok, r.message) for r in submission.results] == [("MB-KETTLE", True, None)]
    calls = sp_api_calls(emulator)
    assert [(c.method, c.path) for c in calls] == [("PATCH", "/listings/2021-08-01/items/A3EMULATORSELLER/MB-KETTLE")]
    assert calls[0].query["marketplaceIds"] == [DE]
    assert calls[0].json() == {"productType": "PRODUCT", "patches": [availability(("DEFAULT", 7)), offer(19.99)]}
    assert emulator.listings["MB-KETTLE"]["DEFAULT"] == 7
    assert emulator.price("MB-KETTLE", DE) == Money(Decimal("19.99"), "EUR")


def test_without_price_only_the_quantity_is_sent(channel, emulator):
    channel.push_stock([StockUpdate("MB-KETTLE", 3)])
    assert emulator.calls("PATCH")[0].json()["patches"] == [availability(("DEFAULT", 3))]
    assert emulator.price("MB-KETTLE", DE) is None


def test_a_price_on_a_store_update_is_never_sent(channel, emulator):
    """K2 + P2: a supply source has a quantity, not a price; only the shop-wide update's price goes out."""
    supply_source_id = add_store(channel)
    results = channel.push_stock([
        StockUpdate("MB-CANDLE", 4, store_code="MB-STORE-MITTE", price=Money(Decimal("99.00"), "EUR")),
        StockUpdate("MB-CANDLE", 150, price=Money(Decimal("12.50"), "EUR")),
        StockUpdate("MB-KETTLE", 2, store_code="MB-STORE-MITTE", price=Money(Decimal("5.00"), "EUR")),
    ]).results
    assert all(r.ok for r in results) and len(results) == 3
    bodies = {c.path.rsplit("/", 1)[1]: c.json() for c in emulator.calls("PATCH")}
    assert bodies == {
        "MB-CANDLE": {"productType": "PRODUCT",
                      "patches": [availability((supply_source_id, 4), ("DEFAULT", 150)), offer(12.5)]},
        "MB-KETTLE": {"productType": "PRODUCT", "patches": [availability((supply_source_id, 2))]},
    }
    assert emulator.price("MB-CANDLE", DE) == Money(Decimal("12.5"), "EUR")
    assert emulator.price("MB-KETTLE", DE) is None


def test_feed_carries_prices_only_for_the_skus_that_have_one(channel, emulator, clock, specs_dir):
    supply_source_id = add_store(channel)
    updates = [StockUpdate("MB-MUG-BLUE", 1, price=Money(Decimal("9.90"), "EUR")),
               StockUpdate("MB-MUG-RED", 2),
               StockUpdate("MB-TEE-S", 3, price=Money(Decimal("0"), "EUR")),
               StockUpdate("MB-TEE-M", 4),
               StockUpdate("MB-TEE-L", 5, store_code="MB-STORE-MITTE", price=Money(Decimal("1.00"), "EUR")),
               StockUpdate("MB-KETTLE", 6, price=Money(Decimal("49"), "EUR"))]
    submission = channel.push_stock(updates)
    assert submission.pending_id and not emulator.calls("PATCH")
    document = json.loads(emulator.calls("PUT", "/_uploads/")[0].body)
    jsonschema.validate(document, json.loads((specs_dir / "listings-feed-schema-v2.json").read_text()))
    assert {m["sku"]: m["patches"] for m in document["messages"]} == {
        "MB-MUG-BLUE": [availability(("DEFAULT", 1)), offer(9.9)],
        "MB-MUG-RED": [availability(("DEFAULT", 2))],
        "MB-TEE-S": [availability(("DEFAULT", 3)), offer(0.0)],
        "MB-TEE-M": [availability(("DEFAULT", 4))],
        "MB-TEE-L": [availability((supply_source_id, 5))],
        "MB-KETTLE": [availability(("DEFAULT", 6)), offer(49.0)],
    }
    assert len([c for c in emulator.calls("POST") if c.path == "/feeds/2021-06-30/feeds"]) == 1
    clock.advance(seconds=61)
    results = channel.stock_results(submission.pending_id)
    assert [(r.sku, r.ok) for r in results] == [(u.sku, True) for u in updates]
    assert {sku: emulator.price(sku, DE) for sku in ("MB-MUG-BLUE", "MB-MUG-RED", "MB-TEE-S", "MB-TEE-L",
                                                     "MB-KETTLE")} == {
        "MB-MUG-BLUE": Money(Decimal("9.9"), "EUR"), "MB-MUG-RED": None, "MB-TEE-S": Money(Decimal("0.0"), "EUR"),
        "MB-TEE-L": None, "MB-KETTLE": Money(Decimal("49.0"), "EUR")}
    assert emulator.listings["MB-KETTLE"]["DEFAULT"] == 6


def test_refused_price_in_a_patch_fails_the_skus_results_and_changes_nothing(channel, emulator):
    supply_source_id = add_store(channel)
    emulator.listings["MB-CANDLE"] = {"DEFAULT": 10}
    results = channel.push_stock([StockUpdate("MB-CANDLE", 4, store_code="MB-STORE-MITTE"),
                                  StockUpdate("MB-CANDLE", 150, price=Money(Decimal("-1.00"), "EUR"))]).results
    assert [(r.sku, r.store_code, r.ok) for r in results] == [("MB-CANDLE", "MB-STORE-MITTE", False),
                                                              ("MB-CANDLE", None, False)]
    assert results[1].message == ("Amazon refused the price for SKU MB-CANDLE: purchasable_offer.our_price "
                                  "value_with_tax -1.0 must be a number of at least 0")
    assert emulator.calls("PATCH")[0].json()["patches"][1] == offer(-1.0)
    assert emulator.listings["MB-CANDLE"] == {"DEFAULT": 10}, "an INVALID submission changes nothing"
    assert supply_source_id not in emulator.listings["MB-CANDLE"]
    assert emulator.price("MB-CANDLE", DE) is None


def test_refused_price_in_a_feed_fails_only_that_sku(channel, emulator, clock):
    updates = [StockUpdate(f"MB-{n}", n) for n in range(6)]
    for update in updates:
        emulator.listings.setdefault(update.sku, {"DEFAULT": 0})
    updates[2] = StockUpdate("MB-2", 2, price=Money(Decimal("19.99"), "EURO"))
    updates[4] = StockUpdate("MB-4", 4, price=Money(Decimal("7.49"), "EUR"))
    submission = channel.push_stock(updates)
    clock.advance(seconds=61)
    results = channel.stock_results(submission.pending_id)
    assert [(r.sku, r.ok) for r in results] == [(u.sku, u.sku != "MB-2") for u in updates]
    assert results[2].message == ("Amazon refused the price for SKU MB-2: purchasable_offer currency 'EURO' "
                                  "must be a 3-letter ISO 4217 code")
    report = json.loads(emulator.documents[emulator.feeds[submission.pending_id]["result"]]["content"])
    assert [(i["sku"], i["attributeName"]) for i in report["issues"]] == [("MB-2", "purchasable_offer")]
    assert emulator.listings["MB-2"]["DEFAULT"] == 0 and emulator.price("MB-2", DE) is None
    assert emulator.listings["MB-4"]["DEFAULT"] == 4 and emulator.price("MB-4", DE) == Money(Decimal("7.49"), "EUR")


@pytest.mark.parametrize("value, problem", [
    ([{"marketplace_id": FR, "currency": "EUR", "our_price": [{"schedule": [{"value_with_tax": 5}]}]}],
     "is not the marketplace of the request"),
    ([{"marketplace_id": DE, "currency": "eur", "our_price": [{"schedule": [{"value_with_tax": 5}]}]}],
     "must be a 3-letter ISO 4217 code"),
    ([{"marketplace_id": DE, "currency": "EUR", "our_price": [{"schedule": [{"value_with_tax": "5.00"}]}]}],
     "must be a number of at least 0"),
    ([{"marketplace_id": DE, "currency": "EUR", "our_price": [{"schedule": [{"value_with_tax": -0.01}]}]}],
     "must be a number of at least 0"),
    ([{"marketplace_id": DE, "currency": "EUR", "our_price": [{"schedule": []}]}], "is required"),
    ([{"marketplace_id": DE, "currency": "EUR"}], "is required"),
    ([], "needs at least one offer"),
])
def test_emulator_refuses_a_malformed_offer_like_amazon(channel, emulator, value, problem):
    """The emulator answers INVALID with an issue on ``purchasable_offer`` (contract-checked like all traffic)."""
    emulator.listings["MB-KETTLE"] = {"DEFAULT": 9}
    body = channel.client.call("patchListingsItem", "PATCH", "/listings/2021-08-01/items/A3EMULATORSELLER/MB-KETTLE",
                               params={"marketplaceIds": [DE]},
                               json={"productType": "PRODUCT", "patches": [
                                   availability(("DEFAULT", 1)),
                                   {"op": "replace", "path": "/attributes/purchasable_offer", "value": value}]}).body
    assert body["status"] == "INVALID"
    [issue] = body["issues"]
    assert issue["attributeNames"] == ["purchasable_offer"] and issue["categories"] == ["INVALID_PRICE"]
    assert problem in issue["message"]
    assert emulator.listings["MB-KETTLE"] == {"DEFAULT": 9} and emulator.price("MB-KETTLE", DE) is None


def test_the_price_merge_keeps_a_sale_price_set_in_seller_central(channel, emulator):
    """Only ``our_price`` is named: the offer's other sub-attributes (a sale price here) stay as they were."""
    sale = {"marketplace_id": DE, "currency": "EUR", "audience": "ALL",
            "our_price": [{"schedule": [{"value_with_tax": 24.0}]}],
            "discounted_price": [{"schedule": [{"value_with_tax": 18.0, "start_at": "2026-11-20",
                                                "end_at": "2026-11-30"}]}]}
    assert apply_patches(emulator, "MB-KETTLE", [{"op": "replace", "path": "/attributes/purchasable_offer",
                                                   "value": [sale]}], [DE]) == []
    channel.push_stock([StockUpdate("MB-KETTLE", 7, price=Money(Decimal("21.99"), "EUR"))])
    kept = emulator.offers["MB-KETTLE"][DE]
    assert kept["discounted_price"] == sale["discounted_price"], "the merchant's sale price is kept"
    assert kept["our_price"] == [{"schedule": [{"value_with_tax": 21.99}]}]
    assert emulator.price("MB-KETTLE", DE) == Money(Decimal("21.99"), "EUR")


def test_offer_replace_keeps_other_marketplaces_offers(channel, emulator):
    emulator.prices["MB-KETTLE"] = {FR: Money(Decimal("21.00"), "EUR")}
    channel.push_stock([StockUpdate("MB-KETTLE", 7, price=Money(Decimal("19.99"), "EUR"))])
    assert emulator.prices["MB-KETTLE"] == {FR: Money(Decimal("21.00"), "EUR"), DE: Money(Decimal("19.99"), "EUR")}


def test_processing_report_example_names_the_price():
    """The model's example report: message 5's issue is on ``purchasable_offer.our_price``, message 4's are not."""
    from pathlib import Path

    report = json.loads((Path(__file__).resolve().parents[1] / "specs"
                         / "listings-feed-processing-report-schema-v2.example.json").read_text())
    results = feed_results(report, [[4, "My-SKU-B", [None]], [5, "My-SKU-C", [None]]])
    assert results[0].message.startswith("Amazon refused the quantity for SKU My-SKU-B: ")
    assert results[1].message.startswith("Amazon refused the price for SKU My-SKU-C: The field")
