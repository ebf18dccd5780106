"""The Amazon channel adapter: the engine's entry point, delegating to one module per job.

===========================  ==================================================
Method                       Module and SP-API operations
===========================  ==================================================
check_connection             sellers (getMarketplaceParticipations), authorization
marketplaces                 sellers (getMarketplaceParticipations)
fetch_orders                 orders_import (searchOrders, getOrder), backlog
                             (createReport, getReport, getReportDocument + RDT)
refresh_orders               orders_import (getOrder)
confirm_shipment             shipments (confirmShipment, getOrder read-back)
push_status                  pickup (updateShipmentStatus)
was_delivered                shipments (getOrder FULFILLMENT,PACKAGES)
push_stock / stock_results   stock, listings (patchListingsItem), feeds
                             (createFeedDocument, createFeed, getFeed, getFeedDocument)
carrier_codes                carriers (Amazon's CarrierCode list)
upsert_store / archive_store supply_sources (create/update/status/archive)
label_rates / buy_label      labels (Shipping v2 getRates, purchaseShipment)
===========================  ==================================================
"""
from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Sequence

from marketbridge.adapters import (BoughtLabel, ChannelAdapter, CheckResult, ConnectionInfo, DemoSetup, FetchRequest,
                                   LabelQuote, LabelRequest, MarketplaceChoice, MarketplaceStatus, OrderPage,
                                   ShipmentNotice, StatusNotice, StockResult, StockSubmission, StockUpdate, Store)
from marketbridge.clock import Clock
from marketbridge.errors import AdapterError, AuthenticationFailed, DeliveryRejected

from marketbridge_amazon.authorization import grant_status
from marketbridge_amazon.backlog import Backlog
from marketbridge_amazon.carriers import carrier_codes
from marketbridge_amazon.client import SpApiClient
from marketbridge_amazon.config import ACCOUNT_FIELDS, AccountConfig
from marketbridge_amazon.i18n import TRANSLATIONS
from marketbridge_amazon.labels import LabelShipping
from marketbridge_amazon.marketplaces import marketplace
from marketbridge_amazon.order_mapping import MappingRules
from marketbridge_amazon.orders_import import OrderConverter, OrderImporter, OrderReader, Scope
from marketbridge_amazon.pickup import SHIPMENT_STATUSES, push_pickup_status
from marketbridge_amazon.rdt import RestrictedDataTokens
from marketbridge_amazon.reconcile import Reconciler, Reconciliation
from marketbridge_amazon.reports import Reports
from marketbridge_amazon.sellers import participations
from marketbridge_amazon.shipments import Shipments
from marketbridge_amazon.stock import StockSync
from marketbridge_amazon.supply_sources import SupplySources

CANCEL_UNSUPPORTED = (
    "Amazon's Selling Partner API offers no operation to cancel a seller-fulfilled order in the API models "
    "Marketbridge uses (Orders v0 and 2026-01-01 have none). Cancel order {order} in Seller Central "
    "(Orders → Manage Orders → Cancel order).")


