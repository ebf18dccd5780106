"""Stock reading for the ``stock_source`` policy (P1, K2).

``product.stock`` is Shopware's real-time available stock (6.5+ stock API): orders
lower it, cancellations restore it, and both stamp ``updatedAt`` (``StockStorage::alter``).
:func:`read_stock` reads it in batches by id; :func:`stock_changes_since` pages
through products whose ``updatedAt`` moved since the cursor, with an overlap so a
late write is never missed (``POST /api/search/product``, ``searchProduct``).
Products are read with ``sw-inheritance: 1`` so variants arrive complete.
Warehouse-level stock needs the commercial Multi-Inventory entities, which are not
part of the core API this plugin targets: ``by_location`` stays empty.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Sequence

from marketbridge.adapters import StockLevel, StockPage

from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.cursor import Cursor
from marketbridge_shopware.lookups import valid_ids
from marketbridge_shopware.queries import since

PAGE_SIZE = 100
OVERLAP = timedelta(minutes=5)


def _level(row: dict[str, Any]) -> StockLevel:
    stock = row.get("stock")
    return StockLevel(product_id=str(row["id"]), quantity=stock if isinstance(stock, int) else None,
                      sku=row.get("productNumber"))


def read_stock(api: AdminApi, product_ids: Sequence[str]) -> list[StockLevel]:
    """Current stock of the given products; unknown ids are left out."""
    ids = valid_ids(list(dict.fromkeys(product_ids)))
    if not ids:
        return []
    rows = api.search("product", {"ids": ids, "limit": len(ids)}, "searchProduct", inherit=True)
    return [_level(row) for row in rows if isinstance(row.get("id"), str)]


def stock_changes_since(api: AdminApi, cursor: str | None) -> StockPage:
    """Products whose stock may have changed since ``cursor`` (``None``: start now)."""
    now = api.context.clock.now()
    if cursor is None:
        return StockPage(levels=(), cursor=Cursor(now, 1, now).dump())
    position = Cursor.load(cursor, now)
    rows = api.search("product", {
        "page": position.page, "limit": PAGE_SIZE, "total-count-mode": "none",
        "filter": [since("updatedAt", position.since - OVERLAP)],
        "sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "id", "order": "ASC"}],
    }, "searchProduct", inherit=True)
    levels = tuple(_level(row) for row in rows if isinstance(row.get("id"), str))
    more = len(rows) >= PAGE_SIZE
    return StockPage(levels=levels, cursor=position.next(more).dump(), more=more)
