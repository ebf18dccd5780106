"""The price a buyer sees in the Ecwid storefront, for price sync (P2).

Read from the product records the stock sync fetches anyway (``GET /products``,
"Search products"), so prices cost no extra request; the currency and the tax
display come from the cached store profile (:mod:`marketbridge_ecwid.profile`).

* **Product**: ``defaultDisplayedPrice``, "Product price displayed in a
  storefront for logged out customer for default location … It also includes
  taxes" (2020 "Search products" table, ``ProductEntry``). Without it:
  ``price`` (the base price) plus the product's included tax rate
  ``tax.defaultLocationIncludedTaxRate`` ("TaxInfo": the sum of the enabled
  taxes included in the price at the store location).
* **Variation** (combination): its own ``defaultDisplayedPrice`` where Ecwid
  sends it (current docs, "Search product variations":
  https://api-docs.ecwid.com/reference/search-product-variations); otherwise
  the combination's ``price`` ("Omitted if the variation inherits the base
  product's price", 2020 ``Variation`` table) or else the product's ``price``,
  plus the product's included tax rate, rounded half-up to the store's
  ``formatsAndUnits.currencyPrecision``.

A store whose taxes are added at checkout (or calculated automatically) shows
prices without them; Ecwid has no field with the price a buyer finally pays
(it depends on the destination), so the price is ``None`` there
(:attr:`~marketbridge_ecwid.profile.StoreProfile.prices_include_taxes`).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from marketbridge.adapters import Money

from marketbridge_ecwid.profile import StoreProfile


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return Decimal(str(value))


def _round(amount: Decimal, profile: StoreProfile) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-profile.currency_precision), rounding=ROUND_HALF_UP)


def _with_included_tax(product: Mapping[str, Any], base: Decimal | None) -> Decimal | None:
    if base is None:
        return None
    tax = product.get("tax")
    rate = _amount(tax.get("defaultLocationIncludedTaxRate")) if isinstance(tax, dict) else None
    return base * (1 + (rate or Decimal(0)) / 100)


def _money(amount: Decimal | None, profile: StoreProfile) -> Money | None:
    if amount is None or not profile.currency or not profile.prices_include_taxes:
        return None
    return Money(_round(amount, profile), profile.currency)


def product_price(product: Mapping[str, Any], profile: StoreProfile) -> Money | None:
    """The storefront price of a product (see the module docstring); ``None`` when unknown."""
    displayed = _amount(product.get("defaultDisplayedPrice"))
    if displayed is None:
        displayed = _with_included_tax(product, _amount(product.get("price")))
    return _money(displayed, profile)


def combination_price(product: Mapping[str, Any], combination: Mapping[str, Any],
                      profile: StoreProfile) -> Money | None:
    """The storefront price of one variation of ``product`` (see the module docstring); ``None`` when unknown."""
    displayed = _amount(combination.get("defaultDisplayedPrice"))
    if displayed is None:
        own = _amount(combination.get("price"))
        displayed = _with_included_tax(product, own if own is not None else _amount(product.get("price")))
    return _money(displayed, profile)
