"""The Shopware 6 shop adapter: the engine's view of one shop through the Admin API.

Each method delegates to a module with one job (orders, products, statuses,
changes, stock) and documents the Admin API operation it uses. Failures arrive
as :mod:`marketbridge.errors` exceptions with plain-language messages.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Iterable, Sequence

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

from marketbridge_shopware import changes, custom_fields, orders, products, statuses, stock
from marketbridge_shopware import settings as keys
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.lookups import Lookups, SetupProblem

MIN_VERSION = (6, 5)
#: Entities the adapter reads, probed by ``check_connection`` (search operations).
READ_PROBES = ("order", "order-delivery", "order-transaction", "product", "state-machine-state",
               "state-machine-transition", "state-machine-history", "sales-channel", "currency", "country",
               "shipping-method", "payment-method", "salutation", "custom-field-set")


class ShopwareShop(ShopAdapter):
    """Shopware 6.5 – 6.7 through the Admin API (an integration's key, or the Marketbridge app)."""

    kind: ClassVar[str] = "shopware"
    label: ClassVar[str] = "Shopware 6"
    settings_fields: ClassVar[tuple[SettingField, ...]] = keys.SETTINGS_FIELDS
    batch_size: ClassVar[int] = 100

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.api = AdminApi(context)
        self.lookups = Lookups(self.api)

    @property
    def pushes_changes(self) -> bool:  # type: ignore[override]
        """Webhooks arrive only for a shop registered through the Marketbridge app whose app is active;
        a shop connected with an integration's key is polled."""
        settings = self.context.settings
        return bool(settings.get(keys.APP_SHOP_ID)) and settings.get(keys.APP_ACTIVE) is not False

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup:
        """The emulator with the demo catalogue and a merchant who ships, cancels and sells elsewhere
        (:mod:`marketbridge_shopware.demo`)."""
        from marketbridge_shopware.demo import demo_setup

        return demo_setup(clock)

    def check_connection(self) -> CheckResult:
        """Verify address, credentials, version, read permissions and the shop set-up.

        Uses ``POST /api/oauth/token``, ``GET /api/_info/version``, one ``POST
        /api/search/{entity}`` per entity read, and creates the custom field set
        (``POST /api/custom-field-set``). Returns every problem as a sentence naming
        what to fix; raises ``TemporaryFailure`` when the shop cannot be reached.
        """
        problems: list[str] = []
        try:
            answer = self.api.body(self.api.call("GET", "/_info/version", "infoShopwareVersion"))
        except AuthenticationFailed as failure:
            return CheckResult(problems=(failure.message,))
        version = answer.get("version", "") if isinstance(answer, dict) else ""
        numbers = tuple(int(p) for p in str(version).split(".")[:2] if p.isdigit())
        if len(numbers) == 2 and numbers < MIN_VERSION:
            problems.append(f"The shop runs Shopware {version}; Marketbridge needs 6.5 or newer. Update the shop.")
        missing: list[str] = []
        for entity in READ_PROBES:
            try:
                self.api.search(entity, {"limit": 1}, "search" + entity.title().replace("-", ""))
            except AuthenticationFailed as failure:
                missing += [p for p in failure.params.get("privileges", []) if p not in missing]
        if missing:
            problems.append(f"The integration cannot read {', '.join(missing)}. In Settings > System > Integrations "
                            "give the Marketbridge integration these read permissions (or tick \"Administrator\").")
        try:
            custom_fields.ensure(self.api)
        except AuthenticationFailed as failure:
            problems.append(failure.message)
        for check in (self.lookups.sales_channel, self.lookups.payment_method, lambda: self.lookups.shipping_method(),
                      self.lookups.salutation):
            try:
                check()
            except SetupProblem as problem:
                problems.append(str(problem))
            except AuthenticationFailed:
                continue
        return CheckResult(problems=tuple(problems))

    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Find the order carrying ``external_ref`` (``POST /api/search/order``, ``searchOrder``).

        Matches the id derived from the reference or the ``marketbridge_external_ref``
        custom field, and only returns an order whose custom field equals the reference
        exactly. Raises ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return orders.find_order(self.api, external_ref)

    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Create the Shopware order for ``draft`` (``POST /api/order?_response=detail``, ``createOrder``).

        Prices, taxes and totals are the marketplace's; the order id is derived from
        ``draft.external_ref``, which is also stored in a typed custom field; the
        marker and draft tags become order tags; ``draft.initial_status`` is the
        order state. Raises ``OrderRejected`` (product gone, disabled or clearance
        item out of stock, a field rejected, shop set-up missing), ``TemporaryFailure``
        (timeouts, 5xx, garbled answers: the retry finds the order first),
        ``RateLimited`` and ``AuthenticationFailed``.
        """
        payment_status = str(self.context.settings.get(keys.PAYMENT_STATUS) or "paid")
        return orders.create_order(self.api, self.lookups, draft, payment_status)

    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Match products by product number, EAN or id, variants included (``searchProduct``).

        Returns each matched value with its product (weight in kg, stock, active
        flag as inherited from the parent). Raises the transport exceptions only.
        """
        return products.find_products(self.api, identifier, values)

    def list_statuses(self) -> list[ShopStatus]:
        """Every order, delivery and payment state the shop has, custom ones included
        (``POST /api/search/state-machine-state``, ``searchStateMachineState``)."""
        return statuses.list_statuses(self.lookups)

    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Move the order (or its delivery/payment) to ``status`` by the shop's transitions
        (``POST /api/_action/{entity}/{id}/state/{action}``). A no-op when already there;
        ``OrderRejected`` when no transition leads there."""
        statuses.set_status(self.api, self.lookups, order, status)

    def changes_since(self, cursor: str | None) -> ChangePage:
        """Status changes and shipments since ``cursor`` from the state-machine history
        (``searchStateMachineHistory``) and recently updated shipped deliveries
        (``searchOrderDelivery``). ``None`` starts now; windows overlap by 5 minutes."""
        return changes.changes_since(self.api, self.lookups, cursor)

    def events_for_orders(self, order_ids: Iterable[str], after: datetime) -> tuple[ShopEvent, ...]:
        """The events of the orders a verified webhook named, with the same ids polling gives them."""
        return changes.events_for_orders(self.api, self.lookups, order_ids, after)

    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """``product.stock`` and the gross price of up to ``batch_size`` products (P1, P2).

        One ``searchProduct`` by ids with ``sw-inheritance: 1`` (variants without a price
        of their own report their parent's); the price is ``price[].gross`` of the system
        default currency as ``Money`` in that currency's ISO code (its ``searchCurrency``
        lookup is made once per adapter instance), ``None`` when the product has none.
        Unknown ids are left out. Raises the transport exceptions only.
        """
        return stock.read_stock(self.api, self.lookups, product_ids)

    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Products whose ``updatedAt`` (or their parent's) moved since ``cursor``, with stock and
        price as :meth:`read_stock` reports them (``searchProduct``, P1, P2). A price edit stamps
        ``updatedAt``, so it is reported like a stock change. ``None`` starts now; windows overlap
        by 5 minutes. Raises the transport exceptions only."""
        return stock.stock_changes_since(self.api, self.lookups, cursor)
