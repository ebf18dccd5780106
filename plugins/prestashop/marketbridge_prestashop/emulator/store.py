"""The emulated shop's database: one table of records per Webservice resource.

Records hold what the Webservice shows: every field of the resource's
``?schema=blank`` as a string (translatable fields as ``{language id: text}``),
plus ``associations`` where the resource stores them (cart rows). Facts the
Webservice does not expose but the shop's logic needs (tax rates, carrier
prices, which cart became which order) live in :class:`ShopInternals`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from marketbridge_prestashop.shoptime import to_shop
from marketbridge_prestashop.spec import ResourceSpec, resources

Record = dict[str, Any]


@dataclass
class ShopInternals:
    """Shop state outside the Webservice resources."""

    tax_rates: dict[int, Decimal] = field(default_factory=dict)  #: id_tax_rules_group → percent
    carrier_prices: dict[int, Decimal] = field(default_factory=dict)  #: carrier id → shipping cost tax incl.
    cart_orders: dict[int, int] = field(default_factory=dict)  #: cart id → order id
    payment_modules: set[str] = field(default_factory=lambda: {"ps_wirepayment", "ps_checkpayment",
                                                               "ps_cashondelivery"})
    stock_management: bool = True  #: PS_STOCK_MANAGEMENT
    shop_name: str = "Marketbridge demo shop"
    psws_version: str = "8.1.7"


class Store:
    """Tables keyed by resource name, ids allocated like auto-increment columns."""

    def __init__(self, now: Callable[[], datetime], zone: ZoneInfo) -> None:
        self._now = now
        self.zone = zone
        self.tables: dict[str, dict[int, Record]] = {name: {} for name in resources()}
        self._next: dict[str, int] = {name: 1 for name in resources()}
        self.internals = ShopInternals()
        self.languages: tuple[str, ...] = ("1", "2")

    def now(self) -> str:
        """Now, as the shop writes dates (its own time zone, no offset)."""
        return to_shop(self._now(), self.zone)

    def spec(self, resource: str) -> ResourceSpec:
        return resources()[resource]

    def blank(self, resource: str) -> Record:
        """An empty record with every field of ``?schema=blank``."""
        spec = self.spec(resource)
        record: Record = {}
        for name in spec.blank_fields:
            record[name] = {lang: "" for lang in self.languages} if spec.fields.get(name) and \
                spec.fields[name].i18n else ""
        return record

    def insert(self, resource: str, values: Record, object_id: int | None = None) -> Record:
        """Add a record (defaults for absent fields, ``date_add``/``date_upd`` stamped) and return it."""
        record = self.blank(resource)
        record.update(values)
        new_id = object_id if object_id is not None else self._next[resource]
        self._next[resource] = max(self._next[resource], new_id + 1)
        record["id"] = str(new_id)
        now = self.now()
        for stamp in ("date_add", "date_upd"):
            if stamp in record and not record[stamp]:
                record[stamp] = now
        self.tables[resource][new_id] = record
        return record

    def get(self, resource: str, object_id: int | str) -> Record | None:
        try:
            return self.tables[resource].get(int(object_id))
        except (TypeError, ValueError):
            return None

    def rows(self, resource: str) -> list[Record]:
        return list(self.tables[resource].values())

    def touch(self, record: Record) -> None:
        """Stamp ``date_upd`` as ``ObjectModel::update()`` does."""
        if "date_upd" in record:
            record["date_upd"] = self.now()

    def config(self, name: str, default: str = "") -> str:
        """A shop-wide ``configurations`` value (``Configuration::get``), ``default`` when unset."""
        for row in self.tables["configurations"].values():
            if row.get("name") == name and str(row.get("id_shop") or "0") == "0" \
                    and str(row.get("id_shop_group") or "0") == "0":
                return str(row.get("value", ""))
        return default

    def where(self, resource: str, **equals: Any) -> list[Record]:
        """Records whose fields equal the given values (compared as text)."""
        return [r for r in self.tables[resource].values()
                if all(str(r.get(k)) == str(v) for k, v in equals.items())]
