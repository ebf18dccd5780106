"""Stock as the source for marketplaces (P1, K2): reads in batches and changes since a cursor."""
from __future__ import annotations

from decimal import Decimal

from marketbridge.adapters import Money, StockLevel


def test_read_stock_of_products_and_variations_in_one_request(adapter, emulator):
    ids = {sku: emulator.marketbridge_id(sku) for sku in ("MB-KETTLE", "MB-TEE-M", "MB-TEE", "MB-RETIRED")}

    levels = adapter.read_stock([*ids.values(), "12345", "nonsense"])

    assert [(lvl.sku, lvl.quantity) for lvl in levels] == [
        ("MB-KETTLE", 15), ("MB-TEE-M", 50), ("MB-TEE", 0), ("MB-RETIRED", 5)]
    assert all(lvl.by_location == {} for lvl in levels)
    assert len(emulator.calls("GET", "/products")) == 1


def test_unlimited_stock_reads_as_none(adapter, emulator):
    emulator.set_stock("MB-TEE-S", None)

    assert adapter.read_stock([emulator.marketbridge_id("MB-TEE-S")]) == [
        StockLevel(emulator.marketbridge_id("MB-TEE-S"), None, sku="MB-TEE-S", price=Money(Decimal("24.00"), "EUR"))]


def test_stock_changes_since_reports_changed_products_only(adapter, emulator, clock):
    clock.advance(hours=1)  # the catalogue was set up long before
    cursor = adapter.stock_changes_since(None).cursor
    clock.advance(minutes=10)
    emulator.set_stock("MB-TEE-L", 9)
    emulator.set_stock("MB-CANDLE", 150)
    clock.advance(minutes=1)

    page = adapter.stock_changes_since(cursor)

    by_sku = {lvl.sku: lvl.quantity for lvl in page.levels}
    assert by_sku == {"MB-TEE": 0, "MB-TEE-S": 35, "MB-TEE-M": 50, "MB-TEE-L": 9, "MB-CANDLE": 150}
    assert page.more is False
    assert emulator.calls("GET", "/products")[-1].query["sortBy"] == ["UPDATED_TIME_ASC"]


def test_stock_moved_by_an_imported_order_is_reported(adapter, emulator, make_draft, clock):
    clock.advance(hours=1)
    cursor = adapter.stock_changes_since(None).cursor
    clock.advance(minutes=5)
    adapter.create_order(make_draft([("MB-BOOK-COOK", 2, "29.95", "3.92")]))
    clock.advance(minutes=1)

    page = adapter.stock_changes_since(cursor)

    assert {lvl.sku: lvl.quantity for lvl in page.levels} == {"MB-BOOK-COOK": 40}


def test_first_stock_call_starts_now(adapter, emulator):
    page = adapter.stock_changes_since(None)

    assert page.levels == () and page.cursor and not emulator.calls("GET", "/products")
