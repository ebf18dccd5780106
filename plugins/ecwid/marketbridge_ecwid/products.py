"""Ecwid products and their variations as :class:`~marketbridge.adapters.ShopProduct` values.

Ecwid models variants as ``combinations`` of a product (``specs/ecwid/NOTES.md``,
"product by SKU"). Marketbridge treats each combination as a product of its
own, with a composite id ``"{productId}-{combinationId}"`` and the product as
``parent_id``; a product without combinations keeps its plain numeric id.

Look-ups (C5):

* **SKU** – ``GET /products?sku=…`` matches the product *or* a variation SKU
  exactly (other filters are ignored). For large batches the catalogue is read
  page by page instead, whichever costs fewer requests.
* **EAN** – Ecwid has no EAN filter; the EAN/UPC/GTIN lives in the product or
  variation attribute of type ``UPC``, so the catalogue is read page by page.
* **Product id** – ``GET /products?productId=1,2,3`` returns many products in
  one request.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from marketbridge.adapters import ProductIdentifier, ShopProduct

from marketbridge_ecwid.client import PAGE_SIZE, EcwidClient, page_items
from marketbridge_ecwid.profile import StoreProfile

log = logging.getLogger(__name__)

#: Above this many SKUs a catalogue read is considered instead of one request per SKU.
SKU_SCAN_THRESHOLD = 25


@dataclass(frozen=True)
class ProductRef:
    """A parsed Marketbridge product id: the Ecwid product and, for a variation, its combination."""

    product_id: int
    combination_id: int | None = None

    @property
    def key(self) -> str:
        return variation_key(self.product_id, self.combination_id)


def variation_key(product_id: int, combination_id: int | None) -> str:
    """The Marketbridge id of a product (``"123"``) or variation (``"123-456"``)."""
    return str(product_id) if combination_id is None else f"{product_id}-{combination_id}"


def parse_product_id(value: str) -> ProductRef | None:
    """Parse ``"123"`` or ``"123-456"``; ``None`` for anything else."""
    head, _, tail = str(value).strip().partition("-")
    if not head.isdigit() or (tail and not tail.isdigit()):
        return None
    return ProductRef(int(head), int(tail) if tail else None)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _stock(item: Mapping[str, Any]) -> int | None:
    """Quantity of a product or combination; ``None`` when ``unlimited`` (Ecwid omits ``quantity`` then)."""
    if item.get("unlimited"):
        return None
    quantity = _number(item.get("quantity"))
    return int(quantity) if quantity is not None else None


def _ean(item: Mapping[str, Any]) -> str | None:
    """The value of the ``UPC``-type attribute (Ecwid's field for UPC/EAN/GTIN/ISBN)."""
    for attribute in item.get("attributes") or ():
        if isinstance(attribute, dict) and attribute.get("type") == "UPC" and attribute.get("value"):
            return str(attribute["value"]).strip()
    return None


def _option_text(combination: Mapping[str, Any]) -> str:
    values = [str(o.get("value")) for o in combination.get("options") or () if isinstance(o, dict) and o.get("value")]
    return ", ".join(values)


def shop_products(product: Mapping[str, Any], profile: StoreProfile) -> list[ShopProduct]:
    """The product and each of its combinations as ``ShopProduct`` values.

    Weight is converted to kilograms (a variation without its own weight has
    the product's); ``stock`` is ``None`` for unlimited stock; a variation is
    active when its product is enabled.
    """
    pid = int(product["id"])
    name = str(product.get("name") or product.get("sku") or pid)
    active = bool(product.get("enabled", True))
    product_weight = product.get("weight")
    found = [ShopProduct(
        product_id=str(pid), name=name, sku=product.get("sku") or None, ean=_ean(product), active=active,
        weight=profile.to_kg(product_weight), stock=_stock(product),
    )]
    for combination in product.get("combinations") or ():
        if not isinstance(combination, dict) or not isinstance(combination.get("id"), (int, float)):
            continue
        options = _option_text(combination)
        own_weight = combination.get("weight")
        found.append(ShopProduct(
            product_id=variation_key(pid, int(combination["id"])),
            name=f"{name} ({options})" if options else name,
            sku=combination.get("sku") or None,
            ean=_ean(combination),
            parent_id=str(pid),
            active=active,
            weight=profile.to_kg(own_weight if _number(own_weight) else product_weight),
            stock=_stock(combination),
        ))
    return found


def _valid(products: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for product in products:
        if isinstance(product.get("id"), (int, float)) and not isinstance(product.get("id"), bool):
            yield product


def fetch_products(client: EcwidClient, product_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``GET /products?productId=a,b,c`` in chunks of 100: the raw products by id; unknown ids are absent."""
    wanted = sorted(set(product_ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), PAGE_SIZE):
        chunk = wanted[start:start + PAGE_SIZE]
        for product in _valid(client.pages("/products", operation="search_products", what="read products",
                                           params={"productId": ",".join(map(str, chunk))})):
            found[int(product["id"])] = product
    return found


def _by_sku_one(client: EcwidClient, sku: str) -> list[dict[str, Any]]:
    """``GET /products?sku=…``: the products containing ``sku`` as product or variation SKU."""
    page = client.read("/products", operation="search_products", what=f"look up SKU {sku}",
                       params={"sku": sku, "limit": PAGE_SIZE})
    return list(_valid(page_items(page, client.what)))


def _catalogue(client: EcwidClient) -> Iterable[dict[str, Any]]:
    """Every product of the store, page by page (``GET /products``)."""
    return _valid(client.pages("/products", operation="search_products", what="read the catalogue"))


def _catalogue_pages(client: EcwidClient) -> int:
    page = client.read("/products", operation="search_products", what="count the catalogue",
                       params={"limit": 1})
    total = page.get("total")
    return -(-int(total) // PAGE_SIZE) if isinstance(total, (int, float)) else 10**9


def _index(products: Iterable[ShopProduct], identifier: ProductIdentifier) -> dict[str, list[ShopProduct]]:
    index: dict[str, list[ShopProduct]] = {}
    for product in products:
        value = {ProductIdentifier.SKU: product.sku, ProductIdentifier.EAN: product.ean,
                 ProductIdentifier.PRODUCT_ID: product.product_id}[identifier]
        if value:
            index.setdefault(_normal(value, identifier), []).append(product)
    return index


def _normal(value: str, identifier: ProductIdentifier) -> str:
    value = value.strip()
    if identifier is ProductIdentifier.EAN:
        # GTIN-12/13/14 differ only by leading zeros.
        return value.replace(" ", "").lstrip("0")
    return value


def _pick(index: Mapping[str, list[ShopProduct]], values: Sequence[str],
          identifier: ProductIdentifier) -> dict[str, ShopProduct]:
    matched: dict[str, ShopProduct] = {}
    for value in values:
        candidates = {p.product_id: p for p in index.get(_normal(value, identifier), [])}
        if len(candidates) == 1:
            matched[value] = next(iter(candidates.values()))
        elif len(candidates) > 1:
            log.warning("Ecwid: %s %r is used by %d products (%s); not matching any of them",
                        identifier.value, value, len(candidates), ", ".join(sorted(candidates)))
    return matched


def find_products(client: EcwidClient, profile: StoreProfile, identifier: ProductIdentifier,
                  values: Sequence[str]) -> dict[str, ShopProduct]:
    """Match ``values`` to products and variations by ``identifier`` (C5).

    Returns a dict from each matched value to its product; a value used by more
    than one product (Ecwid's "non-unique SKUs" option) is left out and logged,
    so the order is held rather than booked on the wrong product.
    """
    values = [v for v in dict.fromkeys(values) if v and str(v).strip()]
    if not values:
        return {}
    if identifier is ProductIdentifier.PRODUCT_ID:
        refs = {v: parse_product_id(v) for v in values}
        raw = fetch_products(client, [r.product_id for r in refs.values() if r is not None])
        products = [p for product in raw.values() for p in shop_products(product, profile)]
        return _pick(_index(products, identifier), [v for v, r in refs.items() if r is not None], identifier)
    if identifier is ProductIdentifier.SKU and (len(values) <= SKU_SCAN_THRESHOLD
                                                or _catalogue_pages(client) > len(values)):
        raw_products = [product for value in values for product in _by_sku_one(client, value)]
    else:
        raw_products = list(_catalogue(client))
    unique = {int(p["id"]): p for p in raw_products}
    products = [p for product in unique.values() for p in shop_products(product, profile)]
    return _pick(_index(products, identifier), values, identifier)
