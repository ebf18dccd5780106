"""Product lookup by SKU, EAN attribute or entity id (C5), and the store facts it needs.

* ``GET /V1/store/storeConfigs`` (GetV1StoreStoreConfigs): base currency,
  weight unit (``kgs`` or ``lbs``) and time zone of the store view.
* ``GET /V1/products`` (GetV1Products) with ``sku``/``entity_id``/``<ean attribute>``
  ``in`` a batch. Variants of configurable products are simple products with
  their own SKU, so they match like any product.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from marketbridge.adapters import ProductIdentifier, ShopProduct

from marketbridge_magento.client import MagentoClient
from marketbridge_magento.search import Filter, search_params

LBS_TO_KG = Decimal("0.45359237")
STATUS_ENABLED = 1


@dataclass(frozen=True)
class StoreFacts:
    base_currency: str
    weight_unit: str
    timezone: str = "UTC"  #: the store's local time zone; special price dates are local days (P2)


def store_facts(client: MagentoClient) -> StoreFacts:
    """The configured store view's base currency, weight unit and time zone (``GET /V1/store/storeConfigs``)."""
    configs = client.get("/store/storeConfigs")
    if not isinstance(configs, list):
        raise ValueError("storeConfigs is not a list")
    rows = [c for c in configs if isinstance(c, Mapping)]
    chosen = next((c for c in rows if c.get("code") == client.settings.store_code), {})
    return StoreFacts(str(chosen.get("base_currency_code") or ""), str(chosen.get("weight_unit") or "kgs"),
                      str(chosen.get("timezone") or "UTC"))


def find_products(client: MagentoClient, identifier: ProductIdentifier, values: Sequence[str],
                  weight_unit: str) -> dict[str, ShopProduct]:
    """Match ``values`` of ``identifier`` to products in one search; unmatched values are absent."""
    wanted = [v for v in dict.fromkeys(values) if v]
    if not wanted:
        return {}
    field = {ProductIdentifier.SKU: "sku", ProductIdentifier.PRODUCT_ID: "entity_id",
             ProductIdentifier.EAN: client.settings.ean_attribute}[identifier]
    found = client.get("/products", search_params([[Filter(field, ",".join(wanted), "in")]],
                                                  page_size=max(len(wanted), 1)))
    result: dict[str, ShopProduct] = {}
    lowered = {v.lower(): v for v in wanted}
    for item in found.get("items") or []:
        product = to_shop_product(item, client.settings.ean_attribute, weight_unit)
        key = {ProductIdentifier.SKU: product.sku, ProductIdentifier.PRODUCT_ID: product.product_id,
               ProductIdentifier.EAN: product.ean}[identifier]
        if key is not None and key.lower() in lowered:  # Magento matches SKUs case-insensitively
            result[lowered[key.lower()]] = product
    return result


def to_shop_product(item: Mapping[str, Any], ean_attribute: str, weight_unit: str) -> ShopProduct:
    """A ``catalog-data-product-interface`` as a :class:`ShopProduct` (weight in kg)."""
    stock_item = (item.get("extension_attributes") or {}).get("stock_item") or {}
    stock: int | None = None
    if stock_item and stock_item.get("manage_stock", True):
        stock = int(Decimal(str(stock_item.get("qty") or 0)))
    return ShopProduct(
        product_id=str(item["id"]),
        name=str(item.get("name") or item["sku"]),
        sku=str(item["sku"]),
        ean=custom_attribute(item, ean_attribute),
        active=int(item.get("status") or 0) == STATUS_ENABLED,
        weight=weight_kg(item.get("weight"), weight_unit),
        stock=stock,
    )


def custom_attribute(item: Mapping[str, Any], code: str) -> str | None:
    for attribute in item.get("custom_attributes") or []:
        if attribute.get("attribute_code") == code and attribute.get("value") not in (None, ""):
            return str(attribute["value"])
    return None


def weight_kg(value: Any, unit: str) -> Decimal | None:
    """Magento's weight in the store's unit as kilograms; missing or zero is ``None`` (O4)."""
    try:
        weight = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    if weight is None or weight <= 0:
        return None
    return (weight * LBS_TO_KG).quantize(Decimal("0.001")) if unit.lower().startswith("lb") else weight
