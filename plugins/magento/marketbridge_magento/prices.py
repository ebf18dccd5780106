"""The unit price a buyer pays in the storefront, read from the product record (P2).

Read from the ``catalog-data-product-interface`` items ``GET /V1/products``
(GetV1Products) already returns for the stock, so price sync costs no extra call:

* ``price``: the product's price in the base currency, as entered in the admin
  (store-view scope of ``/rest/<store_code>/V1``, so a website-scope price is
  the store view's website's).
* ``custom_attributes`` ``special_price``, ``special_from_date`` and
  ``special_to_date``: Magento's final price is ``min(price, special_price)``
  while the store's local date lies in ``[from, to]``, both days included and
  either end open when empty (``Product\\Type\\Price::calculateSpecialPrice``
  with ``Timezone::isScopeDateInInterval``).
* Currency: the store view's ``base_currency_code`` and its ``timezone``
  (``GET /V1/store/storeConfigs``, already read and cached as the store facts).

Whether ``price`` includes tax is Magento's *Catalog Prices* config
(``tax/calculation/price_includes_tax``), which the REST API does not expose:
the shop setting ``prices_include_tax`` says it. Without tax included no rate
is known here, so the price is ``None`` (unknown) rather than a wrong one.
Catalogue price rules, tier and customer-group prices are not applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketbridge.adapters import Money
from marketbridge.pricing import parse_amount

from marketbridge_magento.products import StoreFacts, custom_attribute

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceReader:
    """Turns product records into storefront unit prices for one store view on one local day."""

    currency: str  #: the store view's base currency; empty when unknown
    today: date  #: the store's local date (Magento compares special price dates by day)
    prices_include_tax: bool

    @classmethod
    def for_store(cls, facts: StoreFacts, prices_include_tax: bool, now: datetime) -> PriceReader:
        """The reader for ``facts`` (currency, time zone) at the injected clock's ``now``."""
        try:
            zone = ZoneInfo(facts.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return cls(facts.base_currency, now.astimezone(zone).date(), prices_include_tax)

    def price_of(self, product: Mapping[str, Any]) -> Money | None:
        """The unit price of ``product`` (special price applied while active), rounded to cents.

        Returns ``None`` when prices exclude tax, the currency is unknown, or
        the product has no readable ``price``.
        """
        if not self.prices_include_tax or not self.currency:
            return None
        price = parse_amount(product.get("price"))
        if price is None or price < 0:
            return None
        special = parse_amount(custom_attribute(product, "special_price"))
        if special is not None and special >= 0 and self.special_active(product):
            price = min(price, special)
        return Money(price.quantize(CENT, rounding=ROUND_HALF_UP), self.currency)

    def special_active(self, product: Mapping[str, Any]) -> bool:
        """Whether :attr:`today` lies in the product's special price dates (both days included)."""
        start = _day(custom_attribute(product, "special_from_date"))
        end = _day(custom_attribute(product, "special_to_date"))
        return (start is None or start <= self.today) and (end is None or self.today <= end)


def _day(value: str | None) -> date | None:
    """Magento's ``YYYY-MM-DD HH:MM:SS`` (or ``YYYY-MM-DD``) attribute value as a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
