"""C5 product matching and P1/K2 stock: products and combinations, weights, stock and its changes."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from marketbridge.adapters import ProductIdentifier, StockLevel
from marketbridge.clock import FakeClock


def test_find_products_by_sku_matches_products_and_combinations(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE", "MB-TEE-M", "MB-UNKNOWN", "mb-candle"])
    assert set(found) == {"MB-MUG-BLUE", "MB-TEE-M", "mb-candle"}  # unknown left out, case-insensitive like the shop
    mug, tee_m = found["MB-MUG-BLUE"], found["MB-TEE-M"]
    assert (mug.product_id, mug.parent_id, mug.weight, mug.stock, mug.active) == ("1", None, Decimal("0.35"), 120, True)
    assert (tee_m.product_id, tee_m.parent_id, tee_m.stock) == ("3-2", "3", 50)
    assert tee_m.weight == Decimal("0.21")  # product weight plus the combination's weight impact
    assert tee_m.ean == "4012345000030" and tee_m.name == "Organic T-shirt (MB-TEE-M)"


def test_find_products_reports_missing_weights_and_disabled_products_truthfully(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-LAMP-NOWEIGHT", "MB-RETIRED"])
    assert found["MB-LAMP-NOWEIGHT"].weight is None
    assert found["MB-RETIRED"].active is False


def test_find_products_by_ean_and_by_product_id(adapter):
    by_ean = adapter.find_products(ProductIdentifier.EAN, ["4012345000047", "4006381333955"])
    assert {v.sku for v in by_ean.values()} == {"MB-TEE-L", "MB-KETTLE"}
    by_id = adapter.find_products(ProductIdentifier.PRODUCT_ID, ["3-3", "5", "3-1x", "1-3", "999"])
    assert set(by_id) == {"3-3", "5"}  # "1-3": combination 3 belongs to product 3, not 1
    assert by_id["3-3"].sku == "MB-TEE-L"


def test_weights_follow_the_shop_weight_unit(make_adapter):
    found = make_adapter(weight_unit="g").find_products(ProductIdentifier.SKU, ["MB-KETTLE"])
    assert found["MB-KETTLE"].weight == Decimal("0.0011")


def test_skus_with_filter_syntax_are_still_matched_exactly(shop, adapter):
    shop.store.get("products", 7)["reference"] = "CANDLE|BEE[S]"
    shop.store.get("products", 6)["reference"] = "CANDLE|BEE"
    found = adapter.find_products(ProductIdentifier.SKU, ["CANDLE|BEE[S]", "12,50"])
    assert set(found) == {"CANDLE|BEE[S]"} and found["CANDLE|BEE[S]"].product_id == "7"
    like = shop.calls("GET", "/api/products")[-1].query
    assert like["filter[reference]"] == ["%[CANDLE]%"]


def test_a_single_numeric_looking_value_is_not_read_as_an_interval(shop, adapter):
    shop.store.get("products", 7)["reference"] = "12,50"
    found = adapter.find_products(ProductIdentifier.SKU, ["12,50"])
    assert found["12,50"].product_id == "7"


def test_read_stock_reads_products_and_combinations_in_one_batch(shop, adapter):
    levels = adapter.read_stock(["1", "3-1", "3", "999", "junk"])
    assert levels == [StockLevel("1", 120), StockLevel("3-1", 35), StockLevel("3", 88)]
    assert len(shop.calls("GET", "/api/stock_availables")) == 1


def test_read_stock_prefers_the_configured_shops_row_in_multistore(shop, make_adapter):
    shop.store.insert("shops", {"id_shop_group": "1", "id_category": "2", "active": "1", "deleted": "0",
                                "name": "Second shop", "color": "", "theme_name": "classic"}, 2)
    shop.keys[shop.key].shops = {1, 2}
    shop.store.insert("stock_availables", {"id_product": "1", "id_product_attribute": "0", "id_shop": "2",
                                           "id_shop_group": "0", "quantity": "7", "depends_on_stock": "0",
                                           "out_of_stock": "2"})
    assert make_adapter(shop_id="2").read_stock(["1"]) == [StockLevel("1", 7)]
    assert make_adapter().read_stock(["1"]) == [StockLevel("1", 120)]
    assert shop.calls("GET", "/api/stock_availables")[0].query["id_shop"] == ["2"]


def test_stock_changes_since_reports_back_office_edits_and_sales(shop, adapter, make_draft, clock):
    start = adapter.stock_changes_since(None)
    assert start.levels == ()
    clock.advance(minutes=10)
    shop.set_stock("MB-TEE-S", 30)
    edited = adapter.stock_changes_since(start.cursor)
    assert edited.levels == (StockLevel("3-1", 30),)
    clock.advance(minutes=10)
    adapter.create_order(make_draft())
    sold = adapter.stock_changes_since(edited.cursor)
    assert StockLevel("1", 118) in sold.levels
    clock.advance(minutes=10)
    repeated = adapter.stock_changes_since(sold.cursor)  # the window overlaps the last poll by five minutes
    clock.advance(minutes=10)
    assert adapter.stock_changes_since(repeated.cursor).levels == ()


def test_polling_windows_follow_the_shop_servers_clock(shop, adapter, clock):
    """The next window starts five minutes before the shop's Access-Time, not before our own clock."""
    page = adapter.stock_changes_since(None)
    assert '"since": "2026-11-02 09:55:00"' in page.cursor  # 09:00 UTC is 10:00 in Paris, minus the overlap
    shop.clock = FakeClock(clock.now() + timedelta(hours=1))  # the shop's server runs an hour ahead
    ahead = adapter.stock_changes_since(page.cursor)
    assert '"since": "2026-11-02 10:55:00"' in ahead.cursor
    shop.clock = FakeClock(clock.now() - timedelta(hours=3))  # ...or behind: the window never moves back
    assert '"since": "2026-11-02 10:55:00"' in adapter.stock_changes_since(ahead.cursor).cursor
