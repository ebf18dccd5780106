"""The store facts the adapter needs from ``GET /profile``: currency, weight unit and tax display.

Ecwid keeps every amount in the store's one currency and every weight in the
store's unit (``formatsAndUnits``, see the "Get store profile" example of
``specs/ecwid/api-reference.2020.extract.json``). Whether the storefront's
prices are what a buyer pays (P2) follows from ``taxSettings``: every enabled
tax of ``taxSettings.taxes[]`` has ``includeInPrice: true`` and
``automaticTaxEnabled`` is false (see :attr:`StoreProfile.prices_include_taxes`).
The profile rarely changes, so it is cached in the adapter's state for an hour.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Mapping

from marketbridge_ecwid.client import EcwidClient

#: Kilograms per store weight unit (Ecwid ``formatsAndUnits.weightUnit``).
KG_PER_UNIT: dict[str, Decimal] = {
    "KILOGRAM": Decimal("1"),
    "GRAM": Decimal("0.001"),
    "POUND": Decimal("0.45359237"),
    "OUNCE": Decimal("0.028349523125"),
}

_CACHE_KEY = "profile"
_CACHE_TTL = timedelta(hours=1)
_KG_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class StoreProfile:
    """Currency, weight unit, name and tax display of the store.

    ``prices_include_taxes`` is true when the storefront's prices are final for
    a buyer: no enabled tax is added on top at checkout (``taxSettings.taxes[]``
    with ``enabled`` and ``includeInPrice: false``) and taxes are not
    calculated automatically (``taxSettings.automaticTaxEnabled``, whose
    inclusion in prices the API does not tell). A store without taxes counts
    as including them: there is nothing to add.
    """

    store_id: int | None
    currency: str | None
    weight_unit: str
    store_name: str | None = None
    prices_include_taxes: bool = False
    currency_precision: int = 2

    def to_kg(self, weight: Any) -> Decimal | None:
        """Convert an Ecwid weight to kilograms; ``None`` for 0, absent or an unknown unit.

        Ecwid reports 0 when no weight was entered, which is "no weight" for O4.
        """
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            return None
        factor = KG_PER_UNIT.get(self.weight_unit)
        if factor is None:
            return None
        return (Decimal(str(weight)) * factor).quantize(_KG_PLACES).normalize()

    def from_kg(self, kilograms: Decimal) -> float:
        """Convert kilograms to the store's unit (for order item weights)."""
        factor = KG_PER_UNIT.get(self.weight_unit, Decimal("1"))
        return float((kilograms / factor).quantize(_KG_PLACES))

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> StoreProfile:
        """Read the fields Marketbridge uses from a ``GET /profile`` answer."""
        general, formats, settings = (_object(body, k) for k in ("generalInfo", "formatsAndUnits", "settings"))
        store_id = general.get("storeId")
        precision = formats.get("currencyPrecision")
        return cls(
            store_id=int(store_id) if isinstance(store_id, (int, float)) else None,
            currency=str(formats["currency"]) if formats.get("currency") else None,
            weight_unit=str(formats.get("weightUnit") or "KILOGRAM"),
            store_name=str(settings["storeName"]) if settings.get("storeName") else None,
            prices_include_taxes=_prices_include_taxes(_object(body, "taxSettings")),
            currency_precision=int(precision) if isinstance(precision, int) and not isinstance(precision, bool)
            and 0 <= precision <= 4 else 2,
        )

    def to_state(self) -> dict[str, Any]:
        return {"store_id": self.store_id, "currency": self.currency, "weight_unit": self.weight_unit,
                "store_name": self.store_name, "prices_include_taxes": self.prices_include_taxes,
                "currency_precision": self.currency_precision}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> StoreProfile:
        """The profile as :meth:`to_state` saved it."""
        return cls(data.get("store_id"), data.get("currency"), data.get("weight_unit", "KILOGRAM"),
                   data.get("store_name"), bool(data.get("prices_include_taxes")),
                   int(data.get("currency_precision", 2)))


def _prices_include_taxes(tax_settings: Mapping[str, Any]) -> bool:
    """Whether no tax is added to the storefront price at checkout (see :class:`StoreProfile`)."""
    if tax_settings.get("automaticTaxEnabled") is True:
        return False
    taxes = tax_settings.get("taxes")
    for tax in taxes if isinstance(taxes, list) else ():
        if isinstance(tax, dict) and tax.get("enabled") is not False and tax.get("includeInPrice") is not True:
            return False
    return True


def _object(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def fetch_profile(client: EcwidClient) -> StoreProfile:
    """``GET /profile`` ("Get store profile"), no cache. Raises the client's exceptions."""
    body = client.read("/profile", operation="get_profile", what="read the store profile")
    return StoreProfile.from_json(body)


def store_profile(client: EcwidClient) -> StoreProfile:
    """The store profile, from the state cache when younger than an hour."""
    state = client.context.state
    now = client.context.clock.now()
    cached = state.get(_CACHE_KEY)
    if isinstance(cached, dict) and isinstance(cached.get("at"), (int, float)) \
            and now.timestamp() - cached["at"] < _CACHE_TTL.total_seconds():
        data = cached.get("profile") or {}
        if "prices_include_taxes" in data:  # else saved before price sync (P2): read it again
            return StoreProfile.from_state(data)
    profile = fetch_profile(client)
    state.set(_CACHE_KEY, {"at": now.timestamp(), "profile": profile.to_state()})
    return profile
