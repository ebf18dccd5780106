"""C5 product matching and P1/K2 stock: products and combinations, weights, stock and its changes."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from marketbridge.adapters import Money, ProductIdentifier, StockLevel
from marketbridge.clock import FakeClock
from marketbridge_prestashop.adapter import PrestaShopAdapter


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


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_read_stock_reads_products_and_combinations_in_one_batch(shop, adapter):
    levels = adapter.read_stock(["1", "3-1", "3", "999", "junk"])
    # "3" has combinations: its price is its default combination's (3-1), as its product page shows first
    assert levels == [StockLevel("1", 120, price=eur("14.90")), StockLevel("3-1", 35, price=eur("24.00")),
                      StockLevel("3", 88, price=eur("24.00"))]
    assert len(shop.calls("GET", "/api/stock_availables")) == 1
    assert len(shop.calls("GET", "/api/products")) == 1 and len(shop.calls("GET", "/api/combinations")) == 1


def test_read_stock_reports_the_tax_included_price_the_shop_computes(shop, adapter):
    """P2: the product's tax-excluded price plus the combination's impact, with the tax rules group's rate."""
    keys = shop.product_keys
    shop.set_price("MB-KETTLE", "30.00")  # tax excluded; tax rules group 1 = 19 %
    shop.set_price_impact("MB-TEE-M", "2.50")  # on the T-shirt's 20.168067 (24.00 with 19 %)
    levels = adapter.read_stock([keys["MB-KETTLE"], keys["MB-TEE-M"], keys["MB-TEE-S"], keys["MB-BOOK-COOK"]])
    assert {level.product_id: level.price for level in levels} == {
        keys["MB-KETTLE"]: eur("35.70"),  # 30.00 × 1.19
        keys["MB-TEE-M"]: eur("26.97"),  # (20.168067 + 2.50) × 1.19 = 26.974999…, rounded by the shop
        keys["MB-TEE-S"]: eur("24.00"),  # no impact
        keys["MB-BOOK-COOK"]: eur("29.95"),  # 27.990654 × 1.07 (tax rules group 2 = 7 %)
    }
    products, = shop.calls("GET", "/api/products")
    combinations, = shop.calls("GET", "/api/combinations")
    for call in (products, combinations):  # the shop computes: taxes on, its default currency, its precision
        assert call.query["price[marketbridge_price][use_tax]"] == ["1"]
        assert call.query["price[marketbridge_price][currency]"] == ["1"]
        assert call.query["price[marketbridge_price][decimals]"] == ["2"]
    assert products.query["filter[id]"] == [f"[{keys['MB-BOOK-COOK']}|{keys['MB-KETTLE']}]"]
    assert products.query["display"] == ["[id,marketbridge_price]"]
    assert combinations.query["filter[id]"] == ["[1|2]"] and \
        combinations.query["display"] == ["[id,id_product,marketbridge_price]"]


def test_the_price_currency_is_the_shops_default_read_once_a_day(shop, adapter, clock):
    shop.store.where("configurations", name="PS_CURRENCY_DEFAULT")[0]["value"] = "3"  # GBP
    assert adapter.read_stock(["1"])[0].price == Money(Decimal("14.90"), "GBP")
    assert shop.calls("GET", "/api/products")[-1].query["price[marketbridge_price][currency]"] == ["3"]
    assert adapter.context.state.get("prestashop:default_currency") == {
        "id": 3, "iso_code": "GBP", "precision": 2, "shop_id": None, "read_at": "2026-11-02T09:00:00+00:00"}
    clock.advance(hours=23)
    adapter.read_stock(["1"])
    PrestaShopAdapter(adapter.context).read_stock(["1"])  # a later job of the same shop: from the adapter state
    assert len(shop.calls("GET", "/api/configurations")) == 1 and len(shop.calls("GET", "/api/currencies/3")) == 1
    clock.advance(hours=2)
    PrestaShopAdapter(adapter.context).read_stock(["1"])
    assert len(shop.calls("GET", "/api/configurations")) == 2


def test_without_the_configurations_permission_stock_flows_without_prices(shop, adapter):
    shop.revoke("configurations")
    assert adapter.read_stock(["1", "3-2"]) == [StockLevel("1", 120), StockLevel("3-2", 50)]
    assert not shop.calls("GET", "/api/products")  # no price is guessed, none is asked for
    assert any("'configurations'" in problem for problem in adapter.check_connection().problems)


