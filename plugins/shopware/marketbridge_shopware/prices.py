"""A product's selling price as the storefront shows it (P2).

``product.price`` is a list of ``Price`` objects (``components/schemas/Price``:
``currencyId``, ``gross``, ``net``, ``linked``, optional ``listPrice``). Every product
has an entry for the system default currency (``Defaults::CURRENCY``, the same id in
every installation); a variant whose ``price`` is null inherits its parent's whole list
(``ProductDefinition``: ``PriceField('price')`` flagged ``Inherited``), which the Admin
API resolves when the search is sent with ``sw-inheritance: 1``. The gross amount of the
default-currency entry, rounded to the currency's item rounding, is the unit price;
``listPrice`` (the struck-through "was" price) is ignored.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from marketbridge.adapters import Money

from marketbridge_shopware.lookups import DEFAULT_CURRENCY, Currency


def default_gross(row: dict[str, Any]) -> Decimal | None:
    """The gross amount of ``row``'s default-currency price, ``None`` when it has none."""
    entries = row.get("price")
    if not isinstance(entries, list):
        return None
    entry = next((e for e in entries if isinstance(e, dict) and e.get("currencyId") == DEFAULT_CURRENCY), None)
    gross = entry.get("gross") if entry else None
    if gross is None or isinstance(gross, bool):
        return None
    try:
        amount = Decimal(str(gross))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def unit_price(row: dict[str, Any], currency: Currency | None) -> Money | None:
    """``row``'s gross unit price in the default ``currency`` (``None``: unknown)."""
    gross = default_gross(row)
    if gross is None or currency is None:
        return None
    decimals = currency.item_rounding.get("decimals")
    places = decimals if isinstance(decimals, int) and not isinstance(decimals, bool) and 0 <= decimals <= 6 else 2
    return Money(amount=gross.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), currency=currency.iso)
