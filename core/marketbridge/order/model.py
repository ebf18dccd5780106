"""Dataclasses of the canonical order.

Conventions every channel and shop adapter relies on:

* Money is :class:`decimal.Decimal` with an ISO 4217 currency, never a float.
* ``OrderLine.unit_price`` is what the buyer paid per unit; with
  ``Order.prices_include_tax`` it includes tax (EU marketplaces), otherwise tax
  comes on top (US). ``OrderLine.tax`` is the tax of the whole line. Shops must
  store these amounts as given and never recalculate them.
* Times are aware UTC datetimes.
* Fields holding a buyer's personal data are marked ``pii`` in the schema and are
  erased by the purge job (D1). Buyer e-mail is ``None`` for marketplaces that
  forbid storing it (O8).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    """The marketplace-side status of an order, in Marketbridge's own words.

    Channels map their platform's vocabulary onto these; the raw value is kept
    in ``Order.marketplace_status`` for display.
    """

    PENDING = "pending"  #: placed but not yet payable/confirmed: wait, do not import
    UNSHIPPED = "unshipped"  #: confirmed, waiting for the merchant to ship
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    READY_FOR_PICKUP = "ready_for_pickup"  #: Click & Collect: waiting in store (K4)
    PICKED_UP = "picked_up"
    REFUSED_PICKUP = "refused_pickup"

    @property
    def importable(self) -> bool:
        """Whether an order in this status may become a shop order."""
        return self not in (OrderStatus.PENDING, OrderStatus.CANCELLED)

    @property
    def open(self) -> bool:
        """Whether the order still needs the merchant's work (C3: activation fetches only these)."""
        return self in (OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.READY_FOR_PICKUP)


class FulfilmentChannel(StrEnum):
    """Who ships the order (C4: one connection never mixes the two)."""

    MERCHANT = "merchant"  #: Amazon MFN, bol FBR
    MARKETPLACE = "marketplace"  #: Amazon AFN/FBA, bol FBB


@dataclass(frozen=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0"), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


@dataclass
class Address:
    """A postal address. Every field but the country is personal data."""

    name: str
    line1: str
    city: str
    postal_code: str
    country_code: str
    line2: str | None = None
    line3: str | None = None
    company: str | None = None
    region: str | None = None
    phone: str | None = None


@dataclass
class Buyer:
    """Who bought. ``email`` stays ``None`` where the marketplace forbids storing it (O8)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    vat_number: str | None = None


@dataclass
class OrderLine:
    """One ordered product.

    ``line_id`` is the marketplace's id of the line (needed to confirm shipments
    line by line). ``sku``/``ean``/``product_id`` are the identifiers the
    marketplace knows; the connection's unique identifier (C5) picks which one
    matches a shop product.
    """

    line_id: str
    title: str
    quantity: int
    unit_price: Money
    tax: Money
    discount: Money
    sku: str | None = None
    ean: str | None = None
    product_id: str | None = None
    marketplace_product_id: str | None = None  #: e.g. the ASIN
    tax_rate: Decimal | None = None  #: percent, e.g. Decimal("19")

    @property
    def total(self) -> Money:
        """Line total as charged, before the line discount."""
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)


@dataclass
class Shipping:
    """The shipping the buyer chose and paid for."""

    method: str
    price: Money
    tax: Money
    discount: Money
    service_level: str | None = None  #: Standard, Expedited, NextDay, SameDay, …


@dataclass
class Promise:
    """What the marketplace promised the buyer (drives Prime handling and label buying)."""

    earliest_ship: datetime | None = None
    latest_ship: datetime | None = None
    earliest_delivery: datetime | None = None
    latest_delivery: datetime | None = None


@dataclass
class OrderFlags:
    """Marketplace programmes the order belongs to."""

    prime: bool = False  #: seller-fulfilled Prime (O5, O6)
    premium: bool = False
    pickup: bool = False  #: Click & Collect / in-store pickup (K1–K6)
    business: bool = False
    replacement: bool = False
    preorder: bool = False


@dataclass
class Order:
    """A marketplace order in canonical form.

    ``marketplace`` + ``marketplace_order_id`` identify the order worldwide: two
    routes delivering the same Amazon order (C9) produce the same pair.
    """

    marketplace: str
    marketplace_order_id: str
    status: OrderStatus
    marketplace_status: str
    purchased_at: datetime
    updated_at: datetime
    currency: str
    lines: list[OrderLine]
    shipping: Shipping
    total: Money
    fulfilment_channel: FulfilmentChannel = FulfilmentChannel.MERCHANT
    prices_include_tax: bool = True
    sales_channel: str | None = None  #: e.g. "Amazon.de" or a marketplace id
    buyer: Buyer = field(default_factory=Buyer)
    shipping_address: Address | None = None  #: absent while an order is pending
    billing_address: Address | None = None
    flags: OrderFlags = field(default_factory=OrderFlags)
    pickup_store_code: str | None = None  #: supply source code of the pickup store
    promise: Promise = field(default_factory=Promise)
    tags: list[str] = field(default_factory=list)
    is_test: bool = False  #: C6 test orders: never sent back to the marketplace
    notes: dict[str, str] = field(default_factory=dict)  #: extra facts shown to the merchant

    @property
    def key(self) -> str:
        """The worldwide identity of the order, ``"<marketplace>:<order id>"``."""
        return f"{self.marketplace}:{self.marketplace_order_id}"

    def add_tag(self, tag: str) -> None:
        """Add ``tag`` once."""
        if tag not in self.tags:
            self.tags.append(tag)