class AmazonChannel(ChannelAdapter):
    """Amazon Selling Partner API channel (MFN and AFN connections, Prime, Click & Collect)."""

    kind = "amazon"
    label = "Amazon"
    account_fields = ACCOUNT_FIELDS
    #: The consent flow (C7) and renewal (C8) page; the host's account pages link to it.
    authorize_endpoint = "amazon.authorize"
    admin_endpoint = "amazon.quota"
    #: French and German labels of the account fields (see :mod:`marketbridge_amazon.i18n`).
    translations = str(TRANSLATIONS)
    statuses = (
        MarketplaceStatus("shipped", "Shipped", needs_tracking=True),
        MarketplaceStatus("ready_for_pickup", "Ready for pickup", pickup=True),
        MarketplaceStatus("picked_up", "Picked up", pickup=True),
        MarketplaceStatus("refused_pickup", "Not collected / refused", pickup=True),
    )
    stock_batch_size = 10_000
    #: Prices (P2) go out with the quantities, in the same patch or feed message (``purchasable_offer``).
    syncs_prices = True
    #: Labels through Amazon Buy Shipping (Shipping v2), merchant-fulfilled connections only (L1, L2).
    buys_labels = True

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup:
        """The demo's Amazon: the SP-API emulator with an Amazon.de seller, a pickup store and an order stream.

        Receives the clock the emulator runs on (the system clock in ``make run``). Returns a
        :class:`~marketbridge.adapters.DemoSetup` whose ``step(now)`` places Prime, Click & Collect,
        Business, multi-line, held (``MB-UNKNOWN``, ``MB-LAMP-NOWEIGHT``), late-Pending and cancelled
        orders over time (see :mod:`marketbridge_amazon.demo`).
        """
        from marketbridge_amazon.demo import demo_setup

        return demo_setup(clock)

    # -- wiring -----------------------------------------------------------
    @cached_property
    def config(self) -> AccountConfig:
        return AccountConfig.from_context(self.context.settings, self.context.secrets)

    @cached_property
    def client(self) -> SpApiClient:
        return SpApiClient(self.context, self.config)

    @property
    def connection(self) -> ConnectionInfo:
        if self.context.connection is None:
            raise AdapterError("This Amazon operation needs a connection (marketplace and fulfilment channel).",
                               code="no_connection")
        return self.context.connection

    @cached_property
    def scope(self) -> Scope:
        return Scope(self.connection.marketplace,
                     "AMAZON" if self.connection.fulfilment_channel == "marketplace" else "MERCHANT")

    @cached_property
    def supply(self) -> SupplySources:
        return SupplySources(self.client, self.context.state, self.context.clock)

    @cached_property
    def rules(self) -> MappingRules:
        known = marketplace(self.connection.marketplace)
        return MappingRules(currency=known.currency if known else "EUR",
                            prices_include_tax=known.prices_include_tax if known else True,
                            resolve_store=self.supply.code_at, known_store=self.supply.known_code_at)

    @cached_property
    def reports(self) -> Reports:
        return Reports(self.client, RestrictedDataTokens(self.client))

    @cached_property
    def converter(self) -> OrderConverter:
        return OrderConverter(self.rules, self.scope, self.context.log)

    @cached_property
    def importer(self) -> OrderImporter:
        return OrderImporter(self.client, self.converter, self.context.clock,
                             Backlog(self.reports, self.rules, self.scope))

    @cached_property
    def shipments(self) -> Shipments:
        return Shipments(self.client, OrderReader(self.client), self.context.state, self.context.clock,
                         self.connection.marketplace, carrier_codes(), self.supply)

    @cached_property
    def stock(self) -> StockSync:
        product_type = str(self.connection.settings.get("product_type") or "PRODUCT")
        return StockSync(self.client, self.supply, self.context.state, self.connection.marketplace, product_type)

    @cached_property
    def labels(self) -> LabelShipping:
        known = marketplace(self.connection.marketplace)
        return LabelShipping(self.client, self.context.state, self.context.clock,
                             known.country_code if known else None, carrier_codes())

    def _merchant_fulfilled(self, what: str) -> None:
        if self.connection.fulfilment_channel == "marketplace":
            raise DeliveryRejected(f"This connection handles Amazon-fulfilled (FBA) orders: Amazon ships them, so "
                                   f"there is {what}. Labels are bought for merchant-fulfilled orders only.",
                                   code="labels_not_offered")

    # -- ChannelAdapter ---------------------------------------------------
    def check_connection(self) -> CheckResult:
        """Check settings, the grant's expiry (C8) and that the account sells on the connection's marketplace.

        Receives nothing; returns the problems in plain words (authorisation
        failures included). Uses ``getMarketplaceParticipations``. Raises
        ``TemporaryFailure``/``RateLimited`` when Amazon cannot be asked now.
        """
        problems = AccountConfig.problems(self.context.settings, self.context.secrets)
        if problems:
            return CheckResult(tuple(problems))
        status = grant_status(self.context.state, self.context.clock.now())
        if status is not None and status.expired:
            problems.append(f"Your Amazon authorisation expired on {status.expires_at:%Y-%m-%d}. Renew it in Seller "
                            "Central (Settings → User Permissions → authorised apps); the same token works again.")
        elif status is not None and status.reminder_due:
            problems.append(f"Your Amazon authorisation expires on {status.expires_at:%Y-%m-%d}. Renew it in Seller "
                            "Central (Settings → User Permissions → authorised apps) before then.")
        try:
            found = participations(self.client)
        except AuthenticationFailed as exc:
            return CheckResult(tuple(problems + [exc.message]))
        connection = self.context.connection
        if connection is not None:
            if connection.fulfilment_channel not in ("merchant", "marketplace"):
                problems.append("Choose whether this connection handles merchant-fulfilled or Amazon-fulfilled (FBA) "
                                "orders.")
            match = next((p for p in found if p.marketplace_id == connection.marketplace), None)
            if match is None or not match.participating:
                names = ", ".join(f"{p.name} ({p.marketplace_id})" for p in found if p.participating) or "none"
                problems.append(f"Your Amazon account does not sell on marketplace {connection.marketplace}. Choose "
                                f"one it sells on: {names}.")
            elif match.suspended_listings:
                problems.append(f"Amazon reports suspended listings on {match.name}; check Seller Central → "
                                "Inventory → Fix stranded/suppressed listings.")
            if marketplace(connection.marketplace) is None and match is not None:
                problems.append(f"Marketbridge does not know marketplace {connection.marketplace} yet; its tax "
                                "rules may be wrong.")
        return CheckResult(tuple(problems))

    def marketplaces(self) -> list[MarketplaceChoice]:
        """The marketplaces the account sells on (C1), from ``getMarketplaceParticipations``.

        Raises ``AuthenticationFailed``, ``RateLimited``, ``TemporaryFailure``.
        """
        return [MarketplaceChoice(p.marketplace_id, f"{p.name} ({p.domain})" if p.domain else p.name,
                                  p.country_code, p.currency)
                for p in participations(self.client) if p.participating]

    def fetch_orders(self, request: FetchRequest) -> OrderPage:
        """One page of the connection's orders (C3, C4, O1, O5, O8), see :mod:`.orders_import`.

        Receives the stored cursor (or ``None`` and the activation date);
        returns canonical order dicts, rejected orders with their raw data (buyer
        e-mail removed) and the next cursor. Uses ``searchOrders`` and, for
        backlogs, the Reports API. Raises ``RateLimited`` (cursor unchanged),
        ``TemporaryFailure``, ``AuthenticationFailed``.
        """
        return self.importer.fetch(request)

    def refresh_orders(self, marketplace_order_ids: Sequence[str]) -> OrderPage:
        """Read these orders again with ``getOrder`` (pending orders until importable or cancelled).

        Returns a page whose cursor is ``None``; orders Amazon does not know
        come back as rejected. When the getOrder quota runs out midway the page
        holds the orders read so far (ask again for the rest); ``RateLimited``
        is raised only when none could be read.
        """
        page, _ = OrderReader(self.client).many(list(marketplace_order_ids), self.converter)
        return page

    def confirm_shipment(self, notice: ShipmentNotice) -> None:
        """Confirm a shipment with ``confirmShipment`` and verify it with ``getOrder`` (S3).

        Returns nothing once Amazon shows the package. Raises
        ``DeliveryRejected`` (unknown carrier code, Amazon's refusal,
        ``confirmation_dropped``), ``TemporaryFailure`` (``confirmation_unverified``
        while Amazon does not show it yet), ``RateLimited``.
        """
        self.shipments.confirm(notice)

    def push_status(self, notice: StatusNotice) -> None:
        """Send a Click & Collect status with ``updateShipmentStatus`` (K4), partial when ``notice.lines``.

        ``shipped`` needs a shipment notice and cancellations have no SP-API
        operation: both raise ``DeliveryRejected`` saying what to do instead.
        """
        if notice.status in SHIPMENT_STATUSES:
            push_pickup_status(self.client, notice, self.connection.marketplace)
            return
        if notice.status == "shipped":
            raise DeliveryRejected(f"Order {notice.marketplace_order_id}: Amazon marks an order shipped only with a "
                                   "shipment confirmation (carrier and tracking number).", code="needs_tracking")
        if notice.status == "cancelled":
            raise DeliveryRejected(CANCEL_UNSUPPORTED.format(order=notice.marketplace_order_id),
                                   code="unsupported_status")
        raise DeliveryRejected(f"Amazon has no status {notice.status!r} that Marketbridge could send for order "
                               f"{notice.marketplace_order_id}.", code="unsupported_status")

    def was_delivered(self, notice: ShipmentNotice | StatusNotice) -> bool | None:
        """After a crash: does Amazon already have ``notice``?

        Shipments are read back with ``getOrder`` (FULFILLMENT, PACKAGES):
        ``True`` when a package carries the notice's reference or tracking
        number. Pickup statuses cannot be read back from the order (the models
        expose no pickup state), so ``None``: the host resends them, which
        Amazon treats as the same status again.
        """
        if isinstance(notice, ShipmentNotice):
            return self.shipments.visible(notice)
        return None

    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """Send quantities and prices: ``patchListingsItem`` for a few SKUs, a ``JSON_LISTINGS_FEED`` otherwise.

        Receives up to ``stock_batch_size`` updates. Per-store quantities go to
        the store's supply source (K2). A shop-wide update's ``price`` (P2) is
        a second operation on ``purchasable_offer`` in the same patch or feed
        message; a price on a store update is ignored. Returns results at once
        (patches; a refused price fails that SKU's results with Amazon's
        message) or a feed id to poll. Raises ``RateLimited`` when nothing
        could be submitted.
        """
        return self.stock.push(updates)

    def stock_results(self, pending_id: str) -> tuple[StockResult, ...] | None:
        """Per-SKU results of a stock feed (``getFeed``, ``getFeedDocument``), ``None`` while processing."""
        return self.stock.results(pending_id)

    def carrier_codes(self) -> frozenset[str] | None:
        """Amazon's exact carrier codes (378 values of ``amzn-base.xsd`` ``CarrierCode``)."""
        return carrier_codes()

    def upsert_store(self, store: Store, remote_id: str | None) -> str:
        """Create or update a pickup store as a supply source (K1); returns its ``supplySourceId``.

        Raises ``DeliveryRejected`` for incomplete addresses or Amazon's refusal.
        """
        return self.supply.upsert(store, remote_id)

    def archive_store(self, remote_id: str) -> None:
        """Archive a supply source for good (``archiveSupplySource``); unknown ids count as archived."""
        self.supply.archive(remote_id)

    def label_rates(self, request: LabelRequest) -> LabelQuote:
        """Rates for one parcel of the order from Amazon Buy Shipping, ``getRates`` (L1), see :mod:`.labels`.

        Receives a :class:`~marketbridge.adapters.LabelRequest` (every line of
        the order, one parcel). Returns a quote valid 10 minutes: ``rates``
        Amazon offers and, refused (``eligible=False``), its ``ineligibleRates``
        with a plain reason each (``LATE_DELIVERY``: the service cannot meet the
        buyer's delivery promise). Raises ``DeliveryRejected`` for an AFN
        connection, an incomplete parcel or address, or Amazon's refusal (its
        message); ``RateLimited``/``TemporaryFailure`` otherwise.
        """
        self._merchant_fulfilled("no label to buy")
        return self.labels.rates(request)

    def buy_label(self, token: str, rate_id: str, key: str) -> BoughtLabel:
        """Buy rate ``rate_id`` of quote ``token`` with ``purchaseShipment`` (L2), ``key`` as idempotency key.

        Amazon marks the order shipped by the purchase itself; no
        ``confirmShipment`` is sent. The same ``key`` again returns the same
        shipment (never a second label). Returns a
        :class:`~marketbridge.adapters.BoughtLabel` (shipment id, tracking
        number, carrier and service of the quote, the decoded PDF label, the
        carrier's confirmShipment code when Amazon's list has it, the price).
        Raises ``DeliveryRejected`` (``label_quote_expired`` after Amazon's 10
        minutes, ``label_refused`` with Amazon's message, an AFN connection),
        ``RateLimited`` (429) or ``TemporaryFailure`` (5xx, timeouts).
        """
        self._merchant_fulfilled("no label to buy")
        return self.labels.buy(token, rate_id, key)

    # -- extras for the host (quota display, daily reconciliation) --------
    def quota_levels(self) -> dict[str, dict[str, float]]:
        """Rate, burst and available calls of every operation used so far (for the merchant's quota page)."""
        return self.client.buckets.snapshot()

    def request_reconciliation(self, start: datetime, end: datetime) -> str:
        """Ask Amazon for the period's All Orders report (daily reconciliation); returns the report id."""
        return Reconciler(self.reports, self.scope).request(start, end)

    def reconciliation(self, report_id: str, imported_ids: Sequence[str]) -> Reconciliation | None:
        """Orders Amazon reports for the period that were never imported, or ``None`` while it prepares them."""
        return Reconciler(self.reports, self.scope).result(report_id, imported_ids)
