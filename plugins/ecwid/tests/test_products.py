"""Matching products by SKU, EAN and product id (C5), with weights (O4), stock and the active flag."""
from __future__ import annotations

from decimal import Decimal

from marketbridge.adapters import ProductIdentifier
from marketbridge.testing.context import adapter_context

from marketbridge_ecwid.adapter import EcwidShopAdapter
from marketbridge_ecwid.emulator import EcwidEmulator


def test_sku_matches_products_and_variations_exactly(adapter, emulator):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE", "MB-TEE-S", "MB-TEE", "MB-UNKNOWN", "MB-TEE-"])

    assert set(found) == {"MB-MUG-BLUE", "MB-TEE-S", "MB-TEE"}
    tee, size_s = emulator.find_sku("MB-TEE-S")
    variation = found["MB-TEE-S"]
    assert variation.product_id == f"{tee.id}-{size_s.id}" and variation.parent_id == str(tee.id)
    assert variation.name == "Organic T-shirt (S)" and variation.stock == 35 and variation.ean == "4012345000023"
    assert found["MB-TEE"].parent_id is None and found["MB-TEE"].product_id == str(tee.id)
    assert [c.query.get("sku") for c in emulator.calls("GET", "/products")] == [
        ["MB-MUG-BLUE"], ["MB-TEE-S"], ["MB-TEE"], ["MB-UNKNOWN"], ["MB-TEE-"]]


def test_weights_are_kilograms_and_missing_weight_is_none(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-KETTLE", "MB-LAMP-NOWEIGHT", "MB-TEE-L"])

    assert found["MB-KETTLE"].weight == Decimal("1.1")
    assert found["MB-LAMP-NOWEIGHT"].weight is None  # O4: Ecwid says 0, which means none entered
    assert found["MB-TEE-L"].weight == Decimal("0.22")


def test_store_weights_in_pounds_are_converted(clock):
    emulator = EcwidEmulator(clock=clock, weight_unit="POUND").seed_demo()
    emulator.find_sku("MB-KETTLE")[0].weight = 2.5
    with emulator.serve() as server:
        adapter = EcwidShopAdapter(adapter_context(
            settings={"store_id": "1003", "api_url": f"{server.url}/api/v3"},
            secrets={"access_token": emulator.token}, clock=clock))
        found = adapter.find_products(ProductIdentifier.SKU, ["MB-KETTLE"])

    assert found["MB-KETTLE"].weight == Decimal("1.134")


def test_disabled_products_are_reported_inactive_not_hidden(adapter):
    found = adapter.find_products(ProductIdentifier.SKU, ["MB-RETIRED"])

    assert found["MB-RETIRED"].active is False


def test_unlimited_stock_is_reported_as_none(adapter, emulator):
    emulator.set_stock("MB-CANDLE", None)

    assert adapter.find_products(ProductIdentifier.SKU, ["MB-CANDLE"])["MB-CANDLE"].stock is None


def test_ean_matches_the_upc_attribute_of_products_and_variations(adapter, emulator):
    found = adapter.find_products(ProductIdentifier.EAN, ["4006381333955", "04012345000030", "0000000000000"])

    assert found["4006381333955"].sku == "MB-KETTLE"
    assert found["04012345000030"].sku == "MB-TEE-M"  # GTIN-14 with a leading zero
    assert "0000000000000" not in found


def test_product_ids_are_looked_up_in_one_request(adapter, emulator):
    ids = [emulator.marketbridge_id(s) for s in ("MB-MUG-RED", "MB-TEE-M", "MB-BOOK-COOK")]

    found = adapter.find_products(ProductIdentifier.PRODUCT_ID, [*ids, "999", "garbage", "1-x"])

    assert {p.sku for p in found.values()} == {"MB-MUG-RED", "MB-TEE-M", "MB-BOOK-COOK"}
    searches = emulator.calls("GET", "/products")
    assert len(searches) == 1 and len(searches[0].query["productId"][0].split(",")) == 4


def test_large_sku_batches_read_the_catalogue_instead_of_one_request_each(adapter, emulator):
    skus = [f"NOPE-{i}" for i in range(40)] + ["MB-TOWEL-SET"]

    found = adapter.find_products(ProductIdentifier.SKU, skus)

    assert set(found) == {"MB-TOWEL-SET"}
    assert len(emulator.calls("GET", "/products")) == 2  # the count, then the one catalogue page


def test_a_sku_used_by_two_products_matches_neither(adapter, emulator):
    emulator.find_sku("MB-MUG-RED")[0].sku = "MB-MUG-BLUE"

    assert adapter.find_products(ProductIdentifier.SKU, ["MB-MUG-BLUE"]) == {}
