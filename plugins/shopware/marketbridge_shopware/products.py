"""Product lookup by the connection's unique identifier (C5), variants included.

``POST /api/search/product`` (``searchProduct``) with an ``equalsAny`` filter on
``productNumber``, ``ean`` or ``id`` and the ``sw-inheritance: 1`` header, so a
variant reports the name, active flag, weight and EAN it inherits from its parent.
Parent products that only hold variants (``childCount > 0``) cannot be sold and
are never matched.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from marketbridge.adapters import ProductIdentifier, ShopProduct

from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.lookups import valid_ids
from marketbridge_shopware.queries import equals_any

FIELDS = {ProductIdentifier.SKU: "productNumber", ProductIdentifier.EAN: "ean", ProductIdentifier.PRODUCT_ID: "id"}


def _weight(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def to_shop_product(row: dict[str, Any]) -> ShopProduct:
    """A product record (read with inheritance) as the engine sees it."""
    translated = row.get("translated") if isinstance(row.get("translated"), dict) else {}
    stock = row.get("stock")
    return ShopProduct(
        product_id=str(row["id"]),
        name=str(translated.get("name") or row.get("name") or row.get("productNumber") or row["id"]),
        sku=row.get("productNumber"), ean=row.get("ean") or None, parent_id=row.get("parentId") or None,
        active=row.get("active") is not False, weight=_weight(row.get("weight")),
        stock=stock if isinstance(stock, int) and not isinstance(stock, bool) else None,
    )


def find_products(api: AdminApi, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
    """Map each value that matches a sellable product to it; see the module docstring."""
    wanted = [v for v in dict.fromkeys(values) if v]
    if identifier is ProductIdentifier.PRODUCT_ID:
        wanted = valid_ids(wanted)
    if not wanted:
        return {}
    field = FIELDS[identifier]
    rows = api.search("product", {"limit": max(len(wanted) * 2, 10), "filter": [equals_any(field, wanted)],
                                  "total-count-mode": "none"}, "searchProduct", inherit=True)
    found: dict[str, ShopProduct] = {}
    for row in sorted(rows, key=lambda r: str(r.get("id"))):
        if not isinstance(row.get("id"), str) or (row.get("childCount") or 0) > 0:
            continue
        key = str(row.get(field) or "")
        if key in wanted and key not in found:
            found[key] = to_shop_product(row)
    return found
