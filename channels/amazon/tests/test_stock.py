"""Stock pushes (P1, P4, K2): single patches for a few SKUs, one JSON_LISTINGS_FEED for many."""
from __future__ import annotations

import json

import jsonschema
import pytest

from marketbridge.adapters import Store, StockUpdate
from marketbridge.errors import RateLimited

from marketbridge_amazon.stock import feed_results


def test_few_updates_go_out_as_single_patches(channel, emulator):
    submission = channel.push_stock([StockUpdate("MB-MUG-BLUE", 0), StockUpdate("MB-KETTLE", 7)])
    assert submission.pending_id is None
    assert [(r.sku, r.ok) for r in submission.results] == [("MB-MUG-BLUE", True), ("MB-KETTLE", True)]
    assert emulator.listings["MB-MUG-BLUE"]["DEFAULT"] == 0 and emulator.listings["MB-KETTLE"]["DEFAULT"] == 7
    patch = emulator.calls("PATCH")[0]
    assert patch.query["marketplaceIds"] == ["A1PA6795UKMFR9"]
    assert patch.json()["patches"][0]["op"] == "merge" and patch.json()["productType"] == "PRODUCT"


def test_unknown_sku_is_a_failed_result_not_an_error(channel):
    submission = channel.push_stock([StockUpdate("NOT-LISTED", 3)])
    assert submission.results[0].ok is False and "NOT-LISTED" in submission.results[0].message


def test_store_quantity_goes_to_the_stores_supply_source(channel, emulator, store_address):
    """K2: a pickup store's quantity is the store's fulfillment channel; the default stock is kept (merge)."""
    supply_source_id = channel.upsert_store(Store("MB-STORE-MITTE", "Store Mitte", {
        "line1": "Torstraße 2", "city": "Berlin", "postal_code": "10119", "region": "Berlin",
        "country_code": "DE"}, handling_time_minutes=60, hold_days=5), None)
    results = channel.push_stock([StockUpdate("MB-CANDLE", 4, store_code="MB-STORE-MITTE"),
                                  StockUpdate("MB-CANDLE", 150)]).results
    assert all(r.ok for r in results)
    assert emulator.listings["MB-CANDLE"] == {"DEFAULT": 150, supply_source_id: 4}
    assert len(emulator.calls("PATCH")) == 1, "one patch per SKU"


def test_store_not_on_amazon_is_refused_without_a_call(channel, emulator):
    results = channel.push_stock([StockUpdate("MB-CANDLE", 4, store_code="NOWHERE")]).results
    assert results[0].ok is False and "not set up on Amazon" in results[0].message
    assert not emulator.calls("PATCH")


def test_many_updates_become_one_feed_with_per_sku_results(channel, emulator, clock, specs_dir):
    updates = [StockUpdate(sku, n) for n, sku in enumerate(["MB-MUG-BLUE", "MB-MUG-RED", "MB-TEE-S", "MB-TEE-M",
                                                            "MB-TEE-L", "MB-KETTLE", "NOT-LISTED"])]
    submission = channel.push_stock(updates)
    assert submission.pending_id and not submission.results
    assert not emulator.calls("PATCH")
    upload = emulator.calls("PUT", "/_uploads/")[0]
    document = json.loads(upload.body)
    jsonschema.validate(document, json.loads((specs_dir / "listings-feed-schema-v2.json").read_text()))
    assert [m["sku"] for m in document["messages"]] == [u.sku for u in updates]
    assert channel.stock_results(submission.pending_id) is None  # still processing
    clock.advance(seconds=61)
    results = channel.stock_results(submission.pending_id)
    assert {r.sku: r.ok for r in results} == {u.sku: u.sku != "NOT-LISTED" for u in updates}
    assert "does not exist" in next(r.message for r in results if not r.ok)
    assert emulator.listings["MB-KETTLE"]["DEFAULT"] == 5
    report = json.loads(emulator.documents[emulator.feeds[submission.pending_id]["result"]]["content"])
    jsonschema.validate(report, json.loads((specs_dir / "listings-feed-processing-report-schema-v2.json").read_text()))


def test_patch_quota_exhausted_switches_to_the_feed(channel, emulator, clock):
    channel.context.state.set("ratelimit:A3EMULATORSELLER:patchListingsItem",
                              {"rate": 5, "burst": 5, "tokens": 0.0, "at": clock.now().timestamp()})
    submission = channel.push_stock([StockUpdate("MB-MUG-BLUE", 1)])
    assert submission.pending_id and not emulator.calls("PATCH")


def test_feed_quota_exhausted_raises_before_uploading(channel, emulator, clock):
    channel.context.state.set("ratelimit:A3EMULATORSELLER:createFeed",
                              {"rate": 0.0083, "burst": 15, "tokens": 0.0, "at": clock.now().timestamp()})
    with pytest.raises(RateLimited) as caught:
        channel.push_stock([StockUpdate(f"MB-{n}", n) for n in range(10)])
    assert caught.value.retry_after > 100 and not emulator.calls("POST")


def test_processing_report_example_maps_to_results(specs_dir):
    """The model's example processing report: message 4 and 5 have ERROR issues, the others are accepted."""
    report = json.loads((specs_dir / "listings-feed-processing-report-schema-v2.example.json").read_text())
    results = feed_results(report, [[3, "My-SKU-A", [None]], [4, "My-SKU-B", [None]], [5, "My-SKU-C", [None]]])
    assert [(r.sku, r.ok) for r in results] == [("My-SKU-A", True), ("My-SKU-B", False), ("My-SKU-C", False)]
    assert "batteries_required" in results[1].message
