"""Prices read with the stock (P2): gross ``product.price`` in the default currency, variant inheritance,
and price edits found by the stock poll."""
from __future__ import annotations

from decimal import Decimal

from marketbridge.adapters import Money
from marketbridge.clock import FakeClock

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.seed import CURRENCY_EUR, product_id_for
from marketbridge_shopware.ids import derived_id


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def prices(levels: list) -> dict[str, Money | None]:
    return {level.sku: level.price for level in levels}


def test_read_stock_reports_the_gross_price_of_products_and_variants(shop: ShopwareShop,
                                                                     emulator: ShopwareEmulator) -> None:
    emulator.set_price("MB-TEE-L", "26.49")  # a variant with a price of its own
    assert emulator.product_by_number("MB-TEE-S")["price"] is None  # stored without one: inherits
    numbers = ["MB-MUG-BLUE", "MB-BOOK-COOK", "MB-TEE-S", "MB-TEE-L"]
    before_products = len(emulator.calls("POST", "/api/search/product"))
    levels = shop.read_stock([product_id_for(n) for n in numbers])
    assert prices(levels) == {"MB-MUG-BLUE": eur("14.90"), "MB-BOOK-COOK": eur("29.95"),
                              "MB-TEE-S": eur("24.00"), "MB-TEE-L": eur("26.49")}
    assert {level.sku: level.quantity for level in levels} == {"MB-MUG-BLUE": 120, "MB-BOOK-COOK": 42,
                                                               "MB-TEE-S": 35, "MB-TEE-L": 3}
    # one product search (with sw-inheritance) for the whole batch, and no search for the parent
    searches = emulator.calls("POST", "/api/search/product")[before_products:]
    assert len(searches) == 1 and {k.lower(): v for k, v in searches[0].headers.items()}.get("sw-inheritance") == "1"
    assert sorted(searches[0].json()["ids"]) == sorted(product_id_for(n) for n in numbers)
    shop.read_stock([product_id_for("MB-CANDLE")])
    currency_searches = emulator.calls("POST", "/api/search/currency")
    assert len(currency_searches) == 1  # the default currency is looked up once per adapter
    assert currency_searches[0].json()["ids"] == [CURRENCY_EUR]


def test_the_currency_is_the_shops_default_currency_with_its_item_rounding(shop: ShopwareShop,
                                                                           emulator: ShopwareEmulator) -> None:
    default = emulator.store.get("currency", CURRENCY_EUR)
    assert default is not None
    default["isoCode"] = "CHF"  # a Swiss installation: the default currency record holds CHF
    emulator.update_product("MB-KETTLE", price=[
        {"currencyId": derived_id("currency", "USD"), "gross": 45.0, "net": 37.82, "linked": True},
        {"currencyId": CURRENCY_EUR, "gross": 39.004999, "net": 32.78, "linked": True}])
    [level] = shop.read_stock([product_id_for("MB-KETTLE")])
    assert level.price == Money(Decimal("39.00"), "CHF") and str(level.price.amount) == "39.00"


def test_a_product_without_a_default_currency_price_has_no_price(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.update_product("MB-CANDLE", price=[
        {"currencyId": derived_id("currency", "USD"), "gross": 10.5, "net": 8.82, "linked": True}])
    [level] = shop.read_stock([product_id_for("MB-CANDLE")])
    assert (level.sku, level.quantity, level.price) == ("MB-CANDLE", 200, None)


def test_a_price_edit_shows_up_in_the_stock_poll_with_the_new_price(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                                    clock: FakeClock) -> None:
    cursor = shop.stock_changes_since(None).cursor
    clock.advance(60)
    written = emulator.set_price("MB-KETTLE", "42.50")
    assert written["price"] == [{"currencyId": CURRENCY_EUR, "gross": 42.5, "net": 35.71, "linked": True}]
    clock.advance(60)
    page = shop.stock_changes_since(cursor)
    assert [(level.sku, level.quantity, level.price) for level in page.levels] == [("MB-KETTLE", 15, eur("42.50"))]


def test_a_parent_price_edit_reports_the_variants_that_inherit_it(shop: ShopwareShop, emulator: ShopwareEmulator,
                                                                  clock: FakeClock) -> None:
    emulator.set_price("MB-TEE-L", "26.49")
    clock.advance(10 * 60)  # outside the overlap of the next window
    cursor = shop.stock_changes_since(None).cursor
    clock.advance(60)
    emulator.set_price("MB-TEE", "22.00")  # only the parent's updatedAt moves
    assert emulator.product_by_number("MB-TEE-S")["updatedAt"] is None
    clock.advance(60)
    page = shop.stock_changes_since(cursor)
    assert prices(list(page.levels)) == {"MB-TEE": eur("22.00"), "MB-TEE-S": eur("22.00"), "MB-TEE-M": eur("22.00"),
                                         "MB-TEE-L": eur("26.49")}  # its own price stays
    assert len(emulator.calls("POST", "/api/search/product")) == 1  # the same single request


def test_restoring_inheritance_gives_a_variant_its_parents_price_again(shop: ShopwareShop,
                                                                       emulator: ShopwareEmulator) -> None:
    emulator.set_price("MB-TEE-M", "30.00")
    assert prices(shop.read_stock([product_id_for("MB-TEE-M")])) == {"MB-TEE-M": eur("30.00")}
    emulator.set_price("MB-TEE-M", None)
    assert prices(shop.read_stock([product_id_for("MB-TEE-M")])) == {"MB-TEE-M": eur("24.00")}
