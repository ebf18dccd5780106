"""Stock: ``stock_availables`` per product and combination, and which ones changed (P1, K2).

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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from marketbridge.adapters import StockLevel, StockPage
from marketbridge.clock import Clock
from marketbridge_prestashop import cursor as windows
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.shoptime import to_shop

STOCK_FIELDS = "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,out_of_stock]"
STREAMS = ("movements", "orders")
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
    """Reads ``/api/stock_availables`` and ``/api/stock_movements``."""

    def __init__(self, ws: Webservice, settings: ShopSettings, clock: Clock, batch_size: int = 100) -> None:
        self.ws = ws
        self.settings = settings
        self.clock = clock
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
        """Current stock of the given product keys (``"12"`` or ``"12-3"``); unknown ones are left out."""
        keys = [key for key in (ProductKey.parse(value) for value in product_ids) if key is not None]
        rows = self.rows(key.product for key in keys)
        return [StockLevel(product_id=str(key), quantity=rows[key].quantity) for key in keys if key in rows]

    def changes_since(self, cursor: str | None) -> StockPage:
        """Products whose stock moved since ``cursor``, with their current levels.

        Reads one page of ``GET /api/stock_movements?date=1&filter[date_add]=[…]`` and
        one of ``GET /api/orders?date=1&filter[date_upd]=[…]&display=full`` (the
        order rows name the products), then the stock of every product found.
        """
        start = windows.shift(to_shop(self.clock.now(), self.settings.timezone), -windows.OVERLAP)
        current = windows.decode(cursor, STREAMS, start)
        moved, next_movements, more_movements = windows.read_page(
            self.ws, "stock_movements", current["movements"], field="date_add",
            display="[id,id_product,id_product_attribute,date_add]", page_size=self.batch_size,
            zone=self.settings.timezone, now=self.clock.now())
        orders, next_orders, more_orders = windows.read_page(
            self.ws, "orders", current["orders"], field="date_upd", display="full", page_size=self.batch_size,
            zone=self.settings.timezone, now=self.clock.now())
        keys: set[ProductKey] = {ProductKey(_int(row, "id_product"), _int(row, "id_product_attribute"))
                                 for row in moved if _int(row, "id_product")}
        for order in orders:
            for line in order.get("associations", {}).get("order_rows", []):
                if _int(line, "product_id"):
                    keys.add(ProductKey(_int(line, "product_id"), _int(line, "product_attribute_id")))
        rows = self.rows(key.product for key in keys)
        levels = tuple(StockLevel(product_id=str(key), quantity=rows[key].quantity)
                       for key in sorted(keys) if key in rows)
        return StockPage(levels=levels,
                         cursor=windows.encode({"movements": next_movements, "orders": next_orders}),
                         more=more_movements or more_orders)
