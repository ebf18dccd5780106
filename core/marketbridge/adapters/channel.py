"""The channel adapter contract: what Marketbridge needs from a marketplace.

A channel plugin subclasses :class:`ChannelAdapter` and returns the class from
the ``register_channels`` hook. The engine creates one instance per connection
and job run; ``context.connection`` tells which marketplace, fulfilment channel
and settings apply, ``context.state`` is shared by all connections of the same
marketplace account (tokens, rate-limit buckets).

Orders travel as canonical order *dicts* (see :mod:`marketbridge.order.schema`):
the host validates them, so a malformed order becomes a held order with its
reason instead of an exception that loses it. Messages to the marketplace
travel as notices that carry an idempotency ``key``; the host's outbox
guarantees each notice is delivered once, asking :meth:`ChannelAdapter.was_delivered`
after a crash instead of sending blindly again.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

from marketbridge.adapters.common import CheckResult
from marketbridge.adapters.context import AdapterContext
from marketbridge.adapters.demo import OffersDemo
from marketbridge.adapters.settings import SettingField
from marketbridge.errors import DeliveryRejected
from marketbridge.order.model import Money

if TYPE_CHECKING:
    from marketbridge.adapters.labels import BoughtLabel, LabelQuote, LabelRequest


@dataclass(frozen=True)
class MarketplaceChoice:
    """A marketplace/country an account can sell on (C1, C7)."""

    id: str
    label: str
    country_code: str
    currency: str


@dataclass(frozen=True)
class MarketplaceStatus:
    """A status the channel can send to the marketplace (S1 mapping targets).

    ``code`` is usually a value of :class:`~marketbridge.order.model.OrderStatus`
    (``shipped``, ``cancelled``, ``ready_for_pickup`` …). ``pickup`` marks
    Click & Collect statuses (K4); ``needs_tracking`` marks statuses that are
    sent as shipment confirmations rather than plain status updates.
    """

    code: str
    label: str
    pickup: bool = False
    needs_tracking: bool = False


@dataclass(frozen=True)
class FetchRequest:
    """What :meth:`ChannelAdapter.fetch_orders` should fetch.

    ``cursor`` is what the previous page returned, ``None`` on the first fetch
    of a connection, which starts at ``since`` (the activation date, C3).
    ``open_only`` is ``True`` on that first request only: it asks for open
    orders only (activation and backfill, C3). The channel keeps it in its own
    cursor for the following pages of that first window, and fetches every
    change after it.
    """

    cursor: str | None
    since: datetime
    open_only: bool = False


@dataclass(frozen=True)
class RejectedOrder:
    """An order the channel could not even turn into a canonical dict.

    ``raw`` is kept (JSON-serialisable) so nothing is lost; ``reason`` is shown.
    """

    marketplace_order_id: str | None
    raw: Any
    reason: str


@dataclass(frozen=True)
class OrderPage:
    """One page of orders.

    ``cursor`` is stored by the host in the same transaction as the orders,
    also for an empty page (a channel may carry its own progress in it, e.g.
    report ids while a backlog is processed); ``more`` says the next page can
    be fetched right away. ``total`` is an
    estimate of the whole window's size, used for backfill progress bars.
    """

    orders: tuple[Mapping[str, Any], ...]
    cursor: str | None
    more: bool = False
    rejected: tuple[RejectedOrder, ...] = ()
    total: int | None = None


@dataclass(frozen=True)
class NoticeLine:
    """A quantity of one marketplace order line."""

    line_id: str
    quantity: int


@dataclass(frozen=True)
class ShipmentNotice:
    """A shipment to confirm to the marketplace (S3).

    ``carrier_code`` is the marketplace's exact carrier code (validated against
    :meth:`ChannelAdapter.carrier_codes` before sending); ``carrier_name`` goes
    with the "Other" code. ``package_ref`` is a positive number unique per order.
    """

    key: str
    marketplace_order_id: str
    lines: tuple[NoticeLine, ...]
    carrier_code: str
    tracking_number: str
    shipped_at: datetime
    package_ref: str
    carrier_name: str | None = None
    shipping_method: str | None = None
    ship_from_store: str | None = None


@dataclass(frozen=True)
class StatusNotice:
    """A status change to send to the marketplace (S2, S5, K4).

    ``status`` is a :attr:`MarketplaceStatus.code`; ``lines`` limits the change
    to some quantities (partial pickup); ``reason`` accompanies cancellations
    and refunds.
    """

    key: str
    marketplace_order_id: str
    status: str
    lines: tuple[NoticeLine, ...] = ()
    reason: str | None = None


Notice = ShipmentNotice | StatusNotice


@dataclass(frozen=True)
class StockUpdate:
    """Quantity to offer for one listing, optionally for one pickup store (K2), and its price (P2).

    ``price`` is set only when the connection syncs prices and the channel
    declares ``syncs_prices``; it is the shop's price after the connection's
    selling policy, in the marketplace's currency, and only ever on the
    shop-wide update (``store_code`` ``None``). Send it together with the
    quantity: both are one offer.
    """

    sku: str
    quantity: int
    store_code: str | None = None
    price: Money | None = None


@dataclass(frozen=True)
class StockResult:
    """What the marketplace said about one :class:`StockUpdate`."""

    sku: str
    ok: bool
    store_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class StockSubmission:
    """Answer of :meth:`ChannelAdapter.push_stock`.

    Synchronous channels return every result at once. Channels that submit a
    batch document (feeds) return ``pending_id``; the host then asks
    :meth:`ChannelAdapter.stock_results` until the results are known.
    """

    results: tuple[StockResult, ...] = ()
    pending_id: str | None = None


@dataclass(frozen=True)
class Store:
    """A pickup store / supply source (K1)."""

    code: str  #: the merchant's unique supply source code
    name: str
    #: keys: ``line1``, ``line2``, ``city``, ``postal_code``, ``region``, ``country_code``, ``phone``, ``email``, ``timezone``
    address: Mapping[str, str]
    handling_time_minutes: int
    hold_days: int
    opening_hours: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    active: bool = True


class ChannelAdapter(OffersDemo, ABC):
    """Base class of every marketplace channel adapter.

    Class attributes:

    * ``kind`` – unique key (``"amazon"``), also the order's ``marketplace``.
    * ``label`` – shown to merchants (``"Amazon"``).
    * ``account_fields`` – settings of a marketplace account; channels with an
      OAuth-style consent flow (C7) register their own pages through
      ``register_blueprints`` instead and may leave this empty.
    * ``statuses`` – what the channel can send, for the status mapping (S1).
    * ``stock_batch_size`` – the most :class:`StockUpdate` per ``push_stock``.
    * ``buys_labels`` – ``True`` when the channel sells shipping labels for its
      orders (L1, L2): :meth:`label_rates` and :meth:`buy_label` work, and the
      order page offers "Buy a shipping label".
    * ``syncs_prices`` – ``True`` when ``push_stock`` sends a
      :attr:`StockUpdate.price` to the marketplace (P2); the connection's price
      settings are offered only then.
    * ``authorize_endpoint`` – optional Flask endpoint of the channel's own
      consent flow (C7), from its ``register_blueprints``; called without
      arguments to add an account and with ``account_id`` to renew one.
    * ``admin_endpoint`` – optional Flask endpoint of the channel's own page
      for one account (quota, reconciliation), taking ``account_id``; the
      account page links to it.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    account_fields: ClassVar[tuple[SettingField, ...]] = ()
    statuses: ClassVar[tuple[MarketplaceStatus, ...]] = ()
    stock_batch_size: ClassVar[int] = 1000
    syncs_prices: ClassVar[bool] = False
    buys_labels: ClassVar[bool] = False
    authorize_endpoint: ClassVar[str | None] = None
    admin_endpoint: ClassVar[str | None] = None

    def __init__(self, context: AdapterContext) -> None:
        self.context = context

    @abstractmethod
    def check_connection(self) -> CheckResult:
        """Verify the account's authorisation and the connection's marketplace.

        Raises ``TemporaryFailure`` when the marketplace cannot be reached.
        """

    @abstractmethod
    def marketplaces(self) -> list[MarketplaceChoice]:
        """List the marketplaces/countries the account can sell on (C1)."""

    @abstractmethod
    def fetch_orders(self, request: FetchRequest) -> OrderPage:
        """Fetch one page of orders created or changed since ``request.cursor``.

        Returns canonical order dicts for the connection's marketplace and
        fulfilment channel only (C4: never mix merchant- and marketplace-fulfilled).
        Windows should overlap the previous one; the host upserts, so repeats
        are harmless. An order the adapter cannot map goes into ``rejected``
        with its raw data, never silently dropped.

        Raises ``RateLimited`` (the host reschedules; the cursor is unchanged),
        ``TemporaryFailure``, ``AuthenticationFailed``.
        """

    @abstractmethod
    def refresh_orders(self, marketplace_order_ids: Sequence[str]) -> OrderPage:
        """Fetch these orders again (pending orders are re-checked until importable or cancelled).

        Returns a page whose ``cursor`` is ignored. The page may be partial
        when the quota runs out: ids missing from it were not re-read and are
        asked for again later. Same exceptions as :meth:`fetch_orders`.
        """

    @abstractmethod
    def confirm_shipment(self, notice: ShipmentNotice) -> None:
        """Tell the marketplace an order (or some lines) shipped (S3).

        Returns nothing on success. Raises ``DeliveryRejected`` when the
        marketplace refuses the notice for good (the merchant must correct it),
        ``RateLimited``/``TemporaryFailure`` to retry later.
        """

    @abstractmethod
    def push_status(self, notice: StatusNotice) -> None:
        """Send a status change: cancellation, refund, pickup statuses (S2, S5, K4).

        Same exceptions as :meth:`confirm_shipment`.
        """

    @abstractmethod
    def was_delivered(self, notice: ShipmentNotice | StatusNotice) -> bool | None:
        """Say whether the marketplace already has ``notice`` (crash recovery).

        Called when a notice was being sent when the worker died. ``True`` means
        the marketplace has it (do not send again), ``False`` means it does not,
        ``None`` means the adapter cannot tell (the host then sends again, with
        the same idempotency key).
        """

    @abstractmethod
    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """Send quantities (and prices, see :attr:`StockUpdate.price`) for up to ``stock_batch_size`` listings (P1, P2, P4).

        Choose the cheapest route for the quota (single calls for a few urgent
        changes, a batch document for many). Per-SKU refusals come back as
        failed :class:`StockResult` values, not exceptions. Raises
        ``RateLimited``/``TemporaryFailure`` when nothing could be submitted.
        """

    @abstractmethod
    def stock_results(self, pending_id: str) -> tuple[StockResult, ...] | None:
        """Return the results of an asynchronous stock submission, or ``None`` while processing."""

    @abstractmethod
    def carrier_codes(self) -> frozenset[str] | None:
        """The exact carrier codes the marketplace accepts, or ``None`` for free text (S4)."""

    @abstractmethod
    def upsert_store(self, store: Store, remote_id: str | None) -> str:
        """Create or update a pickup store (K1); returns the marketplace's id for it.

        Channels without pickup raise ``DeliveryRejected``.
        """

    @abstractmethod
    def archive_store(self, remote_id: str) -> None:
        """Retire a pickup store for good (K1)."""

    def label_rates(self, request: LabelRequest) -> LabelQuote:
        """Ask the marketplace's shipping service for rates for one parcel of one order (L1).

        Receives a :class:`~marketbridge.adapters.LabelRequest`. Returns a
        :class:`~marketbridge.adapters.LabelQuote` listing eligible rates and
        the refused ones with their reason (a service that cannot meet the
        order's delivery promise is refused, never hidden). Raises
        ``DeliveryRejected`` when the marketplace will not sell a label for
        this order (with what to do), ``RateLimited``/``TemporaryFailure``
        otherwise. Only channels with ``buys_labels`` are asked; the default
        refuses.
        """
        raise DeliveryRejected(f"{self.label} does not sell shipping labels.", code="labels_not_offered")

    def buy_label(self, token: str, rate_id: str, key: str) -> BoughtLabel:
        """Buy the label of rate ``rate_id`` from the quote ``token`` (L2).

        ``key`` is the host's idempotency key for this purchase: asked again
        with the same key (after a crash or a timeout), return the label
        already bought instead of buying a second one. Returns a
        :class:`~marketbridge.adapters.BoughtLabel`; the marketplace learns
        of the shipment by the purchase itself. Raises ``DeliveryRejected``
        (expired quote, refused service: with what to do) or
        ``TemporaryFailure``/``RateLimited``. The default refuses.
        """
        raise DeliveryRejected(f"{self.label} does not sell shipping labels.", code="labels_not_offered")
