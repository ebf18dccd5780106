"""Stock: ``stock_availables`` per product and combination, and which ones changed (P1, K2); with prices (P2).

``stock_available`` holds one row per (product, combination, shop) or, when a
shop group shares its quantities, per (product, combination, shop group) with
``id_shop=0``; ``id_product_attribute=0`` is the product-level row (the sum
for products with combinations). ``quantity`` is what can still be sold.

PrestaShop has no stock change feed. Two streams together tell which
products moved: ``stock_movements`` (written for back-office quantity edits
and returns) and orders changed since the cursor (placing, cancelling or
refunding an order changes the quantity without a movement row). Quantities
written straight into ``stock_availables`` by other Webservice clients or
ERPs leave no trace; the host's periodic full read covers those.

Every level carries the tax-included price the shop computes (:mod:`.prices`,
P2). Saving a product (its price, taxes, anything) moves ``products.date_upd``,
so a third stream, products changed since the cursor, reports price edits
with the product's and all its combinations' levels. A combination's price
impact is saved on the combination, which has no date: that edit alone
reaches the marketplace with the next full read or stock change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from marketbridge.adapters import Money, StockLevel, StockPage
from marketbridge.clock import Clock
from marketbridge_prestashop import cursor as windows
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.prices import PriceReader
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.shoptime import to_shop

STOCK_FIELDS = "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,out_of_stock]"
STREAMS = ("movements", "orders", "products")
#: Streams that cursors stored before price sync (P2) lack.
ADDED_STREAMS = ("products",)
OUT_OF_STOCK_ALLOW = 1  #: ``out_of_stock``: 0 deny orders, 1 allow, 2 shop default


@dataclass(frozen=True)
class StockRow:
    """One ``stock_available`` row."""

    id: int
    key: ProductKey
    quantity: int
    out_of_stock: int
    id_shop: int
    id_shop_group: int

    @property
    def allows_backorders(self) -> bool:
        return self.out_of_stock == OUT_OF_STOCK_ALLOW


def _int(row: dict[str, Any], name: str, default: int = 0) -> int:
    try:
        return int(str(row.get(name, default)) or default)
    except ValueError:
        return default


class StockReader:
    """Reads ``/api/stock_availables`` and ``/api/stock_movements``, and prices through :class:`PriceReader`."""

    def __init__(self, ws: Webservice, settings: ShopSettings, clock: Clock, prices: PriceReader,
                 batch_size: int = 100) -> None:
        self.ws = ws
        self.settings = settings
        self.clock = clock
        self.prices = prices
        self.batch_size = batch_size

    def rows(self, product_ids: Iterable[int]) -> dict[ProductKey, StockRow]:
        """The row of this shop for every combination of the given products.

        ``GET /api/stock_availables?filter[id_product]=[1|2]&display=[…]``; with
        a shop id, the shop's own row wins over its group's shared row.
        """
        ids = sorted(set(product_ids))
        found: dict[ProductKey, StockRow] = {}
        for batch in filters.chunks(ids, self.batch_size):
            for raw in self.ws.select_all("stock_availables", display=STOCK_FIELDS,
                                          filters={"id_product": filters.any_of(batch)}):
                row = StockRow(id=_int(raw, "id"),
                               key=ProductKey(_int(raw, "id_product"), _int(raw, "id_product_attribute")),
                               quantity=_int(raw, "quantity"), out_of_stock=_int(raw, "out_of_stock", 2),
                               id_shop=_int(raw, "id_shop"), id_shop_group=_int(raw, "id_shop_group"))
                if self._better(row, found.get(row.key)):
                    found[row.key] = row
        return found

    def _better(self, row: StockRow, current: StockRow | None) -> bool:
        if current is None:
            return True
        wanted = self.settings.shop_id
        if wanted is None:
            return False
        return row.id_shop == wanted and current.id_shop != wanted

    def levels(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Current stock and price of the given product keys (``"12"`` or ``"12-3"``); unknown ones are left out."""
        keys = [key for key in (ProductKey.parse(value) for value in product_ids) if key is not None]
        rows = self.rows(key.product for key in keys)
        return self._levels([key for key in keys if key in rows], rows)

    def _levels(self, keys: Sequence[ProductKey], rows: dict[ProductKey, StockRow]) -> list[StockLevel]:
        prices: dict[ProductKey, Money] = self.prices.prices(keys)
        return [StockLevel(product_id=str(key), quantity=rows[key].quantity, price=prices.get(key)) for key in keys]

    def changes_since(self, cursor: str | None) -> StockPage:
        """Products whose stock or price moved since ``cursor``, with their current levels and prices.

        Reads one page of ``GET /api/stock_movements?date=1&filter[date_add]=[…]``,
        one of ``GET /api/orders?date=1&filter[date_upd]=[…]&display=full`` (the
        order rows name the products) and one of
        ``GET /api/products?date=1&filter[date_upd]=[…]&display=[id,date_upd]``
        (saved products: price edits, P2; the product and all its combinations
        are reported), then the stock and prices of every product found.
        """
        start = windows.shift(to_shop(self.clock.now(), self.settings.timezone), -windows.OVERLAP)
        current = windows.decode(cursor, STREAMS, start, added=ADDED_STREAMS)
        moved, next_movements, more_movements = windows.read_page(
            self.ws, "stock_movements", current["movements"], field="date_add",
            display="[id,id_product,id_product_attribute,date_add]", page_size=self.batch_size,
            zone=self.settings.timezone, now=self.clock.now())
        orders, next_orders, more_orders = windows.read_page(
            self.ws, "orders", current["orders"], field="date_upd", display="full", page_size=self.batch_size,
            zone=self.settings.timezone, now=self.clock.now())
        saved, next_products, more_products = windows.read_page(
            self.ws, "products", current["products"], field="date_upd", display="[id,date_upd]",
            page_size=self.batch_size, zone=self.settings.timezone, now=self.clock.now())
        keys: set[ProductKey] = {ProductKey(_int(row, "id_product"), _int(row, "id_product_attribute"))
                                 for row in moved if _int(row, "id_product")}
        for order in orders:
            for line in order.get("associations", {}).get("order_rows", []):
                if _int(line, "product_id"):
                    keys.add(ProductKey(_int(line, "product_id"), _int(line, "product_attribute_id")))
        edited = {_int(row, "id") for row in saved if _int(row, "id")}
        rows = self.rows({key.product for key in keys} | edited)
        keys.update(key for key in rows if key.product in edited)
        levels = tuple(self._levels(sorted(key for key in keys if key in rows), rows))
        return StockPage(levels=levels,
                         cursor=windows.encode({"movements": next_movements, "orders": next_orders,
                                                "products": next_products}),
                         more=more_movements or more_orders or more_products)
