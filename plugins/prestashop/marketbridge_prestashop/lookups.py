"""Shop ids an order needs: currency, countries, states, the carrier and the shop group.

Each is read once per adapter instance:
``GET /api/currencies?filter[iso_code]=[EUR|EUR]``, ``GET /api/countries?filter[iso_code]=[…]``,
``GET /api/states?filter[id_country]=[…]``, ``GET /api/carriers?filter[id_reference]=[…]&filter[deleted]=[0|0]``
(a carrier's ``id`` changes on every edit, its ``id_reference`` does not) and
``GET /api/shops/<id>``. A missing or disabled one is a reason to hold the
order, worded so the merchant knows where to fix it.
"""
from __future__ import annotations

from dataclasses import dataclass

from marketbridge.errors import OrderRejected
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.settings import ShopSettings


@dataclass(frozen=True)
class Currency:
    id: int
    iso_code: str
    conversion_rate: str


@dataclass(frozen=True)
class Country:
    id: int
    iso_code: str
    contains_states: bool


@dataclass(frozen=True)
class Carrier:
    id: int
    reference: int
    name: str


class ShopReferences:
    """Cached look-ups of the ids an order refers to."""

    def __init__(self, ws: Webservice, settings: ShopSettings) -> None:
        self.ws = ws
        self.settings = settings
        self._currencies: dict[str, Currency] = {}
        self._countries: dict[str, Country] = {}
        self._states: dict[int, dict[str, int]] = {}
        self._carriers: dict[int, Carrier] = {}
        self._carrier_names: dict[int, str | None] = {}
        self._shop_group: int | None = None

    def currency(self, iso_code: str) -> Currency:
        """The active currency with ``iso_code``; ``OrderRejected`` when the shop has none."""
        if iso_code not in self._currencies:
            rows = self.ws.select("currencies", display="[id,iso_code,conversion_rate,active,deleted]",
                                  filters={"iso_code": filters.any_of([iso_code])})
            live = [r for r in rows if r.get("active") == "1" and r.get("deleted", "0") != "1"]
            if not live:
                raise OrderRejected(
                    f"The shop has no active currency {iso_code}. Add or enable it in International > Localization > "
                    "Currencies; the order is imported once it exists.", code="currency_missing", currency=iso_code)
            row = live[0]
            self._currencies[iso_code] = Currency(int(row["id"]), iso_code, row.get("conversion_rate") or "1")
        return self._currencies[iso_code]

    def country(self, iso_code: str) -> Country:
        """The active country with ``iso_code``; ``OrderRejected`` when missing or disabled."""
        if iso_code not in self._countries:
            rows = self.ws.select("countries", display="[id,iso_code,active,contains_states]",
                                  filters={"iso_code": filters.any_of([iso_code])})
            live = [r for r in rows if r.get("active") == "1"]
            if not live:
                raise OrderRejected(
                    f"The shop has no active country {iso_code}. Enable it in International > Locations > Countries; "
                    "the order is imported once it is active.", code="country_missing", country=iso_code)
            row = live[0]
            self._countries[iso_code] = Country(int(row["id"]), iso_code, row.get("contains_states") == "1")
        return self._countries[iso_code]

    def state(self, country: Country, region: str | None) -> int:
        """The id of ``region`` (ISO code or name) in ``country``, 0 when the country has no states or no match."""
        if not country.contains_states or not region:
            return 0
        if country.id not in self._states:
            rows = self.ws.select_all("states", display="[id,iso_code,name,active]",
                                      filters={"id_country": filters.any_of([country.id])})
            table: dict[str, int] = {}
            for row in rows:
                if row.get("active", "1") == "1":
                    table[str(row.get("iso_code", "")).casefold()] = int(row["id"])
                    table[str(row.get("name", "")).casefold()] = int(row["id"])
            self._states[country.id] = table
        wanted = region.strip().casefold()
        table = self._states[country.id]
        return table.get(wanted) or table.get(wanted.rsplit("-", 1)[-1]) or 0

    def carrier(self, reference: int) -> Carrier:
        """The current version of the carrier with ``id_reference``; ``OrderRejected`` when none is active."""
        if reference not in self._carriers:
            rows = self.ws.select("carriers", display="[id,id_reference,name,active,deleted]",
                                  filters={"id_reference": filters.any_of([reference]),
                                           "deleted": filters.any_of(["0"])})
            live = [r for r in rows if r.get("active") == "1"]
            if not live:
                raise OrderRejected(
                    f"No active carrier has the reference id {reference}. Check Shipping > Carriers and the carrier "
                    "chosen in the connection settings; the order is imported once it is fixed.",
                    code="carrier_missing", carrier_reference=reference)
            row = max(live, key=lambda r: int(r["id"]))
            self._carriers[reference] = Carrier(int(row["id"]), reference, str(row.get("name", "")))
        return self._carriers[reference]

    def carrier_name(self, carrier_id: int) -> str | None:
        """The name of carrier ``carrier_id`` (any version, deleted ones too); ``None`` when unknown."""
        if carrier_id not in self._carrier_names:
            row = self.ws.get("carriers", carrier_id) if carrier_id else None
            name = str(row.get("name", "")) if row else ""
            # PrestaShop shows the shop's name for a carrier named "0" (Cart::replaceZeroByShopName).
            self._carrier_names[carrier_id] = name if name and name != "0" else None
        return self._carrier_names[carrier_id]

    def shop_group(self) -> int | None:
        """The group of the configured shop (multistore), ``None`` without a shop id."""
        if self.settings.shop_id is None:
            return None
        if self._shop_group is None:
            row = self.ws.get("shops", self.settings.shop_id)
            if row is None:
                raise OrderRejected(f"The shop id {self.settings.shop_id} in the connection settings does not exist "
                                    "in PrestaShop (Advanced Parameters > Multistore).", code="shop_missing")
            self._shop_group = int(row.get("id_shop_group") or 0)
        return self._shop_group
