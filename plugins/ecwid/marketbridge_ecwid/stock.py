"""Stock of Ecwid products and variations (P1, K2), with the price a buyer sees (P2).

Ecwid has one quantity per product and per combination, or ``unlimited: true``
(then ``quantity`` is omitted); there are no warehouses or locations
(``specs/ecwid/NOTES.md`` "Stock model"). Reads use ``GET /products`` with the
``productId`` list (100 products per request); changes use the same search
with ``updatedFrom``/``updatedTo`` windows: Ecwid updates a product's
``updateTimestamp`` on every change, stock included.

Each level carries the storefront price of the same product record
(:mod:`marketbridge_ecwid.prices`); a price edit updates ``updateTimestamp``
too, so changed prices arrive with :func:`stock_changes_since`. The store's
currency and tax display come from the profile cached for an hour: at most
one ``GET /profile`` per hour, none per product.

Marketbridge never writes stock back with a read-modify-write: orders are
created as PAID with product and combination ids, and Ecwid moves the stock
itself in the same step (see :mod:`marketbridge_ecwid.order_mapping`).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from marketbridge.adapters import StockLevel, StockPage

from marketbridge_ecwid.client import PAGE_SIZE, EcwidClient, int_field, page_items
from marketbridge_ecwid.cursor import search_params, sweep
from marketbridge_ecwid.prices import combination_price, product_price
from marketbridge_ecwid.products import fetch_products, parse_product_id, variation_key
from marketbridge_ecwid.profile import StoreProfile, store_profile


def levels_of(product: Mapping[str, Any], profile: StoreProfile) -> list[StockLevel]:
    """The stock level and price of a product and of each of its combinations (``None`` = unlimited / unknown)."""
    pid = int(product["id"])
    levels = [StockLevel(str(pid), _quantity(product), sku=product.get("sku") or None,
                         price=product_price(product, profile))]
    for combination in product.get("combinations") or ():
        if isinstance(combination, dict) and isinstance(combination.get("id"), (int, float)):
            levels.append(StockLevel(variation_key(pid, int(combination["id"])), _quantity(combination),
                                     sku=combination.get("sku") or None,
                                     price=combination_price(product, combination, profile)))
    return levels


def _quantity(item: Mapping[str, Any]) -> int | None:
    if item.get("unlimited"):
        return None
    quantity = item.get("quantity")
    return int(quantity) if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) else 0


def read_stock(client: EcwidClient, product_ids: Sequence[str]) -> list[StockLevel]:
    """Current stock and price of the given Marketbridge product ids; unknown ids are left out."""
    refs = [r for r in (parse_product_id(i) for i in product_ids) if r is not None]
    products = fetch_products(client, [r.product_id for r in refs])
    if not products:
        return []
    profile = store_profile(client)
    by_key = {level.product_id: level for p in products.values() for level in levels_of(p, profile)}
    return [by_key[r.key] for r in refs if r.key in by_key]


def stock_changes_since(client: EcwidClient, cursor: str | None) -> StockPage:
    """Products whose stock, price (or anything else) changed since ``cursor``, one page of 100 products.

    Uses ``GET /products?updatedFrom=…&updatedTo=…&sortBy=UPDATED_TIME_ASC``;
    each changed product reports itself and all its combinations.
    """
    def fetch(updated_from: int, updated_to: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        page = client.read("/products", operation="search_products", what="read changed products",
                           params=search_params(updated_from, updated_to, offset, PAGE_SIZE,
                                                {"sortBy": "UPDATED_TIME_ASC"}))
        return page_items(page, client.what), int_field(page, "total", client.what)

    result = sweep(cursor, client.context.clock.now(), fetch)
    products = [product for product in result.items if isinstance(product.get("id"), (int, float))]
    levels: tuple[StockLevel, ...] = ()
    if products:
        profile = store_profile(client)
        levels = tuple(level for product in products for level in levels_of(product, profile))
    return StockPage(levels=levels, cursor=result.cursor, more=result.more)
