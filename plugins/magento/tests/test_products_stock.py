"""Product matching (C5, O4) and stock (P1, K2, K4) against the emulator."""
from __future__ import annotations

from decimal import Decimal

from marketbridge.adapters import ProductIdentifier, ShopOrderRef


def test_find_products_by_sku_includes_variants(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-TEE-M", "mb-candle", "MB-UNKNOWN"])
    assert set(found) == {"MB-TEE-M", "mb-candle"}  # keyed by the values asked for; unknown left out
    tee = found["MB-TEE-M"]
    assert tee.sku == "MB-TEE-M" and tee.weight == Decimal("0.21") and tee.stock == 50 and tee.active
    assert found["mb-candle"].sku == "MB-CANDLE"


def test_find_products_reports_missing_weight_and_disabled(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-LAMP-NOWEIGHT", "MB-RETIRED"])
    assert found["MB-LAMP-NOWEIGHT"].weight is None  # O4: the engine holds when weights are required
    assert found["MB-RETIRED"].active is False


def test_find_products_by_ean_attribute_and_id(adapter, emulator):
    by_ean = adapter.find_products(ProductIdentifier.EAN, ["4006381333955"])
    assert by_ean["4006381333955"].sku == "MB-KETTLE"
    kettle_id = str(emulator.shop.product("MB-KETTLE")["id"])
    assert adapter.find_products(ProductIdentifier.PRODUCT_ID, [kettle_id])[kettle_id].sku == "MB-KETTLE"


def test_weights_in_pounds_become_kilograms(adapter, emulator):
    emulator.shop.weight_unit = "lbs"
    adapter.context.state.delete("store_facts")
    kettle = adapter.find_products(ProductIdentifier.SKU, ["MB-KETTLE"])["MB-KETTLE"]
    assert kettle.weight == Decimal("0.499")  # 1.10 lbs


def test_read_stock_msi_salable_and_per_source(adapter, emulator):
    mug = str(emulator.shop.product("MB-MUG-BLUE")["id"])
    emulator.place_web_order("MB-MUG-BLUE", 4)  # a web-shop sale reserves 4
    [level] = adapter.read_stock([mug, "99999"])  # unknown ids are left out
    assert level.sku == "MB-MUG-BLUE"
    assert level.quantity == 120 + 6 - 4
    assert level.by_location == {"default": 120, "paris-store": 6}  # K2: the pickup store's own stock


def test_read_stock_legacy_mode(make_adapter, emulator):
    adapter = make_adapter(inventory_mode="legacy")
    ids = [str(emulator.shop.product(s)["id"]) for s in ("MB-KETTLE", "MB-TEE")]
    levels = adapter.read_stock(ids)
    assert [(lv.sku, lv.quantity) for lv in levels] == [("MB-KETTLE", 15)]  # the configurable parent has no stock
    assert not emulator.calls("GET", "get-product-salable-quantity")


def test_stock_changes_since_finds_saved_sold_and_shipped_products(adapter, emulator, clock):
    clock.advance(minutes=5)  # the catalogue was seeded at 09:00
    first = adapter.stock_changes_since(None)
    assert first.levels == () and first.cursor == "2026-11-02 09:05:00"
    clock.advance(minutes=10)
    emulator.set_stock("MB-KETTLE", 9)
    order_id = emulator.place_web_order("MB-CANDLE", 2)
    clock.advance(minutes=10)
    page = adapter.stock_changes_since(first.cursor)
    assert {lv.sku: lv.quantity for lv in page.levels} == {"MB-KETTLE": 9, "MB-CANDLE": 200 + 12 - 2}
    assert page.cursor == "2026-11-02 09:25:00" and not page.more
    clock.advance(minutes=10)
    emulator.ship_order(order_id)
    later = adapter.stock_changes_since(page.cursor)
    assert [(lv.sku, lv.by_location["default"]) for lv in later.levels] == [("MB-CANDLE", 198)]


def test_pickup_stores_are_the_pickup_sources(adapter):
    stores = adapter.pickup_stores()
    assert [(s.source_code, s.name, s.city) for s in stores] == [("paris-store", "Marketbridge Paris", "Paris")]


def test_ready_for_pickup_in_one_batch(adapter, emulator, draft_for, order_dict):
    ref = adapter.create_order(draft_for(adapter, order_dict(pickup_store="paris-store")))
    result = adapter.notify_ready_for_pickup([ref, ShopOrderRef("424242")])
    assert result.successful is False
    assert result.failed == ("Order 424242 is not an in-store pickup order.",)
    assert len(emulator.calls("POST", "notify-orders-are-ready-for-pickup")) == 1
    order = emulator.shop.order(int(ref.order_id))
    assert all(i["qty_shipped"] == i["qty_ordered"] for i in order["items"])
    assert emulator.shop.source_items[("MB-MUG-BLUE", "paris-store")]["quantity"] == 4  # shipped from the store
