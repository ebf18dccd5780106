"""Prices read with the stock (P2) against the emulator, over real HTTP with the fake clock.

The clock starts at 2026-11-02 09:00 UTC, 10:00 in the store's time zone (Europe/Berlin).
"""
from __future__ import annotations

import json
from decimal import Decimal

from marketbridge.adapters import Money

from marketbridge_magento.settings import MagentoSettings


def _id(emulator, sku: str) -> str:
    return str(emulator.shop.product(sku)["id"])


def _price(adapter, emulator, sku: str) -> Money | None:
    [level] = adapter.read_stock([_id(emulator, sku)])
    assert level.sku == sku
    return level.price


def test_simple_product_price_in_the_base_currency(adapter, emulator):
    [level] = adapter.read_stock([_id(emulator, "MB-MUG-BLUE")])
    assert level.price == Money(Decimal("14.90"), "EUR")
    assert level.quantity == 126  # the stock is read as before, from the same product record


def test_price_costs_no_extra_call_and_the_currency_is_read_once(adapter, emulator):
    adapter.read_stock([_id(emulator, "MB-MUG-BLUE"), _id(emulator, "MB-KETTLE")])
    adapter.read_stock([_id(emulator, "MB-CANDLE")])
    assert len(emulator.calls("GET", "/products")) == 2  # one product search per read, as for the stock alone
    assert len(emulator.calls("GET", "/store/storeConfigs")) == 1  # base currency and time zone, cached


def test_currency_is_the_store_views_base_currency(make_adapter, emulator):
    emulator.shop.base_currency = "CHF"
    emulator.set_price("MB-KETTLE", Decimal("42.5"))
    assert _price(make_adapter(), emulator, "MB-KETTLE") == Money(Decimal("42.50"), "CHF")


def test_active_special_price_replaces_the_price(adapter, emulator):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("29.99"),
                       special_from="2026-11-01", special_to="2026-11-02")  # today is its last day
    product = emulator.shop.product("MB-KETTLE")
    assert {"attribute_code": "special_price", "value": "29.990000"} in product["custom_attributes"]
    assert _price(adapter, emulator, "MB-KETTLE") == Money(Decimal("29.99"), "EUR")


def test_expired_special_price_is_ignored(adapter, emulator):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("29.99"),
                       special_from="2026-10-01", special_to="2026-11-01")
    assert _price(adapter, emulator, "MB-KETTLE") == Money(Decimal("39.00"), "EUR")


def test_special_price_window_follows_the_stores_local_day(adapter, emulator, clock):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("29.99"), special_to="2026-11-02")
    emulator.set_price("MB-CANDLE", Decimal("9.90"), special_price=Decimal("7.50"), special_from="2026-11-03")
    kettle, candle = _id(emulator, "MB-KETTLE"), _id(emulator, "MB-CANDLE")
    prices = {lv.sku: lv.price for lv in adapter.read_stock([kettle, candle])}
    assert prices == {"MB-KETTLE": Money(Decimal("29.99"), "EUR"), "MB-CANDLE": Money(Decimal("9.90"), "EUR")}
    clock.advance(hours=13, minutes=30)  # 22:30 UTC: 23:30 in Berlin, still 2 November
    prices = {lv.sku: lv.price for lv in adapter.read_stock([kettle, candle])}
    assert prices == {"MB-KETTLE": Money(Decimal("29.99"), "EUR"), "MB-CANDLE": Money(Decimal("9.90"), "EUR")}
    clock.advance(minutes=45)  # 23:15 UTC: 3 November in Berlin, though still 2 November in UTC
    prices = {lv.sku: lv.price for lv in adapter.read_stock([kettle, candle])}
    assert prices == {"MB-KETTLE": Money(Decimal("39.00"), "EUR"), "MB-CANDLE": Money(Decimal("7.50"), "EUR")}


def test_special_price_above_the_price_does_not_raise_it(adapter, emulator):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("45.00"))  # no dates: always on
    assert _price(adapter, emulator, "MB-KETTLE") == Money(Decimal("39.00"), "EUR")  # Magento takes the minimum


