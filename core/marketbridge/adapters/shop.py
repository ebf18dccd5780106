"""The shop adapter contract: what Marketbridge needs from a shop platform.

A shop plugin subclasses :class:`ShopAdapter` and returns the class from the
``register_shops`` hook. The engine creates one instance per shop and job run,
passing an :class:`~marketbridge.adapters.context.AdapterContext`.

Every method documents what it receives, what it returns and what it may raise.
Failures are always one of the exceptions in :mod:`marketbridge.errors`; an
adapter never lets a ``requests`` exception or a ``KeyError`` escape.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Sequence

from marketbridge.adapters.common import CheckResult
from marketbridge.adapters.context import AdapterContext
from marketbridge.adapters.demo import OffersDemo
from marketbridge.adapters.settings import SettingField
from marketbridge.order.model import Money, Order, OrderLine


class ProductIdentifier(StrEnum):
    """Which identifier matches marketplace lines to shop products (C5)."""

    SKU = "sku"  #: product number / reference / SKU, variants included
    EAN = "ean"  #: EAN/GTIN
    PRODUCT_ID = "product_id"  #: the shop's own product id


@dataclass(frozen=True)
class ShopProduct:
    """A sellable shop product (a variant is a product of its own with ``parent_id``)."""

    product_id: str
    name: str
    sku: str | None = None
    ean: str | None = None
    parent_id: str | None = None
    active: bool = True
    weight: Decimal | None = None  #: kilograms; ``None`` when the shop has none (O4)
    stock: int | None = None  #: available quantity; ``None`` when not tracked / unlimited


@dataclass(frozen=True)
class ShopOrderRef:
    """Where an imported order lives in the shop."""

    order_id: str  #: the shop's internal id
    number: str | None = None  #: the number the merchant sees, if different


@dataclass(frozen=True)
class ShopStatus:
    """An order status as the shop has it, custom ones included (S1).

    ``code`` is what the adapter understands back in :meth:`ShopAdapter.set_status`
    and reports in :class:`StatusChanged`; ``group`` separates parallel state
    machines (Shopware: order / delivery / payment).
    """

    code: str
    label: str
    group: str | None = None
    initial: bool = True  #: usable as the status of a newly imported order (O3)


@dataclass(frozen=True)
class Marker:
    """How the merchant recognises a marketplace order in the shop's list (O2)."""

    marketplace: str  #: channel kind, e.g. "amazon"
    label: str  #: e.g. "Amazon", or "Amazon Click & Collect" for pickup orders
    pickup: bool = False
    test: bool = False  #: C6 test orders say so in the shop too


@dataclass(frozen=True)
class PlannedLine:
    """A canonical line together with the shop product it was matched to."""

    line: OrderLine
    product: ShopProduct


@dataclass(frozen=True)
class OrderDraft:
    """Everything :meth:`ShopAdapter.create_order` needs to build the shop's own order.

    ``external_ref`` is deterministic (derived from the marketplace and its
    order id); store it on the shop order so :meth:`ShopAdapter.find_order`
    finds the order again after a crash. ``initial_status`` is the connection's
    configured status for new orders (O3), ``None`` for the shop's default.
    """

    order: Order
    external_ref: str
    lines: tuple[PlannedLine, ...]
    marker: Marker
    initial_status: str | None
    connection_name: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShippedLine:
    """A quantity of one shop product in a shipment."""

    quantity: int
    product_id: str | None = None
    sku: str | None = None


@dataclass(frozen=True)
class StatusChanged:
    """The merchant moved an order to another status in the shop (S2).

    ``event_id`` must be unique and stable for this change (the same change
    reported twice, by webhook and by polling, carries the same id).
    """

    event_id: str
    order: ShopOrderRef
    status: str
    changed_at: datetime


@dataclass(frozen=True)
class Shipped:
    """The merchant shipped (part of) an order in the shop (S3).

    ``carrier`` is the carrier as the shop names it; the ``detect_carrier``
    policy turns it into the marketplace's carrier code. ``lines`` empty means
    the whole order. ``shipment_id`` is stable for the shipment.
    """

    event_id: str
    order: ShopOrderRef
    shipment_id: str
    tracking_numbers: tuple[str, ...]
    shipped_at: datetime
    carrier: str | None = None
    shipping_method: str | None = None
    lines: tuple[ShippedLine, ...] = ()


ShopEvent = StatusChanged | Shipped


@dataclass(frozen=True)
class ChangePage:
    """One page of shop changes since a cursor.

    ``cursor`` is what to pass next time (store it only after the events are
    safely recorded); ``more`` says another page is ready right away.
    Adapters overlap their windows: seeing an event twice is harmless.
    """

    events: tuple[ShopEvent, ...]
    cursor: str | None
    more: bool = False


