"""The Ecwid shop adapter: Marketbridge's :class:`~marketbridge.adapters.ShopAdapter` for Ecwid REST API v3.

Each method names the Ecwid operation it uses; the work is done by the small
modules next to this one (``orders``, ``products``, ``stock``, ``changes``,
``statuses``, ``check``). Every failure reaches the engine as one of the
exceptions of :mod:`marketbridge.errors` with a plain-English reason.
"""
from __future__ import annotations

from typing import ClassVar, Sequence

from marketbridge.adapters import (
    AdapterContext,
    ChangePage,
    CheckResult,
    DemoSetup,
    OrderDraft,
    ProductIdentifier,
    SettingField,
    ShopAdapter,
    ShopEvent,
    ShopOrderRef,
    ShopProduct,
    ShopStatus,
    StockLevel,
    StockPage,
)
from marketbridge.clock import Clock
from marketbridge.errors import AuthenticationFailed

from marketbridge_ecwid import changes, check, orders, products, statuses, stock
from marketbridge_ecwid.client import EcwidClient
from marketbridge_ecwid.profile import store_profile
from marketbridge_ecwid.settings import SETTINGS_FIELDS, load_config
from marketbridge_ecwid.webhooks import EcwidWebhook, webhooks_active


class EcwidShopAdapter(ShopAdapter):
    """Connects one Ecwid store (store id + ``secret_`` token) to Marketbridge."""

    kind: ClassVar[str] = "ecwid"
    label: ClassVar[str] = "Ecwid by Lightspeed"
    authorize_endpoint: ClassVar[str | None] = "ecwid.connect"
    settings_fields: ClassVar[tuple[SettingField, ...]] = SETTINGS_FIELDS
    #: ``GET /products?productId=…`` and every search page hold 100 products.
    batch_size: ClassVar[int] = 100

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self._client: EcwidClient | None = None

    @property  # type: ignore[override]
    def pushes_changes(self) -> bool:  # type: ignore[override]
        """True while Ecwid's webhooks reach this shop (a verified one within 24 h).

        Webhooks need the app's webhook URL registered with Ecwid and a client
        secret to verify them; whether that works is known only once they
        arrive. Until then, and if they stop, changes are polled every minute;
        while they arrive, polling is the host's 10-minute safety net.
        """
        return webhooks_active(self.context.state, self.context.clock.now())

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup | None:
        """The demo: an emulated Ecwid store with the demo catalogue and a merchant who works it.

        See :mod:`marketbridge_ecwid.demo`.
        """
        from marketbridge_ecwid.demo import demo_setup

        return demo_setup(clock)

    @property
    def client(self) -> EcwidClient:
        """The store's API client; raises ``AuthenticationFailed`` when the settings are incomplete."""
        if self._client is None:
            self._client = EcwidClient(self.context, load_config(self.context.settings, self.context.secrets))
        return self._client

    def check_connection(self) -> CheckResult:
        """Verify store id, token, plan and every scope Marketbridge needs.

        Uses ``GET /profile``, ``GET /profile/order_statuses``, ``GET /orders``,
        ``GET /products`` and two probes that cannot change data
        (:mod:`marketbridge_ecwid.check`). Returns one plain sentence per
        problem (402: plan without API; 403: token or missing scope). Raises
        ``TemporaryFailure`` when Ecwid cannot be reached.
        """
        try:
            client = self.client
        except AuthenticationFailed as exc:
            return CheckResult((exc.message,))
        return check.check_connection(client)

    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Find the order whose ``externalTransactionId`` equals ``external_ref`` exactly.

        ``GET /orders?keywords=<marketplace order id>`` ("Search orders"), then
        an exact comparison. Returns ``None`` when no order carries it. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return orders.find_order(self.client, external_ref)

    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Create the Ecwid order for ``draft`` (``POST /orders``, "Create order").

        Amounts are sent exactly as the marketplace charged them; the order is
        PAID with the connection's initial fulfilment status (O3), carries
        ``externalTransactionId`` = ``draft.external_ref``, the marker as payment
        method and extra fields (O2). Returns the new order's id. Raises
        ``OrderRejected`` (currency other than the store's, product gone,
        required field refused, unusable initial status), ``TemporaryFailure``
        when the create may have happened (timeout, garbled answer, 5xx),
        ``RateLimited``, ``AuthenticationFailed``.
        """
        return orders.create_order(self.client, draft)

    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Match up to 100 values to products and variations by SKU, EAN or product id (C5).

        ``GET /products?sku=…`` (product or variation SKU, exact),
        ``GET /products?productId=a,b,c``, or the catalogue page by page for EAN
        (Ecwid's ``UPC`` attribute). Weights in kg (O4), stock ``None`` when
        unlimited, ``active`` from ``enabled``. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return products.find_products(self.client, store_profile(self.client), identifier, values)

    def list_statuses(self) -> list[ShopStatus]:
        """The store's enabled payment and fulfilment statuses, custom names included (S1).

        ``GET /profile/order_statuses`` ("Search order statuses"). Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return statuses.list_statuses(self.client)

    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Set the order's payment or fulfilment status to ``status`` (``PUT /orders/{orderId}``).

        Repeating the current status is a no-op. Raises ``OrderRejected`` for an
        unknown status, a deleted order or a refused value.
        """
        orders.set_status(self.client, order, status)

    def changes_since(self, cursor: str | None) -> ChangePage:
        """Status changes and shipments of Marketbridge orders since ``cursor`` (S2, S3).

        ``GET /orders?updatedFrom=…&updatedTo=…&refererId=marketbridge`` in
        overlapping windows of 100 orders; ``cursor=None`` starts now. Event ids
        match those of :meth:`events_for_webhook`. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return changes.changes_since(self.client, cursor)

    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Current stock and price of up to 100 products/variations (P1, K2, P2): ``GET /products?productId=…``.

        ``quantity`` is ``None`` for unlimited stock; unknown ids are left out.
        ``price`` is the storefront price in the store's currency
        (``defaultDisplayedPrice``, see :mod:`marketbridge_ecwid.prices`), or
        ``None`` where taxes are added at checkout; currency and tax display come
        from ``GET /profile`` ("Get store profile", cached for an hour). Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return stock.read_stock(self.client, product_ids)

    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Stock and price of products changed since ``cursor`` (P1, P2).

        ``GET /products?updatedFrom=…&updatedTo=…&sortBy=UPDATED_TIME_ASC`` ("Search products").

        A price edit updates the product's ``updateTimestamp``, so it is reported
        like a stock change (P2); prices as in :meth:`read_stock`. With
        ``cursor=None`` starts now. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return stock.stock_changes_since(self.client, cursor)

    # -- webhooks (used by the web layer's receiver) ----------------------------
    def events_for_webhook(self, webhook: EcwidWebhook) -> list[ShopEvent]:
        """The events behind a verified ``order.*`` webhook, read fresh with ``GET /orders/{orderId}``.

        The webhook body is not signed beyond its id and time, so it only says
        which order to re-read. Orders Marketbridge did not create, deleted
        orders and other event types give no events. Raises
        ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        if not webhook.is_order_event or not webhook.order_id or webhook.event_type == "order.deleted":
            return []
        answer = self.client.get(f"/orders/{webhook.order_id}", operation="get_order",
                                 what=f"read order {webhook.order_id}")
        if answer.error is not None or not isinstance(answer.body, dict):
            return []
        if not changes.is_marketbridge_order(answer.body):
            return []
        return changes.order_events(answer.body, self.client.config.store_id)

    def stock_for_webhook(self, webhook: EcwidWebhook) -> list[StockLevel]:
        """Fresh stock and price of the product (and its variations) behind a verified ``product.*`` webhook.

        ``entityId`` is the product id; ``GET /products?productId=…`` re-reads it
        (prices as in :meth:`read_stock`). Other events and deleted products
        give no levels.
        """
        if webhook.event_type not in ("product.updated", "product.created") or not webhook.entity_id \
                or not webhook.entity_id.isdigit():
            return []
        raw = products.fetch_products(self.client, [int(webhook.entity_id)])
        if not raw:
            return []
        profile = store_profile(self.client)
        return [level for product in raw.values() for level in stock.levels_of(product, profile)]
