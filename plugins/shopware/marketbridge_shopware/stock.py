"""Stock and price reading for the ``stock_source`` policy (P1, K2, P2).

``product.stock`` is Shopware's real-time available stock (6.5+ stock API): orders
lower it, cancellations restore it, and both stamp ``updatedAt`` (``StockStorage::alter``).
:func:`read_stock` reads it in batches by id; :func:`stock_changes_since` pages
through products whose ``updatedAt`` moved since the cursor, with an overlap so a
late write is never missed (``POST /api/search/product``, ``searchProduct``).
Products are read with ``sw-inheritance: 1`` so variants arrive complete.
Warehouse-level stock needs the commercial Multi-Inventory entities, which are not
part of the core API this plugin targets: ``by_location`` stays empty.

The price (P2) comes from the same records: the gross amount of ``product.price`` in
the system default currency (:mod:`marketbridge_shopware.prices`); a variant without
its own price gets its parent's through ``sw-inheritance``. A price edit stamps the
product's ``updatedAt`` like any write, so it is found by the same poll. A variant
that inherits its price does not change when its parent's price does, so the poll also
takes variants whose parent's ``updatedAt`` moved (``parent.updatedAt``, same request).
The default currency's ISO code is looked up once per adapter instance (``searchCurrency``).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Sequence

from marketbridge.adapters import StockLevel, StockPage

from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.cursor import Cursor
from marketbridge_shopware.lookups import Lookups, valid_ids
from marketbridge_shopware.prices import default_gross, unit_price
from marketbridge_shopware.queries import any_of, since

PAGE_SIZE = 100
OVERLAP = timedelta(minutes=5)


def _levels(lookups: Lookups, rows: list[dict[str, Any]]) -> list[StockLevel]:
    rows = [row for row in rows if isinstance(row.get("id"), str)]
    currency = lookups.default_currency() if any(default_gross(row) is not None for row in rows) else None
    levels = []
    for row in rows:
        stock = row.get("stock")
        levels.append(StockLevel(product_id=str(row["id"]),
                                 quantity=stock if isinstance(stock, int) and not isinstance(stock, bool) else None,
                                 sku=row.get("productNumber"), price=unit_price(row, currency)))
    return levels


def read_stock(api: AdminApi, lookups: Lookups, product_ids: Sequence[str]) -> list[StockLevel]:
    """Current stock and gross price of the given products; unknown ids are left out."""
    ids = valid_ids(list(dict.fromkeys(product_ids)))
    if not ids:
        return []
    rows = api.search("product", {"ids": ids, "limit": len(ids)}, "searchProduct", inherit=True)
    return _levels(lookups, rows)


def stock_changes_since(api: AdminApi, lookups: Lookups, cursor: str | None) -> StockPage:
    """Products whose stock or price may have changed since ``cursor`` (``None``: start now)."""
    now = api.context.clock.now()
    if cursor is None:
        return StockPage(levels=(), cursor=Cursor(now, 1, now).dump())
    position = Cursor.load(cursor, now)
    window = position.since - OVERLAP
    rows = api.search("product", {
        "page": position.page, "limit": PAGE_SIZE, "total-count-mode": "none",
        "filter": [any_of(since("updatedAt", window), since("parent.updatedAt", window))],
        "sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "id", "order": "ASC"}],
    }, "searchProduct", inherit=True)
    levels = tuple(_levels(lookups, rows))
    more = len(rows) >= PAGE_SIZE
    return StockPage(levels=levels, cursor=position.next(more).dump(), more=more)
