"""Finding shop products by the connection's identifier (C5), combinations included.

A PrestaShop product has ``reference`` (SKU), ``ean13``, ``weight``,
``active`` and a translatable ``name``; each combination (variant) has its own
``reference`` and ``ean13`` and a weight *impact* added to its product's
weight. Searches use ``GET /api/products`` and ``GET /api/combinations`` with
``filter[reference|ean13|id]=[a|b|…]`` (``specs/prestashop/NOTES.md``,
"product by SKU"), then the parents of matched combinations and their
``stock_availables``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from marketbridge.adapters import ProductIdentifier, ShopProduct
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.stock import StockReader, StockRow

PRODUCT_FIELDS = "[id,reference,ean13,active,weight,name]"
COMBINATION_FIELDS = "[id,id_product,reference,ean13,weight]"
_FIELD = {ProductIdentifier.SKU: "reference", ProductIdentifier.EAN: "ean13"}


@dataclass(frozen=True)
class Candidate:
    """A product or combination that carries a searched value."""

    key: ProductKey
    value: str  #: the identifier as the shop stores it
    product: ShopProduct


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal("0")


class Catalog:
    """Product look-ups against ``/api/products`` and ``/api/combinations``."""

    def __init__(self, ws: Webservice, settings: ShopSettings, stock: StockReader) -> None:
        self.ws = ws
        self.settings = settings
        self.stock = stock

    def find(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Map each value that matches a product or combination to it (C5); unmatched values are absent.

        Comparison is case-insensitive, as in the shop itself. When several
        carry the same value, an active one wins, then an exact-case match,
        then the lowest id.
        """
        wanted = [value for value in dict.fromkeys(v.strip() for v in values) if value]
        if not wanted:
            return {}
        if identifier is ProductIdentifier.PRODUCT_ID:
            keys = {value: key for value in wanted if (key := ProductKey.parse(value)) is not None}
            found = self.by_keys(list(keys.values()))
            return {value: found[key] for value, key in keys.items() if key in found}
        candidates = self._search(_FIELD[identifier], wanted)
        result: dict[str, ShopProduct] = {}
        for value in wanted:
            matches = [c for c in candidates if c.value.casefold() == value.casefold()]
            if matches:
                best = min(matches, key=lambda c: (not c.product.active, c.value != value, c.key))
                result[value] = best.product
        return result

    def by_keys(self, keys: Sequence[ProductKey],
                stock_rows: dict[ProductKey, StockRow] | None = None) -> dict[ProductKey, ShopProduct]:
        """The products and combinations named by ``keys`` that exist in the shop (``stock_rows`` if read already)."""
        if not keys:
            return {}
        products = self._products(sorted({k.product for k in keys}))
        attributes = sorted({k.attribute for k in keys if k.is_combination})
        combinations = self._select("combinations", COMBINATION_FIELDS, "id", [str(a) for a in attributes])
        stock = stock_rows if stock_rows is not None else self.stock.rows(products)
        built: dict[ProductKey, ShopProduct] = {}
        for key in keys:
            parent = products.get(key.product)
            if parent is None:
                continue
            if not key.is_combination:
                built[key] = self._product(parent, stock)
                continue
            combination = next((c for c in combinations if str(c.get("id")) == str(key.attribute)
                                and str(c.get("id_product")) == str(key.product)), None)
            if combination is not None:
                built[key] = self._combination(combination, parent, stock)
        return built

    # -- internals ----------------------------------------------------------
    def _search(self, field: str, values: list[str]) -> list[Candidate]:
        product_rows = self._select("products", PRODUCT_FIELDS, field, values)
        combination_rows = self._select("combinations", COMBINATION_FIELDS, field, values)
        parents = self._products(sorted({int(r["id_product"]) for r in combination_rows}
                                        | {int(r["id"]) for r in product_rows}), known=product_rows)
        stock = self.stock.rows(parents)
        candidates = [Candidate(ProductKey(int(row["id"])), str(row.get(field, "")), self._product(row, stock))
                      for row in product_rows]
        for row in combination_rows:
            parent = parents.get(int(row["id_product"]))
            if parent is not None:
                key = ProductKey(int(row["id_product"]), int(row["id"]))
                candidates.append(Candidate(key, str(row.get(field, "")), self._combination(row, parent, stock)))
        return candidates

    def _select(self, resource: str, display: str, field: str, values: Sequence[str]) -> list[dict[str, Any]]:
        """Rows whose ``field`` equals one of ``values`` (exact-safe values batched, others by LIKE)."""
        if not values:
            return []
        safe = [v for v in values if filters.exact_safe(v)]
        rows: list[dict[str, Any]] = []
        for batch in filters.chunks(safe, 100):
            rows.extend(self.ws.select_all(resource, display=display, filters={field: filters.any_of(batch)}))
        for value in values:
            if value in safe:
                continue
            pattern = filters.contains(value)
            if pattern is not None:
                rows.extend(row for row in self.ws.select_all(resource, display=display, filters={field: pattern})
                            if str(row.get(field, "")).casefold() == value.casefold())
        unique = {str(row.get("id")): row for row in rows}
        return list(unique.values())

    def _products(self, ids: Sequence[int], known: Sequence[dict[str, Any]] = ()) -> dict[int, dict[str, Any]]:
        products = {int(row["id"]): row for row in known}
        missing = [str(i) for i in ids if i not in products]
        for row in self._select("products", PRODUCT_FIELDS, "id", missing):
            products[int(row["id"])] = row
        return {i: products[i] for i in ids if i in products}

    def _name(self, row: dict[str, Any]) -> str:
        name = row.get("name", "")
        if isinstance(name, dict):
            return name.get(str(self.settings.language_id)) or next((v for v in name.values() if v), "")
        return str(name)

    def _kilograms(self, weight: Decimal) -> Decimal | None:
        if weight <= 0:
            return None
        return (weight * self.settings.weight_factor).normalize()

    def _product(self, row: dict[str, Any], stock: dict[ProductKey, StockRow]) -> ShopProduct:
        key = ProductKey(int(row["id"]))
        level = stock.get(key)
        return ShopProduct(product_id=str(key), name=self._name(row), sku=row.get("reference") or None,
                           ean=row.get("ean13") or None, active=str(row.get("active")) == "1",
                           weight=self._kilograms(_decimal(row.get("weight"))),
                           stock=level.quantity if level else None)

    def _combination(self, row: dict[str, Any], parent: dict[str, Any],
                     stock: dict[ProductKey, StockRow]) -> ShopProduct:
        key = ProductKey(int(parent["id"]), int(row["id"]))
        level = stock.get(key)
        reference = row.get("reference") or None
        name = self._name(parent)
        return ShopProduct(product_id=str(key), name=f"{name} ({reference})" if reference else name,
                           sku=reference, ean=row.get("ean13") or None, parent_id=str(key.product),
                           active=str(parent.get("active")) == "1",
                           weight=self._kilograms(_decimal(parent.get("weight")) + _decimal(row.get("weight"))),
                           stock=level.quantity if level else None)
