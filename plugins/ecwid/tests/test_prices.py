"""Prices with the stock (P2): the storefront price of products and variations, over real HTTP.

The emulated store is a German one: base prices entered net, VAT included in
the storefront prices (``taxSettings.taxes[].includeInPrice``), so the demo's
gross prices are what Ecwid displays (``defaultDisplayedPrice``).
"""
from __future__ import annotations

from decimal import Decimal

from marketbridge.adapters import Money

from marketbridge_ecwid.webhooks import parse_webhook


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_read_stock_reports_the_storefront_price_of_products_and_variations(adapter, emulator):
    emulator.set_price("MB-TEE-L", 21.0)  # own base price; MB-TEE-S and MB-TEE-M inherit the product's
    skus = ("MB-KETTLE", "MB-BOOK-COOK", "MB-TEE", "MB-TEE-S", "MB-TEE-L")

    levels = adapter.read_stock([emulator.marketbridge_id(sku) for sku in skus])

    assert [(lvl.sku, lvl.quantity, lvl.price) for lvl in levels] == [
        ("MB-KETTLE", 15, eur("39.00")),  # 32.7731 + 19 % VAT
        ("MB-BOOK-COOK", 42, eur("29.95")),  # 27.9907 + 7 % VAT
        ("MB-TEE", 0, eur("24.00")),
        ("MB-TEE-S", 35, eur("24.00")),  # inherits 20.1681 + 19 %
        ("MB-TEE-L", 3, eur("24.99")),  # 21.00 + 19 %
    ]
    [answer] = emulator.calls("GET", "/products")
    tee = next(p for p in answer.response_json()["items"] if p["sku"] == "MB-TEE")
    assert [(c["sku"], c.get("price"), c["defaultDisplayedPrice"]) for c in tee["combinations"]] == [
        ("MB-TEE-S", None, 24.0), ("MB-TEE-M", None, 24.0), ("MB-TEE-L", 21.0, 24.99)]


def test_prices_cost_no_request_per_product_and_the_profile_is_read_once_an_hour(adapter, emulator, clock):
    ids = [emulator.marketbridge_id(sku) for sku in ("MB-KETTLE", "MB-CANDLE", "MB-TEE-M", "MB-MUG-RED")]

    adapter.read_stock(ids)
    adapter.read_stock(ids)
    assert (len(emulator.calls("GET", "/products")), len(emulator.calls("GET", "/profile"))) == (2, 1)

    clock.advance(minutes=61)
    assert [lvl.price for lvl in adapter.read_stock(ids[:1])] == [eur("39.00")]
    assert (len(emulator.calls("GET", "/products")), len(emulator.calls("GET", "/profile"))) == (3, 2)


def test_unknown_products_read_no_profile(adapter, emulator):
    assert adapter.read_stock(["12345"]) == []
    assert not emulator.calls("GET", "/profile")


def test_variation_without_displayed_price_gets_base_price_plus_included_tax(adapter, emulator):
    emulator.combination_prices = False  # combinations as the 2020 docs show them: no defaultDisplayedPrice
    emulator.set_price("MB-TEE-L", 21.0)

    levels = adapter.read_stock([emulator.marketbridge_id(sku) for sku in ("MB-TEE-S", "MB-TEE-L")])

    assert [(lvl.sku, lvl.price) for lvl in levels] == [
        ("MB-TEE-S", eur("24.00")),  # product's 20.1681 × 1.19 = 23.999… → 24.00
        ("MB-TEE-L", eur("24.99")),  # own 21.00 × 1.19
    ]
    [answer] = emulator.calls("GET", "/products")
    assert all("defaultDisplayedPrice" not in c for p in answer.response_json()["items"] for c in p["combinations"])


def test_no_price_when_taxes_are_added_at_checkout(adapter, emulator):
    emulator.taxes_included = False  # includeInPrice: false — the buyer pays more than the storefront shows

    levels = adapter.read_stock([emulator.marketbridge_id(sku) for sku in ("MB-KETTLE", "MB-TEE-M")])

    assert [(lvl.sku, lvl.quantity, lvl.price) for lvl in levels] == [("MB-KETTLE", 15, None), ("MB-TEE-M", 50, None)]
    [profile] = emulator.calls("GET", "/profile")
    assert [t["includeInPrice"] for t in profile.response_json()["taxSettings"]["taxes"]] == [False, False]


def test_no_price_with_automatic_taxes(adapter, emulator):
    emulator.automatic_taxes = True

    assert [lvl.price for lvl in adapter.read_stock([emulator.marketbridge_id("MB-KETTLE")])] == [None]


def test_a_profile_cached_before_price_sync_is_read_again(adapter, emulator, clock):
    adapter.context.state.set("profile", {"at": clock.now().timestamp(), "profile": {
        "store_id": 1003, "currency": "EUR", "weight_unit": "KILOGRAM", "store_name": "Old cache"}})

    assert [lvl.price for lvl in adapter.read_stock([emulator.marketbridge_id("MB-CANDLE")])] == [eur("9.90")]
    assert len(emulator.calls("GET", "/profile")) == 1


def test_price_edits_are_reported_by_stock_changes_since(adapter, emulator, clock):
    clock.advance(hours=1)  # the catalogue was set up long before
    cursor = adapter.stock_changes_since(None).cursor
    clock.advance(minutes=10)
    emulator.set_price("MB-CANDLE", 9.2437)  # 11.00 with VAT; stock untouched
    emulator.set_price("MB-TEE-M", 21.0)  # a variation gets its own price
    clock.advance(minutes=1)

    page = adapter.stock_changes_since(cursor)

    assert {lvl.sku: (lvl.quantity, lvl.price) for lvl in page.levels} == {
        "MB-CANDLE": (200, eur("11.00")),
        "MB-TEE": (0, eur("24.00")), "MB-TEE-S": (35, eur("24.00")), "MB-TEE-M": (50, eur("24.99")),
        "MB-TEE-L": (3, eur("24.00")),
    }
    assert emulator.calls("GET", "/products")[-1].query["updatedFrom"]


def test_a_product_webhook_brings_the_new_price(adapter, emulator, clock):
    emulator.install_app("mb", "abcde123456789", webhook_url="https://x.example/h")
    emulator.set_price("MB-TEE-S", 22.0)
    call = emulator.outbox.pending()[-1]
    webhook = parse_webhook(call.raw_body, call.headers, client_secret="abcde123456789", now=clock.now(),
                            store_id="1003")

    levels = {lvl.sku: lvl.price for lvl in adapter.stock_for_webhook(webhook)}

    assert levels == {"MB-TEE": eur("24.00"), "MB-TEE-S": eur("26.18"), "MB-TEE-M": eur("24.00"),
                      "MB-TEE-L": eur("24.00")}