def test_price_is_rounded_to_cents_as_the_storefront_shows_it(adapter, emulator):
    emulator.set_price("MB-KETTLE", Decimal("39.12345"))  # Magento keeps four or more decimals
    assert _price(adapter, emulator, "MB-KETTLE") == Money(Decimal("39.12"), "EUR")


def test_configurable_children_carry_the_price_under_their_own_ids(adapter, emulator):
    emulator.set_price("MB-TEE-L", Decimal("26.00"))
    levels = adapter.read_stock([_id(emulator, s) for s in ("MB-TEE", "MB-TEE-M", "MB-TEE-L")])
    assert [(lv.product_id, lv.sku, lv.price) for lv in levels] == [
        (_id(emulator, "MB-TEE-M"), "MB-TEE-M", Money(Decimal("24.00"), "EUR")),
        (_id(emulator, "MB-TEE-L"), "MB-TEE-L", Money(Decimal("26.00"), "EUR")),
    ]  # the configurable parent holds neither stock nor the price charged


def test_legacy_inventory_reads_the_price_too(make_adapter, emulator):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("31.00"), special_from="2026-11-02")
    [level] = make_adapter(inventory_mode="legacy").read_stock([_id(emulator, "MB-KETTLE")])
    assert (level.quantity, level.price) == (15, Money(Decimal("31.00"), "EUR"))


def test_prices_without_tax_are_not_sent(make_adapter, emulator):
    adapter = make_adapter(prices_include_tax=False)
    [level] = adapter.read_stock([_id(emulator, "MB-MUG-BLUE")])
    assert level.price is None and level.quantity == 126  # unknown tax: no price rather than a net one


def test_prices_include_tax_setting_parses_form_and_text_values():
    assert MagentoSettings.parse({}).prices_include_tax is True  # default: most EU stores
    assert MagentoSettings.parse({"prices_include_tax": False}).prices_include_tax is False
    assert MagentoSettings.parse({"prices_include_tax": "no"}).prices_include_tax is False
    assert MagentoSettings.parse({"prices_include_tax": "true"}).prices_include_tax is True


def test_price_edit_is_reported_by_stock_changes(adapter, emulator, clock):
    clock.advance(minutes=5)
    first = adapter.stock_changes_since(None)
    clock.advance(minutes=10)
    emulator.set_price("MB-TOWEL-SET", Decimal("34.50"), special_price=Decimal("27.60"),
                       special_from="2026-11-02", special_to="2026-11-08")
    clock.advance(minutes=10)
    page = adapter.stock_changes_since(first.cursor)
    assert [(lv.sku, lv.quantity, lv.price) for lv in page.levels] == [
        ("MB-TOWEL-SET", 25, Money(Decimal("27.60"), "EUR"))]


def test_emulator_checkout_charges_the_active_special_price(emulator):
    emulator.set_price("MB-CANDLE", Decimal("9.90"), special_price=Decimal("7.50"), special_from="2026-11-02")
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("29.99"), special_to="2026-11-01")
    candle = emulator.shop.order(emulator.place_web_order("MB-CANDLE", 2))
    kettle = emulator.shop.order(emulator.place_web_order("MB-KETTLE", 1))
    assert [(i["sku"], i["price_incl_tax"]) for i in candle["items"]] == [("MB-CANDLE", 7.5)]
    assert [(i["sku"], i["price_incl_tax"]) for i in kettle["items"]] == [("MB-KETTLE", 39.0)]


def test_product_answer_with_special_price_matches_the_spec(adapter, emulator, contract):
    emulator.set_price("MB-KETTLE", Decimal("39.00"), special_price=Decimal("29.99"),
                       special_from="2026-11-01", special_to="2026-11-30")
    adapter.read_stock([_id(emulator, "MB-KETTLE")])
    [exchange] = emulator.calls("GET", "/products")
    contract.check_exchange(exchange)
    [item] = json.loads(exchange.response_body)["items"]
    assert item["price"] == 39.0
    assert {a["attribute_code"]: a["value"] for a in item["custom_attributes"]}.items() >= {
        "special_price": "29.990000", "special_from_date": "2026-11-01 00:00:00",
        "special_to_date": "2026-11-30 00:00:00"}.items()
