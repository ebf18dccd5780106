"""Products and variations of the emulated store, serialised as Ecwid's ``Product`` objects.

Shapes follow the "Search products"/"Get a product" tables and examples of
``specs/ecwid/api-reference.2020.extract.json``: ``quantity`` is omitted when
``unlimited`` is true, variations are ``combinations`` with their own ``sku``,
``quantity``, ``weight`` and option values, and EAN/UPC/GTIN is the attribute
of type ``UPC``. A weight of 0 means "no weight entered".

Prices (P2): ``price`` is the base price the merchant entered; a combination
omits it when it inherits the product's ("Omitted if the variation inherits
the base product's price"). ``defaultDisplayedPrice`` is the storefront price:
the base price plus the taxes included in prices at the store location
(``tax.defaultLocationIncludedTaxRate``, 0 when the store adds taxes at
checkout), rounded to cents. Combinations carry it too, as in the current docs'
"Search product variations" example; the 2020 docs omitted it there
(the emulator's ``combination_prices = False``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketbridge.testing.demo_catalogue import DemoProduct

#: Id Ecwid gives its built-in UPC attribute in the docs' examples.
UPC_ATTRIBUTE_ID = 9998010


def ecwid_date(when: datetime) -> str:
    """``2014-06-06 18:57:19 +0000``."""
    return when.strftime("%Y-%m-%d %H:%M:%S +0000")


def _upc(ean: str | None) -> list[dict[str, Any]]:
    if not ean:
        return []
    return [{"id": UPC_ATTRIBUTE_ID, "name": "UPC", "value": ean, "type": "UPC", "show": "DESCR"}]


def _number(value: Decimal | float | None) -> float:
    return float(value) if value is not None else 0.0


def displayed_price(base: float, included_rate: float) -> float:
    """The storefront price: ``base`` plus the included tax rate (%), rounded half-up to cents."""
    gross = Decimal(str(base)) * (1 + Decimal(str(included_rate)) / 100)
    return float(gross.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def base_price(gross: Decimal, rate: Decimal) -> float:
    """The base price a merchant enters so the storefront shows ``gross`` with ``rate`` % tax included."""
    return float((gross / (1 + rate / 100)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


@dataclass
class Combination:
    """A variation: one choice of the product's options, with its own SKU and stock."""

    id: int
    number: int
    options: list[tuple[str, str]]
    sku: str
    quantity: int | None  #: ``None`` = unlimited
    price: float | None  #: ``None`` = inherits the product's base price
    weight: float
    ean: str | None = None

    def to_json(self, product_price: float, included_rate: float, displayed: bool = True) -> dict[str, Any]:
        """The ``Variation`` object; ``product_price``/``included_rate`` give the inherited and displayed price."""
        data: dict[str, Any] = {
            "id": self.id, "combinationNumber": self.number,
            "options": [{"name": n, "nameTranslated": {"en": n}, "value": v, "valueTranslated": {"en": v}}
                        for n, v in self.options],
            "sku": self.sku, "unlimited": self.quantity is None,
            "inStock": self.quantity is None or self.quantity > 0,
            "weight": self.weight, "warningLimit": 0, "attributes": _upc(self.ean),
        }
        if self.price is not None:
            data["price"] = self.price
        if displayed:
            data["defaultDisplayedPrice"] = displayed_price(
                self.price if self.price is not None else product_price, included_rate)
        if self.quantity is not None:
            data["quantity"] = self.quantity
        return data