@dataclass(frozen=True)
class StockLevel:
    """Stock of one product: total, and per location (warehouse, MSI source, store); and its price.

    ``price`` is what the shop charges a buyer for one unit, taxes included as
    the shop's storefront shows it, in the shop's currency (P2). Adapters
    fill it from the product record they read for the stock anyway, so price
    sync costs no extra shop call; ``None`` means the adapter does not know it,
    and then no price is sent.
    """

    product_id: str
    quantity: int | None  #: ``None`` means unlimited / not tracked
    sku: str | None = None
    by_location: dict[str, int] = field(default_factory=dict)
    price: Money | None = None


@dataclass(frozen=True)
class StockPage:
    """Stock levels that changed since a cursor (same cursor rules as :class:`ChangePage`)."""

    levels: tuple[StockLevel, ...]
    cursor: str | None
    more: bool = False


class ShopAdapter(OffersDemo, ABC):
    """Base class of every shop platform adapter.

    Class attributes describe the platform to the host:

    * ``kind`` – unique, lowercase key stored on each shop (``"shopware"``).
    * ``label`` – shown to merchants (``"Shopware 6"``).
    * ``settings_fields`` – what the merchant fills in to connect the shop.
    * ``pushes_changes`` – ``True`` when the shop sends webhooks; the host then
      polls :meth:`changes_since` less often, as a safety net only. May be a
      property reading ``self.context.settings`` when webhooks are optional.
    * ``batch_size`` – the most products one :meth:`find_products` or
      :meth:`read_stock` call should be given.
    * ``admin_endpoint`` – optional Flask endpoint (of the plugin's own
      blueprint) with the platform-specific set-up for a shop, taking a
      ``shop_id`` argument; the shop page links to it.
    * ``authorize_endpoint`` – optional Flask endpoint (no arguments) of an
      install flow that creates the shop without copying credentials (an
      app's OAuth install); "Add a shop" offers it next to the form.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    pushes_changes: ClassVar[bool] = False
    batch_size: ClassVar[int] = 100
    admin_endpoint: ClassVar[str | None] = None
    authorize_endpoint: ClassVar[str | None] = None

    def __init__(self, context: AdapterContext) -> None:
        self.context = context

    @abstractmethod
    def check_connection(self) -> CheckResult:
        """Verify credentials and permissions.

        Returns a :class:`CheckResult` listing, in plain words, each thing the
        merchant must fix (a missing permission, a wrong URL). Raises
        :class:`~marketbridge.errors.TemporaryFailure` when the shop cannot be
        reached at all.
        """

    @abstractmethod
    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Look an imported order up by the reference Marketbridge stored on it.

        Returns the reference, or ``None`` when no shop order carries
        ``external_ref``. Called before every create, so it must be exact (no
        fuzzy search). Raises ``TemporaryFailure``/``RateLimited``/
        ``AuthenticationFailed``.
        """

    @abstractmethod
    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Create the shop's own order from ``draft`` and return where it lives.

        Prices, taxes and totals are those of ``draft.order`` and must not be
        recalculated by the shop. The order carries ``draft.external_ref``
        (findable by :meth:`find_order`), the marker and ``draft.initial_status``.
        The host calls :meth:`find_order` first; when a create may have
        happened even though it raised (a timeout), raise ``TemporaryFailure``:
        the retry looks the order up again before creating. Platforms that
        build an order in several calls (customer, cart, order, note) may
        find the remains of an interrupted attempt here (through platform
        data such as the cart) and finish that order instead of starting a
        second one; :meth:`find_order` may return ``None`` for such an
        unfinished order until it is finished.

        Raises :class:`~marketbridge.errors.OrderRejected` when the shop refuses
        this order for a reason the merchant must fix (product disabled,
        a required field rejected), ``TemporaryFailure``/``RateLimited`` to retry,
        ``AuthenticationFailed`` for credential problems.
        """

    @abstractmethod
    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Find products by the connection's unique identifier (C5), in one batch.

        Receives at most ``batch_size`` values. Returns a dict from each value
        that matched to its product; values without a match are simply absent.
        Variants are matched as products of their own. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """

    @abstractmethod
    def list_statuses(self) -> list[ShopStatus]:
        """Return the shop's order statuses as the shop has them, custom ones included (S1)."""

    @abstractmethod
    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Move a shop order to ``status`` (a :attr:`ShopStatus.code`).

        Used by automation rules and by marketplace-side cancellations.
        Setting the status an order already has is a no-op, not an error.
        Raises ``OrderRejected`` when the shop forbids the transition.
        """

    @abstractmethod
    def changes_since(self, cursor: str | None) -> ChangePage:
        """Report status changes and shipments of Marketbridge orders since ``cursor`` (S2, S3).

        ``cursor`` is ``None`` on the first call: start from now, not from the
        beginning of time. Only orders created by Marketbridge matter; others
        may be filtered out here or are ignored by the host. Windows should
        overlap so late writes are not missed; duplicates are harmless.
        """

    @abstractmethod
    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Read current stock (and price, P2) of up to ``batch_size`` products (P1, K2).

        Unknown ids are left out of the result.
        """

    @abstractmethod
    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Report products whose stock changed since ``cursor``.

        Lets stock reach the marketplaces without rescanning the catalogue.
        With ``cursor=None`` start from now. A product whose price changed is
        reported too, where the platform tells (P2).
        """
