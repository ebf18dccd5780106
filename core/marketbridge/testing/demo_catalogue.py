"""One demo catalogue shared by every emulator, so demo and test orders always match.

Shop emulators seed their products from :data:`DEMO_PRODUCTS`; marketplace
emulators generate orders for the same SKUs. ``MB-LAMP-NOWEIGHT`` has no
weight (to show the O4 hold), ``MB-RETIRED`` is disabled, and
``MB-UNKNOWN`` exists on the marketplace only (to show the C5 hold).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    ean: str
    name: str
    price: Decimal  #: gross, EUR
    tax_rate: Decimal
    weight: Decimal | None  #: kg
    stock: int
    active: bool = True
    parent_sku: str | None = None  #: set on variants


DEMO_PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("MB-MUG-BLUE", "4006381333931", "Enamel mug, blue", Decimal("14.90"), Decimal("19"), Decimal("0.35"), 120),
    DemoProduct("MB-MUG-RED", "4006381333948", "Enamel mug, red", Decimal("14.90"), Decimal("19"), Decimal("0.35"), 80),
    DemoProduct("MB-TEE", "4012345000016", "Organic T-shirt", Decimal("24.00"), Decimal("19"), Decimal("0.20"), 0),
    DemoProduct("MB-TEE-S", "4012345000023", "Organic T-shirt, size S", Decimal("24.00"), Decimal("19"), Decimal("0.20"), 35, parent_sku="MB-TEE"),
    DemoProduct("MB-TEE-M", "4012345000030", "Organic T-shirt, size M", Decimal("24.00"), Decimal("19"), Decimal("0.21"), 50, parent_sku="MB-TEE"),
    DemoProduct("MB-TEE-L", "4012345000047", "Organic T-shirt, size L", Decimal("24.00"), Decimal("19"), Decimal("0.22"), 3, parent_sku="MB-TEE"),
    DemoProduct("MB-BOOK-COOK", "9783161484100", "Cookbook \u201cSimple Kitchen\u201d", Decimal("29.95"), Decimal("7"), Decimal("0.80"), 42),
    DemoProduct("MB-KETTLE", "4006381333955", "Stovetop kettle 1.5 l", Decimal("39.00"), Decimal("19"), Decimal("1.10"), 15),
    DemoProduct("MB-TOWEL-SET", "4006381333962", "Linen towel set (3)", Decimal("34.50"), Decimal("19"), Decimal("0.60"), 25),
    DemoProduct("MB-CANDLE", "4006381333979", "Beeswax candle", Decimal("9.90"), Decimal("19"), Decimal("0.25"), 200),
    DemoProduct("MB-LAMP-NOWEIGHT", "4006381333986", "Desk lamp (no weight entered)", Decimal("59.00"), Decimal("19"), None, 10),
    DemoProduct("MB-RETIRED", "4006381333993", "Retired teapot (disabled)", Decimal("19.00"), Decimal("19"), Decimal("0.90"), 5, active=False),
)

#: Sold on the marketplace but absent from every demo shop (C5 hold).
UNKNOWN_SKU = "MB-UNKNOWN"


def by_sku(sku: str) -> DemoProduct:
    """The demo product with ``sku``; ``KeyError`` when there is none."""
    for product in DEMO_PRODUCTS:
        if product.sku == sku:
            return product
    raise KeyError(sku)