def test_read_stock_prefers_the_configured_shops_row_in_multistore(shop, make_adapter):
    shop.store.insert("shops", {"id_shop_group": "1", "id_category": "2", "active": "1", "deleted": "0",
                                "name": "Second shop", "color": "", "theme_name": "classic"}, 2)
    shop.keys[shop.key].shops = {1, 2}
    shop.store.insert("stock_availables", {"id_product": "1", "id_product_attribute": "0", "id_shop": "2",
                                           "id_shop_group": "0", "quantity": "7", "depends_on_stock": "0",
                                           "out_of_stock": "2"})
    assert make_adapter(shop_id="2").read_stock(["1"]) == [StockLevel("1", 7, price=eur("14.90"))]
    assert make_adapter().read_stock(["1"]) == [StockLevel("1", 120, price=eur("14.90"))]
    assert shop.calls("GET", "/api/stock_availables")[0].query["id_shop"] == ["2"]


def test_stock_changes_since_reports_back_office_edits_and_sales(shop, adapter, make_draft, clock):
    clock.advance(minutes=10)  # the catalogue was saved before the first poll's window
    start = adapter.stock_changes_since(None)
    assert start.levels == ()
    clock.advance(minutes=10)
    shop.set_stock("MB-TEE-S", 30)  # the back office also saves the product, so all its combinations come too
    edited = adapter.stock_changes_since(start.cursor)
    assert StockLevel("3-1", 30, price=eur("24.00")) in edited.levels
    assert [level.product_id for level in edited.levels] == ["3", "3-1", "3-2", "3-3"]
    clock.advance(minutes=10)
    adapter.create_order(make_draft())
    sold = adapter.stock_changes_since(edited.cursor)
    assert StockLevel("1", 118, price=eur("14.90")) in sold.levels
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


def test_a_price_edit_is_a_change_with_the_new_price(shop, adapter, clock):
    """P2: saving a product moves products.date_upd; the product and all its combinations are reported."""
    clock.advance(minutes=10)  # the catalogue was saved before the first poll's window
    start = adapter.stock_changes_since(None)
    assert start.levels == ()
    clock.advance(minutes=10)
    shop.set_price("MB-TEE", "25.00")
    edited = adapter.stock_changes_since(start.cursor)
    assert edited.levels == (StockLevel("3", 88, price=eur("29.75")), StockLevel("3-1", 35, price=eur("29.75")),
                             StockLevel("3-2", 50, price=eur("29.75")), StockLevel("3-3", 3, price=eur("29.75")))
    products_window = shop.calls("GET", "/api/products")[1].query  # [0] is the first poll's
    assert products_window["filter[date_upd]"] == ["[2026-11-02 10:05:00,2999-12-31 23:59:59]"]
    assert products_window["date"] == ["1"] and products_window["display"] == ["[id,date_upd]"]
    clock.advance(minutes=10)
    quiet = adapter.stock_changes_since(edited.cursor)
    clock.advance(minutes=10)
    assert adapter.stock_changes_since(quiet.cursor).levels == ()
    shop.set_price_impact("MB-TEE-M", "1.00")  # saved on the combination, which has no date: the full read covers it
    clock.advance(minutes=10)
    assert adapter.stock_changes_since(quiet.cursor).levels == ()
    assert adapter.read_stock(["3-2"])[0].price == eur("30.94")  # (25.00 + 1.00) × 1.19


def test_a_cursor_from_before_price_sync_still_works_and_misses_no_price_edit(shop, adapter, clock):
    old = '{"movements": {"since": "2026-11-02 10:15:00", "skip": 0}, "orders": {"since": "2026-11-02 10:10:00", "skip": 0}}'
    clock.advance(minutes=20)  # the catalogue was saved at 10:00 Paris time, before either window
    shop.set_price("MB-CANDLE", "10.00")
    page = adapter.stock_changes_since(old)
    assert page.levels == (StockLevel(shop.product_keys["MB-CANDLE"], 200, price=eur("11.90")),)
    assert shop.calls("GET", "/api/products")[0].query["filter[date_upd]"][0].startswith("[2026-11-02 10:10:00,")
    assert '"products"' in page.cursor
