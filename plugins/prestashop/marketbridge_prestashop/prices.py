"""Prices (P2): what a buyer pays for one unit, taxes included, in the shop's default currency.

A product's ``price`` is tax excluded and a combination's ``price`` only an
impact on it; taxes depend on the product's tax rules group and the buyer's
country, and sales (specific prices) change the amount again. Rather than
redo PrestaShop's arithmetic, the plugin asks the Webservice for the price it
computes itself: the ``price`` parameter of ``/api/products`` and
``/api/combinations`` (``specs/NOTES.md`` "Computed prices", devdocs 8
"Specific prices") adds a field ``marketbridge_price`` holding
``Product::priceCalculation`` for each object listed:

* ``GET /api/products?filter[id]=[1|7]&display=[id,marketbridge_price]&price[marketbridge_price][use_tax]=1&…``
  for products (a product with combinations gets its default combination's
  price, as its product page shows first);
* ``GET /api/combinations?filter[id]=[2|5]&display=[id,id_product,marketbridge_price]&price[…][use_tax]=1&…``
  for combinations (the Webservice sets ``product_attribute`` to each
  combination itself, so its price impact is included).

Both pass ``currency`` (the shop's default currency) and ``decimals`` (that
currency's precision), so the amount is rounded as the storefront rounds it.
Country and customer group are the shop's defaults (``PS_COUNTRY_DEFAULT``,
``PS_CUSTOMER_GROUP``) and reductions of specific prices for them apply: the
price a visitor from the shop's country sees.

The currency is ``PS_CURRENCY_DEFAULT`` (``GET /api/configurations?filter[name]=[…]``;
the configured shop's own row in multistore) and its ``iso_code`` and
``precision`` (``GET /api/currencies/<id>``), kept in the shop's adapter state
for a day. A key without ``configurations`` View (GET) gets no prices (``None``:
nothing is sent) and a warning in the log, never a tax-excluded guess.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from marketbridge.adapters import Money, StateStore
from marketbridge.clock import Clock
from marketbridge.errors import AuthenticationFailed
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.settings import ShopSettings

ALIAS = "marketbridge_price"
STATE_KEY = "prestashop:default_currency"
#: How long the default currency read from the shop is trusted before it is read again.
CURRENCY_TTL = timedelta(days=1)


@dataclass(frozen=True)
class ShopCurrency:
    """The shop's default currency: its id, ISO code and the decimals prices are rounded to."""

    id: int
    iso_code: str
    precision: int


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


class PriceReader:
    """Tax-included unit prices of products and combinations, computed by the shop."""

    def __init__(self, ws: Webservice, settings: ShopSettings, state: StateStore, clock: Clock,
                 log: logging.Logger, batch_size: int = 100) -> None:
        self.ws = ws
        self.settings = settings
        self.state = state
        self.clock = clock
        self.log = log
        self.batch_size = batch_size
        self._currency: ShopCurrency | None = None

    def currency(self) -> ShopCurrency | None:
        """The shop's default currency (cached in the adapter state for :data:`CURRENCY_TTL`).

        ``None`` when the key may not read ``configurations`` or the currency
        is gone. Raises ``TemporaryFailure``, ``RateLimited``, ``AuthenticationFailed``
        (other than a missing ``configurations`` permission).
        """
        if self._currency is not None:
            return self._currency
        now = self.clock.now()
        cached = self.state.get(STATE_KEY)
        if isinstance(cached, dict) and cached.get("shop_id") == self.settings.shop_id:
            try:
                if now - datetime.fromisoformat(str(cached["read_at"])) < CURRENCY_TTL:
                    self._currency = ShopCurrency(int(cached["id"]), str(cached["iso_code"]),
                                                  int(cached["precision"]))
                    return self._currency
            except (KeyError, ValueError, TypeError):
                pass
        try:
            currency_id = self._default_currency_id()
        except AuthenticationFailed as exc:
            if exc.code != "permission_missing":
                raise
            self.log.warning("PrestaShop prices are not read: %s", exc.message)
            return None
        row = self.ws.get("currencies", currency_id) if currency_id else None
        if row is None or not str(row.get("iso_code", "")).strip():
            self.log.warning("PrestaShop prices are not read: the default currency %s does not exist.", currency_id)
            return None
        self._currency = ShopCurrency(currency_id, str(row["iso_code"]).strip().upper(),
                                      max(_int(row.get("precision"), 2), 0))
        self.state.set(STATE_KEY, {"id": self._currency.id, "iso_code": self._currency.iso_code,
                                   "precision": self._currency.precision, "shop_id": self.settings.shop_id,
                                   "read_at": now.isoformat()})
        return self._currency

    def _default_currency_id(self) -> int:
        """``PS_CURRENCY_DEFAULT``: the configured shop's row, else the shop-wide one."""
        rows = self.ws.select("configurations", display="[id,name,value,id_shop,id_shop_group]",
                              filters={"name": filters.any_of(["PS_CURRENCY_DEFAULT"])})
        shop = str(self.settings.shop_id) if self.settings.shop_id is not None else None

        def rank(row: dict[str, Any]) -> int:
            if shop is not None and str(row.get("id_shop") or "0") == shop:
                return 0
            if str(row.get("id_shop") or "0") == "0" and str(row.get("id_shop_group") or "0") == "0":
                return 1
            return 2

        candidates = sorted(rows, key=rank)
        return _int(candidates[0].get("value"), 0) if candidates else 0

    def prices(self, keys: Iterable[ProductKey]) -> dict[ProductKey, Money]:
        """The tax-included unit price of each key the shop knows (see the module docstring for the calls).

        Keys the shop does not list, or lists with an unreadable amount, are
        absent. Raises ``TemporaryFailure``, ``RateLimited``, ``AuthenticationFailed``.
        """
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        currency = self.currency()
        if currency is None:
            return {}
        params = {f"price[{ALIAS}][use_tax]": "1", f"price[{ALIAS}][currency]": str(currency.id),
                  f"price[{ALIAS}][decimals]": str(currency.precision)}
        found: dict[ProductKey, Money] = {}
        products = [key.product for key in wanted if not key.is_combination]
        for batch in filters.chunks(products, self.batch_size):
            for row in self.ws.select_all("products", display=f"[id,{ALIAS}]", filters={"id": filters.any_of(batch)},
                                          extra=params):
                self._add(found, ProductKey(_int(row.get("id"), 0)), row.get(ALIAS), currency)
        combinations = {key.attribute: key for key in wanted if key.is_combination}
        for batch in filters.chunks(sorted(combinations), self.batch_size):
            for row in self.ws.select_all("combinations", display=f"[id,id_product,{ALIAS}]",
                                          filters={"id": filters.any_of(batch)}, extra=params):
                key = ProductKey(_int(row.get("id_product"), 0), _int(row.get("id"), 0))
                if combinations.get(key.attribute) == key:
                    self._add(found, key, row.get(ALIAS), currency)
        return found

    @staticmethod
    def _add(found: dict[ProductKey, Money], key: ProductKey, value: Any, currency: ShopCurrency) -> None:
        try:
            amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-currency.precision))
        except (InvalidOperation, ValueError):
            return
        if amount.is_finite() and amount >= 0:
            found[key] = Money(amount, currency.iso_code)