@dataclass
class Product:
    """A product of the store; ``combinations`` holds its variations."""

    id: int
    sku: str
    name: str
    price: float
    weight: float
    quantity: int | None  #: ``None`` = unlimited
    enabled: bool
    created: datetime
    updated: datetime
    ean: str | None = None
    tax_rate: float = 0.0  #: % of the product's tax (the store decides whether it is included in prices)
    tax_id: int = 0  #: the store tax (``taxSettings.taxes[].id``) enabled for the product
    combinations: list[Combination] = field(default_factory=list)

    def option_names(self) -> list[str]:
        names: list[str] = []
        for combination in self.combinations:
            for name, _ in combination.options:
                if name not in names:
                    names.append(name)
        return names

    def to_json(self, taxes_included: bool = True, combination_prices: bool = True) -> dict[str, Any]:
        """The ``Product`` object; ``taxes_included`` is the store's tax setting (``includeInPrice``),
        ``combination_prices`` whether combinations carry ``defaultDisplayedPrice`` (current docs)."""
        included_rate = self.tax_rate if taxes_included else 0.0
        options = []
        for name in self.option_names():
            values = list(dict.fromkeys(v for c in self.combinations for n, v in c.options if n == name))
            options.append({"type": "RADIO", "name": name, "nameTranslated": {"en": name},
                            "choices": [{"text": v, "textTranslated": {"en": v}, "priceModifier": 0,
                                         "priceModifierType": "ABSOLUTE"} for v in values],
                            "defaultChoice": 0, "required": True})
        data: dict[str, Any] = {
            "id": self.id, "sku": self.sku, "name": self.name, "nameTranslated": {"en": self.name},
            "unlimited": self.quantity is None,
            "inStock": self.quantity is None or self.quantity > 0 or any(
                c.quantity is None or c.quantity > 0 for c in self.combinations),
            "price": self.price, "defaultDisplayedPrice": displayed_price(self.price, included_rate),
            "tax": {"defaultLocationIncludedTaxRate": included_rate,
                    "enabledManualTaxes": [self.tax_id] if self.tax_id else []},
            "isShippingRequired": True, "weight": self.weight, "enabled": self.enabled,
            "created": ecwid_date(self.created), "updated": ecwid_date(self.updated),
            "createTimestamp": int(self.created.timestamp()), "updateTimestamp": int(self.updated.timestamp()),
            "productClassId": 0, "options": options, "warningLimit": 0, "defaultCombinationId": 0,
            "attributes": _upc(self.ean),
            "combinations": [c.to_json(self.price, included_rate, combination_prices) for c in self.combinations],
        }
        if self.quantity is not None:
            data["quantity"] = self.quantity
        return data

    def skus(self) -> list[str]:
        return [self.sku, *(c.sku for c in self.combinations)]

    def combination(self, combination_id: int) -> Combination | None:
        return next((c for c in self.combinations if c.id == combination_id), None)


def demo_products(demo: tuple[DemoProduct, ...], now: datetime, first_product_id: int,
                  first_combination_id: int, tax_ids: dict[Decimal, int] | None = None) -> list[Product]:
    """Turn the shared demo catalogue into Ecwid products; variants become combinations of their parent.

    A variant's option is named "Size" with the text after the parent's name
    ("Organic T-shirt, size S" → Size = S), as a merchant would set it up.
    Base prices are entered so the storefront shows the demo's gross price
    with its tax rate included (``tax_ids`` maps a rate to the store tax); a
    variant priced like its parent inherits the parent's price.
    """
    products: dict[str, Product] = {}
    gross = {item.sku: item.price for item in demo}
    next_product, next_combination = first_product_id, first_combination_id
    for item in demo:
        if item.parent_sku is None:
            products[item.sku] = Product(
                id=next_product, sku=item.sku, name=item.name, price=base_price(item.price, item.tax_rate),
                weight=_number(item.weight), quantity=item.stock, enabled=item.active, created=now, updated=now,
                ean=item.ean, tax_rate=_number(item.tax_rate), tax_id=(tax_ids or {}).get(item.tax_rate, 0))
            next_product += 1
    for item in demo:
        if item.parent_sku is not None:
            parent = products[item.parent_sku]
            own_price = None if item.price == gross[item.parent_sku] else base_price(item.price, item.tax_rate)
            value = item.name.rsplit("size", 1)[-1].strip() if "size" in item.name else item.sku
            parent.combinations.append(Combination(
                id=next_combination, number=len(parent.combinations) + 1, options=[("Size", value)],
                sku=item.sku, quantity=item.stock, price=own_price, weight=_number(item.weight),
                ean=item.ean))
            next_combination += 1
    return list(products.values())
