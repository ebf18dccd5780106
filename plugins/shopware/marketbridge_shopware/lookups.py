"""The shop's reference data an order needs: sales channel, language, currency, countries,
salutation, payment and shipping methods, and the ids of state-machine states.

Each is looked up once per adapter instance with ``POST /api/search/{entity}``
(NOTES.md "lookup ids needed to build an order"), so a changed setting takes effect
at the next job run. A missing item raises ``OrderRejected`` or reports a
``check_connection`` problem saying what to create or correct in the shop.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketbridge.errors import OrderRejected

from marketbridge_shopware import settings as keys
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.ids import is_id
from marketbridge_shopware.queries import any_of, equals, equals_any

MACHINES = {"order": "order.state", "order_delivery": "order_delivery.state",
            "order_transaction": "order_transaction.state"}
STOREFRONT_TYPE = "8a243080f92e4c719546314b577cf82b"  #: Defaults::SALES_CHANNEL_TYPE_STOREFRONT
DEFAULT_CURRENCY = "b7d2554b0ce847cd82f3ac9bd1c0dfca"  #: Defaults::CURRENCY, the system default currency
_DEFAULT_ROUNDING = {"decimals": 2, "interval": 0.01, "roundForNet": True}


class SetupProblem(Exception):
    """A setting names something the shop does not have; the message says what to fix."""


@dataclass(frozen=True)
class StateInfo:
    id: str
    entity: str  #: order, order_delivery or order_transaction
    technical_name: str
    name: str

    @property
    def code(self) -> str:
        """The status code Marketbridge uses: ``<entity>.<technical name>``."""
        return f"{self.entity}.{self.technical_name}"


@dataclass(frozen=True)
class Currency:
    id: str
    iso: str
    factor: float
    item_rounding: dict[str, Any]
    total_rounding: dict[str, Any]


def _named(record: dict[str, Any], wanted: str) -> bool:
    wanted = wanted.strip().lower()
    return wanted in (str(record.get("id", "")).lower(), str(record.get("technicalName") or "").lower(),
                      str(record.get("name") or "").lower(),
                      str((record.get("translated") or {}).get("name") or "").lower())


class Lookups:
    """Cached lookups for one adapter instance."""

    def __init__(self, api: AdminApi) -> None:
        self.api = api
        self._states: list[StateInfo] | None = None
        self._sales_channel: dict[str, Any] | None = None
        self._shipping: list[dict[str, Any]] | None = None
        self._currencies: dict[str, Currency] = {}
        self._default_currency: Currency | None = None
        self._countries: dict[str, str] = {}
        self._regions: dict[str, str | None] = {}
        self._salutation: str | None = None
        self._payment: str | None = None

    # -- states --------------------------------------------------------------
    def states(self) -> list[StateInfo]:
        """Every state of the order, delivery and payment machines, custom ones included."""
        if self._states is None:
            rows = self.api.search("state-machine-state", {
                "limit": 500, "associations": {"stateMachine": {}},
                "filter": [equals_any("stateMachine.technicalName", list(MACHINES.values()))],
                "sort": [{"field": "stateMachine.technicalName", "order": "ASC"}, {"field": "name", "order": "ASC"}],
            }, "searchStateMachineState")
            by_machine = {v: k for k, v in MACHINES.items()}
            states = []
            for row in rows:
                machine = (row.get("stateMachine") or {}).get("technicalName")
                if machine in by_machine and isinstance(row.get("id"), str):
                    label = (row.get("translated") or {}).get("name") or row.get("name") or row.get("technicalName")
                    states.append(StateInfo(row["id"], by_machine[machine], str(row.get("technicalName")), str(label)))
            self._states = states
        return self._states

    def state(self, entity: str, technical_name: str) -> StateInfo | None:
        return next((s for s in self.states() if s.entity == entity and s.technical_name == technical_name), None)

    def state_by_id(self, state_id: str | None) -> StateInfo | None:
        return next((s for s in self.states() if s.id == state_id), None)

    # -- sales channel, payment, shipping ---------------------------------------
    def sales_channel(self) -> dict[str, Any]:
        """The configured sales channel, or the first active storefront."""
        if self._sales_channel is None:
            wanted = str(self.api.context.settings.get(keys.SALES_CHANNEL) or "").strip()
            rows = self.api.search("sales-channel", {"limit": 100, "sort": [{"field": "name", "order": "ASC"}]},
                                   "searchSalesChannel")
            if wanted:
                found = next((r for r in rows if _named(r, wanted)), None)
                if found is None:
                    raise SetupProblem(f"Shopware has no sales channel \"{wanted}\". Enter the name of an existing "
                                       "sales channel in the shop settings, or leave it empty to use your storefront.")
            else:
                found = next((r for r in rows if r.get("typeId") == STOREFRONT_TYPE and r.get("active")), None)
                if found is None:
                    raise SetupProblem("Shopware has no active storefront sales channel. Enter the sales channel for "
                                       "marketplace orders in the shop settings.")
            self._sales_channel = found
        return self._sales_channel

    def payment_method(self) -> str:
        if self._payment is None:
            wanted = str(self.api.context.settings.get(keys.PAYMENT_METHOD) or keys.DEFAULT_PAYMENT_METHOD)
            rows = self.api.search("payment-method", {"limit": 100}, "searchPaymentMethod")
            found = next((r for r in rows if _named(r, wanted)), None)
            if found is None:
                raise SetupProblem(f"Shopware has no payment method \"{wanted}\". Enter the technical name or name of "
                                   "one of your payment methods (Settings > Payment methods) in the shop settings.")
            self._payment = str(found["id"])
        return self._payment

    def shipping_methods(self) -> list[dict[str, Any]]:
        if self._shipping is None:
            self._shipping = self.api.search("shipping-method", {"limit": 200}, "searchShippingMethod")
        return self._shipping

    def shipping_method(self, *names: str | None) -> str:
        """The shipping method named like the marketplace's service, else the configured default."""
        methods = self.shipping_methods()
        for name in names:
            if name:
                found = next((m for m in methods if _named(m, name)), None)
                if found is not None:
                    return str(found["id"])
        default = str(self.api.context.settings.get(keys.SHIPPING_METHOD) or keys.DEFAULT_SHIPPING_METHOD)
        found = next((m for m in methods if _named(m, default)), None)
        if found is None:
            raise SetupProblem(f"Shopware has no shipping method \"{default}\". Enter the technical name or name of "
                               "one of your shipping methods (Settings > Shipping) as the default shipping method.")
        return str(found["id"])

    # -- per order -------------------------------------------------------------
    def currency(self, iso: str) -> Currency:
        if iso not in self._currencies:
            rows = self.api.search("currency", {"limit": 1, "filter": [equals("isoCode", iso)]}, "searchCurrency")
            if not rows:
                raise OrderRejected(f"The shop has no currency {iso}. Add it in Shopware under Settings > Currencies "
                                    "(and assign it to the sales channel); the order is imported afterwards.",
                                    code="currency_missing", currency=iso)
            self._currencies[iso] = _currency(rows[0], iso)
        return self._currencies[iso]

    def default_currency(self) -> Currency | None:
        """The system default currency (``Defaults::CURRENCY``), in which every product has a price (P2).

        One ``searchCurrency`` by id per adapter instance; ``None`` when the shop does not return it."""
        if self._default_currency is None:
            rows = self.api.search("currency", {"ids": [DEFAULT_CURRENCY], "limit": 1}, "searchCurrency")
            row = next((r for r in rows if r.get("id") == DEFAULT_CURRENCY and r.get("isoCode")), None)
            if row is None:
                return None
            self._default_currency = _currency(row)
            self._currencies.setdefault(self._default_currency.iso, self._default_currency)
        return self._default_currency

    def countries(self, isos: set[str]) -> dict[str, str]:
        missing = sorted(iso for iso in isos if iso not in self._countries)
        if missing:
            rows = self.api.search("country", {"limit": len(missing), "filter": [equals_any("iso", missing)]},
                                   "searchCountry")
            for row in rows:
                self._countries[str(row.get("iso"))] = str(row["id"])
        absent = sorted(iso for iso in isos if iso not in self._countries)
        if absent:
            raise OrderRejected(f"The shop has no country {', '.join(absent)}. Add it under Settings > Countries; "
                                "the order is imported afterwards.", code="country_missing", countries=absent)
        return {iso: self._countries[iso] for iso in isos}

    def region(self, country_iso: str, region: str | None) -> str | None:
        """The ``country_state`` id for a region (``CA`` or ``US-CA``), ``None`` when the shop has none."""
        if not region:
            return None
        short = region if "-" in region else f"{country_iso}-{region}"
        if short not in self._regions:
            rows = self.api.search("country-state", {"limit": 1, "filter": [any_of(
                equals("shortCode", short.upper()), equals("name", region))]}, "searchCountryState")
            self._regions[short] = str(rows[0]["id"]) if rows else None
        return self._regions[short]

    def salutation(self) -> str:
        if self._salutation is None:
            rows = self.api.search("salutation", {"limit": 1, "filter": [equals("salutationKey", "not_specified")]},
                                   "searchSalutation")
            if not rows:
                raise SetupProblem("Shopware has no salutation \"not_specified\" (a default of every installation). "
                                   "Restore it under Settings > Salutations.")
            self._salutation = str(rows[0]["id"])
        return self._salutation


def _currency(row: dict[str, Any], iso: str | None = None) -> Currency:
    return Currency(str(row["id"]), iso or str(row.get("isoCode")), float(row.get("factor") or 1.0),
                    row.get("itemRounding") or dict(_DEFAULT_ROUNDING), row.get("totalRounding") or dict(_DEFAULT_ROUNDING))


def valid_ids(values: list[str]) -> list[str]:
    """Only the values shaped like Shopware ids (others can match nothing)."""
    return [v for v in values if is_id(v)]
