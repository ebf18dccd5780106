"""Computed prices: the ``price[<alias>][<parameter>]`` query parameter of ``/api/products`` and ``/api/combinations``.

Follows ``WebserviceRequest::specificPriceForProduct``, ``specificPriceForCombination``
and ``specificPriceCalculation`` (PrestaShop 8) and the documentation's "Specific
prices" tutorial (devdocs.prestashop-project.org/8/webservice/tutorials/advanced-use/specific-price):
each alias becomes one more field of every product or combination shown,
after the documented fields (``display=[id,<alias>]`` may name it), holding
``Product::priceCalculation`` for that object formatted with ``%f``.

* On ``products`` the combination is ``product_attribute`` (default 0: the
  product's default combination, as ``Product::priceCalculation`` reads it);
  on ``combinations`` it is always the combination itself.
* Missing parameters fall back to the shop's configuration, as PrestaShop
  does: ``currency`` to ``PS_CURRENCY_DEFAULT``, ``use_tax`` to ``PS_TAX`` and
  ``decimals`` to ``PS_PRICE_ROUND_MODE`` (sic, PrestaShop's own fallback).
* Taxes are the product's tax rules group at the shop's country
  (``PS_COUNTRY_DEFAULT``; :attr:`ShopInternals.tax_rates`), added before
  rounding. The emulated shop has no specific prices (sales), so
  ``use_reduction`` changes nothing here.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Mapping

from marketbridge_prestashop.emulator.store import Record, Store

_PARAM = re.compile(r"^price\[([^\[\]]+)\]\[([^\[\]]+)\]$")
#: Resources whose objects get computed price fields (``WebserviceRequest::fetch``).
PRICED = ("products", "combinations")


def aliases(args: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{alias: {parameter: value}}`` from ``price[alias][parameter]=value`` query parameters."""
    found: dict[str, dict[str, str]] = {}
    for key, value in args.items():
        match = _PARAM.match(key)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = value
    return found


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal(0)


def _combination(store: Store, product: Record, attribute: int) -> Record | None:
    if attribute:
        row = store.get("combinations", attribute)
        return row if row is not None and str(row["id_product"]) == str(product["id"]) else None
    defaults = [c for c in store.where("combinations", id_product=product["id"]) if c.get("default_on") == "1"]
    return defaults[0] if defaults else None


def price(store: Store, resource: str, record: Record, parameters: Mapping[str, str]) -> str:
    """One computed price of a product or combination, as ``sprintf('%f', …)`` writes it."""
    if resource == "combinations":
        product = store.get("products", record["id_product"])
        if product is None:
            return "0.000000"
        combination: Record | None = record
    else:
        product = record
        combination = _combination(store, product, _int(parameters.get("product_attribute"), 0))
    amount = _decimal(product.get("price")) + (_decimal(combination.get("price")) if combination else Decimal(0))
    default_currency = store.config("PS_CURRENCY_DEFAULT")
    currency = store.get("currencies", _int(parameters.get("currency", default_currency)))
    base = store.get("currencies", _int(default_currency))
    if currency is not None and base is not None and currency["id"] != base["id"]:
        amount = amount * _decimal(currency["conversion_rate"]) / (_decimal(base["conversion_rate"]) or Decimal(1))
    if _int(parameters.get("use_tax", store.config("PS_TAX")), 1):
        rate = store.internals.tax_rates.get(_int(product.get("id_tax_rules_group")), Decimal(0))
        amount = amount * (1 + rate / 100)
    decimals = max(_int(parameters.get("decimals", store.config("PS_PRICE_ROUND_MODE")), 2), 0)
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:.6f}"


def fields(store: Store, resource: str, record: Record, wanted: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The computed price fields of one object (none outside :data:`PRICED`)."""
    if resource not in PRICED:
        return {}
    return {alias: price(store, resource, record, parameters) for alias, parameters in wanted.items()}
