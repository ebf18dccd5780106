"""Product matching by the connection's identifier (C5, O4) and stock reading (P1, K2)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketbridge.adapters import ProductIdentifier
from marketbridge.clock import FakeClock
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS, UNKNOWN_SKU

from marketbridge_shopware import stock
from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.seed import product_id_for

from sw_helpers import draft_for


def test_find_by_sku_reports_variants_weights_stock_and_active_flags(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    skus = [p.sku for p in DEMO_PRODUCTS] + [UNKNOWN_SKU]
    before = len(emulator.calls("POST", "/api/search/product"))
    found = shop.find_products(ProductIdentifier.SKU, skus)
    assert len(emulator.calls("POST", "/api/search/product")) == before + 1  # one batch
    assert UNKNOWN_SKU not in found and "MB-TEE" not in found  # unknown, and a variant container
    variant = found["MB-TEE-M"]
    assert variant.parent_id == product_id_for("MB-TEE") and variant.weight == Decimal("0.21")
    assert (variant.stock, variant.active, variant.ean) == (50, True, "4012345000030")
    assert found["MB-LAMP-NOWEIGHT"].weight is None
    assert found["MB-RETIRED"].active is False
    assert found["MB-MUG-BLUE"].name == "Enamel mug, blue"


def test_variants_inherit_the_parents_disabled_flag(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.update_product("MB-TEE", active=False)
    found = shop.find_products(ProductIdentifier.SKU, ["MB-TEE-S", "MB-TEE-L"])
    assert [found[s].active for s in ("MB-TEE-S", "MB-TEE-L")] == [False, False]


def test_find_by_ean_and_by_product_id(shop: ShopwareShop) -> None:
    by_ean = shop.find_products(ProductIdentifier.EAN, ["4012345000047", "0000000000000"])
    assert list(by_ean) == ["4012345000047"] and by_ean["4012345000047"].sku == "MB-TEE-L"
    wanted = product_id_for("MB-KETTLE")
    by_id = shop.find_products(ProductIdentifier.PRODUCT_ID, [wanted, "not-an-id", "0" * 32])
    assert list(by_id) == [wanted] and by_id[wanted].sku == "MB-KETTLE"
    assert shop.find_products(ProductIdentifier.PRODUCT_ID, ["not-an-id"]) == {}


def test_read_stock_in_one_batch_leaves_unknown_ids_out(shop: ShopwareShop) -> None:
    ids = [product_id_for("MB-CANDLE"), product_id_for("MB-TEE-L"), "0" * 32]
    levels = {level.sku: level.quantity for level in shop.read_stock(ids)}
    assert levels == {"MB-CANDLE": 200, "MB-TEE-L": 3}


def test_stock_changes_come_from_admin_edits_and_orders(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                        clock: FakeClock) -> None:
    first = shop.stock_changes_since(None)
    assert first.levels == () and first.cursor
    clock.advance(60)
    emulator.set_stock("MB-KETTLE", 4)
    shop.create_order(draft_for(shop))
    clock.advance(60)
    page = shop.stock_changes_since(first.cursor)
    changed = {level.sku: level.quantity for level in page.levels}
    assert changed == {"MB-KETTLE": 4, "MB-MUG-BLUE": 118, "MB-TEE-S": 34}
    clock.advance(10 * 60)
    repeat = shop.stock_changes_since(page.cursor)  # still inside the 5-minute overlap: reported again
    assert {level.sku for level in repeat.levels} == set(changed)
    clock.advance(60)
    assert shop.stock_changes_since(repeat.cursor).levels == ()  # outside the overlap now


def test_a_write_just_before_the_cursor_is_still_seen_thanks_to_the_overlap(
        shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    clock.advance(60)
    emulator.set_stock("MB-CANDLE", 7)  # written at 09:01 …
    first = shop.stock_changes_since(None)  # … the window starts at 09:01 too
    clock.advance(30)
    assert [level.sku for level in shop.stock_changes_since(first.cursor).levels] == ["MB-CANDLE"]


def test_stock_changes_page_through_large_windows(shop: ShopwareShop, emulator: ShopwareEmulator, clock: FakeClock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "PAGE_SIZE", 2)
    cursor = shop.stock_changes_since(None).cursor
    clock.advance(60)
    for number, value in (("MB-CANDLE", 1), ("MB-KETTLE", 2), ("MB-TOWEL-SET", 3)):
        emulator.set_stock(number, value)
        clock.advance(1)
    first = shop.stock_changes_since(cursor)
    assert first.more and len(first.levels) == 2
    second = shop.stock_changes_since(first.cursor)
    assert not second.more
    assert {lvl.sku for lvl in first.levels + second.levels} == {"MB-CANDLE", "MB-KETTLE", "MB-TOWEL-SET"}
