"""Stock and price: salable quantity per stock, quantity per MSI source, unit price, pickup stores (P1, P2, K2, K4).

* Products by id: ``GET /V1/products`` (``entity_id in …``) gives SKUs, the
  price fields (``price``, ``special_price`` …, see :mod:`.prices`) and, in
  legacy mode, ``extension_attributes.stock_item`` (``qty``, ``manage_stock``).
  Only products that hold stock are read: configurable parents are left out,
  their simple children carry both stock and price under their own ids.
* MSI: ``GET /V1/inventory/source-items`` (``sku in …``) gives each source's
  ``quantity`` and ``status`` (1 in stock); ``GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}``
  gives what Magento will still sell: source quantities minus reservations of
  unshipped orders. Magento Open Source has no batch form of the latter.
* Pickup stores: ``GET /V1/inventory/sources`` where
  ``extension_attributes.is_pickup_location_active`` (In-Store Pickup).
* Ready for pickup (K4): ``POST /V1/order/notify-orders-are-ready-for-pickup``
  ``{"orderIds": [...]}`` (creates the shipment and e-mails the buyer).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from marketbridge.adapters import StockLevel

from marketbridge_magento.client import MagentoClient, ShopRefused, sku_path
from marketbridge_magento.prices import PriceReader
from marketbridge_magento.search import Filter, search_params
from marketbridge_magento.settings import INVENTORY_MSI

SOURCE_IN_STOCK = 1
#: Product types that hold stock themselves; configurable/bundle/grouped parents do not.
STOCK_TYPES = ("simple", "virtual", "downloadable", "giftcard")


@dataclass(frozen=True)
class PickupStore:
    """An MSI source flagged as a pickup location: a Click & Collect store (K2)."""

    source_code: str
    name: str
    city: str | None
    postcode: str | None
    country_id: str | None


@dataclass(frozen=True)
class PickupResult:
    """Answer of "ready for pickup": ``failed`` holds Magento's messages for refused orders."""

    successful: bool
    failed: tuple[str, ...]


def products_by_id(client: MagentoClient, product_ids: Sequence[str]) -> list[Mapping[str, Any]]:
    """The stock-holding products among ``product_ids`` (``GET /V1/products``, ``entity_id in``)."""
    ids = [i for i in dict.fromkeys(product_ids) if i]
    if not ids:
        return []
    found = client.get("/products", search_params([[Filter("entity_id", ",".join(ids), "in")]],
                                                  page_size=len(ids)))
    return [p for p in found.get("items") or [] if str(p.get("id")) in ids and p.get("type_id", "simple") in STOCK_TYPES]


def read_stock(client: MagentoClient, product_ids: Sequence[str], prices: PriceReader) -> list[StockLevel]:
    """Stock of each known product: salable quantity (MSI) or stock item quantity (legacy), and its unit price (P2)."""
    products = products_by_id(client, product_ids)
    if client.settings.inventory_mode != INVENTORY_MSI:
        return [_legacy_level(p, prices) for p in products]
    skus = [str(p["sku"]) for p in products]
    by_source = source_quantities(client, skus)
    levels = []
    for product in products:
        sku = str(product["sku"])
        levels.append(StockLevel(product_id=str(product["id"]), sku=sku,
                                 quantity=salable_quantity(client, sku), by_location=by_source.get(sku, {}),
                                 price=prices.price_of(product)))
    return levels


def _legacy_level(product: Mapping[str, Any], prices: PriceReader) -> StockLevel:
    item = (product.get("extension_attributes") or {}).get("stock_item") or {}
    quantity: int | None = None
    if item.get("manage_stock", True):
        quantity = int(Decimal(str(item.get("qty") or 0))) if item.get("is_in_stock", True) else 0
    return StockLevel(product_id=str(product["id"]), sku=str(product["sku"]), quantity=quantity,
                      price=prices.price_of(product))


def source_quantities(client: MagentoClient, skus: Sequence[str]) -> dict[str, dict[str, int]]:
    """``{sku: {source_code: quantity}}``; a source marked out of stock counts 0."""
    if not skus:
        return {}
    out: dict[str, dict[str, int]] = {}
    page, size = 1, 300
    while True:
        found = client.get("/inventory/source-items", search_params(
            [[Filter("sku", ",".join(skus), "in")]], sort=[("sku", "ASC")], page_size=size, page=page))
        for item in found.get("items") or []:
            quantity = int(Decimal(str(item.get("quantity") or 0))) if item.get("status") == SOURCE_IN_STOCK else 0
            out.setdefault(str(item["sku"]), {})[str(item["source_code"])] = quantity
        if page * size >= int(found.get("total_count") or 0):
            return out
        page += 1


def salable_quantity(client: MagentoClient, sku: str) -> int | None:
    """``GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}``; ``None`` when stock is not managed."""
    try:
        value = client.get(f"/inventory/get-product-salable-quantity/{sku_path(sku)}/{client.settings.stock_id}")
    except ShopRefused as exc:
        if "manage stock" in exc.template.lower() or "not managed" in exc.template.lower():
            return None
        raise
    return max(int(Decimal(str(value))), 0)


def pickup_stores(client: MagentoClient) -> list[PickupStore]:
    """Sources flagged as active pickup locations (``GET /V1/inventory/sources``)."""
    found = client.get("/inventory/sources", search_params([], page_size=300))
    stores = []
    for source in found.get("items") or []:
        extension = source.get("extension_attributes") or {}
        if source.get("enabled", True) and extension.get("is_pickup_location_active"):
            stores.append(PickupStore(str(source["source_code"]), str(extension.get("frontend_name") or source.get("name")),
                                      source.get("city"), source.get("postcode"), source.get("country_id")))
    return stores


def notify_ready_for_pickup(client: MagentoClient, order_ids: Sequence[str]) -> PickupResult:
    """Tell Magento (and so the buyer) that pickup orders wait in store (K4), in one batch."""
    answer = client.post("/order/notify-orders-are-ready-for-pickup", {"orderIds": [int(i) for i in order_ids]})
    failed = answer.get("errors") or answer.get("failed") or []
    return PickupResult(bool(answer.get("successful")), tuple(str(_failure_text(f)) for f in failed))


def _failure_text(failure: Any) -> str:
    if isinstance(failure, Mapping):
        return str(failure.get("message") or failure)
    return str(failure)
