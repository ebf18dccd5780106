"""A connection's selling policy: the shop's price → the price offered on the marketplace (P2).

Kept in ``connection.settings``:

* ``price_sync`` – ``True`` to send prices at all (off by default: turning it
  on changes what buyers pay on the marketplace, so the merchant decides);
* ``price_percent`` – adjustment in percent, e.g. ``"10"`` for +10 %, ``"-5"``;
* ``price_fixed`` – amount added after the percentage, e.g. ``"1.50"``;
* ``price_ending`` – ``""`` (round to the cent), ``"99"``, ``"95"``, ``"90"`` or
  ``"00"``: the price is raised to the next one ending so (never lowered,
  so the adjustment's margin is kept);
* ``price_minimum`` – never offer below this amount (a guard against a
  mistyped shop price); a shop price of zero or less, or an offer that the
  rules bring to zero or less, is never sent at all (:class:`NotPositive`);
* ``price_currency`` – the marketplace's currency, recorded when the settings
  are saved; a shop price in another currency is not sent.

Amounts are strings in the JSON settings so no precision is lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping

from marketbridge.order.model import Money

ENDINGS = ("", "99", "95", "90", "00")
CENT = Decimal("0.01")


class PriceNotOffered(ValueError):
    """The shop's price cannot become an offer; ``code`` and ``params`` describe why, for a sync problem."""

    code: str

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.params = params


class CurrencyMismatch(PriceNotOffered):
    """The shop's price is in another currency than the marketplace's."""

    code = "price_currency"

    def __init__(self, shop_currency: str, currency: str) -> None:
        super().__init__(f"The shop's price is in {shop_currency}, the marketplace sells in {currency}.",
                         shop_currency=shop_currency, currency=currency)


class NotPositive(PriceNotOffered):
    """The shop's price, after the policy, is zero or less: never offered (a mistyped price must not sell)."""

    code = "price_not_positive"

    def __init__(self, shop_price: Money, offer: Decimal) -> None:
        super().__init__(f"The shop's price {shop_price.amount} {shop_price.currency} gives {offer} after the price "
                         "rules.", shop_price=f"{shop_price.amount} {shop_price.currency}",
                         offer=f"{offer} {shop_price.currency}")


@dataclass(frozen=True)
class SellingPolicy:
    """How one connection turns shop prices into marketplace prices."""

    enabled: bool = False
    percent: Decimal = Decimal(0)
    fixed: Decimal = Decimal(0)
    ending: str = ""
    minimum: Decimal | None = None
    currency: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SellingPolicy:
        """Read the policy from ``connection.settings``; unreadable values fall back to no adjustment."""
        ending = str(settings.get("price_ending") or "")
        return cls(enabled=bool(settings.get("price_sync")),
                   percent=parse_amount(settings.get("price_percent")) or Decimal(0),
                   fixed=parse_amount(settings.get("price_fixed")) or Decimal(0),
                   ending=ending if ending in ENDINGS else "",
                   minimum=parse_amount(settings.get("price_minimum")),
                   currency=settings.get("price_currency") or None)

    def offer(self, shop_price: Money) -> Money:
        """The marketplace price for ``shop_price``: percentage, then fixed amount, then ending, then minimum.

        Raises :class:`CurrencyMismatch` when the shop's currency is not the
        marketplace's (no conversion is guessed) and :class:`NotPositive` when
        the result is not above zero (a shop price of 0 or an adjustment
        that eats the whole price is a mistake, never an offer; the fixed
        amount never turns a zero shop price into one).
        """
        if self.currency and shop_price.currency != self.currency:
            raise CurrencyMismatch(shop_price.currency, self.currency)
        if shop_price.amount <= 0:
            raise NotPositive(shop_price, shop_price.amount)
        amount = shop_price.amount * (100 + self.percent) / 100 + self.fixed
        amount = _with_ending(amount.quantize(CENT, rounding=ROUND_HALF_UP), self.ending)
        if self.minimum is not None and amount < self.minimum:
            amount = self.minimum.quantize(CENT, rounding=ROUND_HALF_UP)
        if amount <= 0:
            raise NotPositive(shop_price, amount)
        return Money(amount, shop_price.currency)


def _with_ending(amount: Decimal, ending: str) -> Decimal:
    """Raise ``amount`` to the next price whose cents are ``ending`` (``"00"``: a whole amount)."""
    if not ending:
        return amount
    if ending == "00":
        return amount.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)
    candidate = amount.to_integral_value(rounding=ROUND_FLOOR) + Decimal(ending) / 100
    return (candidate if candidate >= amount else candidate + 1).quantize(CENT)


def parse_amount(value: Any) -> Decimal | None:
    """A finite decimal from a setting or an API field (string or number), or ``None`` when empty or unreadable."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
