"""The Magento 2 shop adapter: what Marketbridge needs from a Magento / Adobe Commerce store.

Every public method documents the REST operations it uses (operation ids of
``specs/magento/admin-rest.swagger.subset.json``). Failures arrive at the
engine only as :mod:`marketbridge.errors` exceptions: :func:`_guarded` turns a
Magento refusal outside order creation, and any answer missing what the API
promises, into ``TemporaryFailure``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, ClassVar, Sequence, TypeVar

from marketbridge.adapters import (
    AdapterContext,
    ChangePage,
    CheckResult,
    DemoSetup,
    OrderDraft,
    ProductIdentifier,
    SettingField,
    ShopAdapter,
    ShopOrderRef,
    ShopProduct,
    ShopEvent,
    ShopStatus,
    StockLevel,
    StockPage,
)
from marketbridge.clock import Clock
from marketbridge.errors import AuthenticationFailed, OrderRejected, TemporaryFailure

from marketbridge_magento import changes, ordering, products, stock
from marketbridge_magento.client import MagentoClient, ShopRefused
from marketbridge_magento.prices import PriceReader
from marketbridge_magento.search import Filter, search_params
from marketbridge_magento.settings import INVENTORY_MSI, SETTINGS_FIELDS, MagentoSettings
from marketbridge_magento.statuses import StatusBook

T = TypeVar("T")
STORE_FACTS_KEY = "store_facts"
PROBES: tuple[tuple[str, str], ...] = (
    ("/store/storeConfigs", "store configuration (Magento_Backend::store)"),
    ("/orders", "orders (Magento_Sales::sales)"),
    ("/shipments", "shipments (Magento_Sales::shipment)"),
    ("/products", "products (Magento_Catalog::products)"),
)
MSI_PROBE = ("/inventory/sources", "inventory sources (Magento_InventoryApi::source)")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Translate leftovers: a Magento 4xx and a malformed answer become ``TemporaryFailure``."""

    @functools.wraps(method)
    def wrapper(self: MagentoShopAdapter, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except ShopRefused as exc:
            raise TemporaryFailure(f"Magento at {self.settings.host} refused a request: {exc.text}",
                                   code="shop_refused", status=exc.status) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TemporaryFailure(f"Magento at {self.settings.host} sent an answer Marketbridge cannot read "
                                   f"({type(exc).__name__}); it is retried.", code="malformed_response") from exc

    return wrapper


class MagentoShopAdapter(ShopAdapter):
    """Magento 2.4 / Adobe Commerce through the admin REST API of an integration."""

    kind: ClassVar[str] = "magento"
    label: ClassVar[str] = "Magento 2 / Adobe Commerce"
    admin_endpoint: ClassVar[str | None] = "magento.setup"
    settings_fields: ClassVar[tuple[SettingField, ...]] = SETTINGS_FIELDS
    batch_size: ClassVar[int] = 100

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.settings = MagentoSettings.parse(context.settings)
        self.client = MagentoClient(context, self.settings)
        self.statuses = StatusBook.build(self.settings.custom_statuses)

    @property
    def pushes_changes(self) -> bool:  # type: ignore[override]
        """Magento has no webhooks; only the optional observer module pushes (its secret is set, see README).

        Without it the host polls every minute; with it every ten minutes, as a safety net.
        """
        return bool(self.context.secrets.get("notify_secret"))

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup | None:
        """The emulator with the demo catalogue, and a merchant who ships, cancels and restocks (demo mode)."""
        from marketbridge_magento.demo import demo_setup

        return demo_setup(clock)

    # -- connection -------------------------------------------------------------
    @_guarded
    def check_connection(self) -> CheckResult:
        """Probe the resources Marketbridge uses and say, per missing one, what to grant.

        Calls ``GET /V1/store/storeConfigs``, ``/V1/orders``, ``/V1/shipments``,
        ``/V1/products`` (and ``/V1/inventory/sources`` with MSI), one row each.
        Returns the problems in plain words; raises ``TemporaryFailure`` when
        Magento cannot be reached.
        """
        problems: list[str] = []
        if not self.settings.url.startswith(("https://", "http://")):
            return CheckResult(("Enter the shop URL starting with https://, e.g. https://shop.example.com.",))
        probes = PROBES + ((MSI_PROBE,) if self.settings.inventory_mode == INVENTORY_MSI else ())
        refused: list[str] = []
        for path, what in probes:
            try:
                self.client.get(path, search_params([], page_size=1) if path != "/store/storeConfigs" else None)
            except AuthenticationFailed:
                refused.append(what)
            except ShopRefused as exc:
                problems.append(f"Magento answered an error for {what}: {exc.text}.")
        if refused and len(refused) == len(probes):
            problems.append(self.client.keys_problem())
        elif refused:
            problems.append("The Magento integration lacks access to " + ", ".join(refused) +
                            ". Tick these under System > Extensions > Integrations > Marketbridge > API, save, "
                            "and reauthorize the integration.")
        if not problems:
            facts = self._store_facts(refresh=True)
            if not facts.base_currency:
                problems.append(f"Magento has no store view with code '{self.settings.store_code}'. Enter the code "
                                "shown in Stores > All Stores.")
        return CheckResult(tuple(problems))

    # -- orders -------------------------------------------------------------------
    @_guarded
    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Find the order whose ``ext_order_id`` equals ``external_ref`` exactly.

        Uses ``GET /V1/orders`` (GetV1Orders) with ``ext_order_id eq``. Returns
        ``None`` when no order carries it. ``ext_order_id`` is written as the
        last step of :meth:`create_order`, so a found order is complete.
        Raises ``TemporaryFailure``/``RateLimited``/``AuthenticationFailed``.
        """
        return ordering.find_order(self.client, external_ref)

    @_guarded
    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Create the Magento order for ``draft`` through the checkout, then store the marketplace's amounts.

        Operations: GetV1Orders (an order placed by a lost earlier attempt is
        finished, not placed again), PostV1Carts, PostV1CartsQuoteIdItems,
        PostV1CartsCartIdShippinginformation, PutV1CartsCartIdOrder,
        GetV1OrdersId, PostV1OrdersIdComments, PostV1Orders (partial save with
        amounts, ``ext_order_id``, marker and initial status). Raises
        ``OrderRejected`` for what the merchant must fix (unknown, disabled or
        sold-out product, rejected address field, disabled shipping or payment
        method, currency mismatch), ``TemporaryFailure``/``RateLimited`` to retry,
        ``AuthenticationFailed`` for credentials.
        """
        facts = self._store_facts()
        creator = ordering.OrderCreator(self.client, self.statuses)
        return creator.create(draft, facts.base_currency)

    # -- products -------------------------------------------------------------------
    @_guarded
    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Find products by SKU, EAN attribute or entity id in one ``GET /V1/products`` search (C5).

        Configurable products' variants are simple products and match by their
        own SKU. Weight is converted to kg from the store's unit; ``active`` is
        ``status == 1``; ``stock`` is the stock item quantity.
        """
        return products.find_products(self.client, identifier, values, self._store_facts().weight_unit)

    # -- statuses -------------------------------------------------------------------
    @_guarded
    def list_statuses(self) -> list[ShopStatus]:
        """Magento's statuses: installed defaults, the merchant's custom list, and statuses seen on orders (S1).

        Uses ``GET /V1/orders`` with ``status nin <known>`` to discover custom
        statuses in use (Magento's REST API cannot list statuses).
        """
        known = ",".join(s.code for s in self.statuses.statuses)
        found = self.client.get("/orders", search_params([[Filter("status", known, "nin")]],
                                                         sort=[("updated_at", "DESC")], page_size=100))
        self.statuses.learn(list(found.get("items") or []))
        return self.statuses.shop_statuses()

    @_guarded
    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Move ``order`` to ``status`` the way Magento allows it.

        ``canceled`` → PostV1OrdersIdCancel; ``holded`` → PostV1OrdersIdHold;
        from ``holded`` → PostV1OrdersIdUnhold first; a status of the order's
        current state → PostV1OrdersIdComments with ``status``. Same status: no-op.
        Raises ``OrderRejected`` for a move Magento only makes through documents
        (Complete, Closed, another state) or refuses (cancelling a shipped order).
        """
        current = self._order(order)
        if current.get("status") == status:
            return
        number = order.number or order.order_id
        target_state = self.statuses.state_of(status)
        if target_state in ("complete", "closed"):
            raise OrderRejected(f"Magento sets '{status}' itself once order {number} is fully invoiced and shipped "
                                "(or refunded); create the invoice or shipment in Magento instead.",
                                code="status_by_documents", status=status)
        if current.get("state") == "holded" and status != "holded":
            self._action(order, "unhold", number)
            current = self._order(order)
            if current.get("status") == status:
                return
        if status == "canceled":
            self._action(order, "cancel", number)
        elif status == "holded":
            self._action(order, "hold", number)
        elif target_state is not None and target_state == current.get("state"):
            body = {"statusHistory": {"comment": f"Status set to '{status}' by Marketbridge.", "status": status,
                                      "is_customer_notified": 0, "is_visible_on_front": 0,
                                      "parent_id": int(order.order_id)}}
            self._refused_as_rejection(lambda: self.client.post(f"/orders/{order.order_id}/comments", body), number)
        else:
            raise OrderRejected(
                f"Order {number} is in Magento state '{current.get('state')}', and status '{status}' belongs to state "
                f"'{target_state or 'unknown'}'. Magento changes the state only through invoices, shipments, "
                "cancellation or hold; list custom statuses with their state in the shop settings.",
                code="status_other_state", status=status)

    def _order(self, order: ShopOrderRef) -> dict[str, Any]:
        return dict(self._refused_as_rejection(lambda: self.client.get(f"/orders/{order.order_id}"),
                                               order.number or order.order_id))

    def _action(self, order: ShopOrderRef, action: str, number: str) -> None:
        done = self._refused_as_rejection(lambda: self.client.post(f"/orders/{order.order_id}/{action}"), number)
        if done is not True:
            raise OrderRejected(f"Magento refused to {action} order {number} (for example because it is already "
                                "invoiced or shipped). Handle it in the Magento admin.", code=f"{action}_refused")

    @staticmethod
    def _refused_as_rejection(call: Callable[[], Any], number: str) -> Any:
        try:
            return call()
        except ShopRefused as exc:
            raise OrderRejected(f"Magento refused the change of order {number}: {exc.text}",
                                code="status_refused") from None

    # -- changes and stock ------------------------------------------------------------
    @_guarded
    def changes_since(self, cursor: str | None) -> ChangePage:
        """Status changes and shipments of Marketbridge orders since ``cursor`` (S2, S3).

        Polls GetV1Orders (``ext_order_id notnull``) and GetV1Shipments by
        ``updated_at`` with a two-minute overlap, one page each per call.
        ``cursor=None`` starts from now.
        """
        return changes.changes_since(self.client, cursor, self.context.clock.now())

    @_guarded
    def events_for(self, order_ids: Sequence[int], shipment_ids: Sequence[int]) -> list[ShopEvent]:
        """Events of the orders and shipments a change notification named (GetV1Orders, GetV1Shipments).

        The same events, with the same ids, as :meth:`changes_since` reports for them.
        """
        return changes.events_for(self.client, order_ids, shipment_ids)

    @_guarded
    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Salable quantity per stock and quantity per source (MSI), or the stock item quantity (legacy); and price.

        Receives up to ``batch_size`` entity ids; returns one level per
        stock-holding product found (unknown ids and configurable parents are
        left out). GetV1Products, GetV1InventorySourceitems,
        GetV1InventoryGetproductsalablequantitySkuStockId (one per SKU).
        ``by_location`` maps each source code (pickup stores included, K2) to its quantity.
        ``price`` (P2) is the product's ``price``, or its ``special_price`` while
        active on the store's local date, in the store view's base currency
        (GetV1StoreStoreConfigs, cached), or ``None`` when the shop's prices
        exclude tax (see :mod:`.prices`). Raises ``TemporaryFailure``,
        ``RateLimited`` or ``AuthenticationFailed``.
        """
        return stock.read_stock(self.client, product_ids, self._prices())

    @_guarded
    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Stock and price of products saved, sold or shipped since ``cursor`` (P1, P2).

        GetV1Products, GetV1Orders and GetV1Shipments by ``updated_at``.

        Receives the previous page's cursor (``None``: start from now);
        returns the levels as :meth:`read_stock` reads them, with the next
        cursor. Price edits save the product and so are reported (P2); a special
        price starting or ending on its date is not. Raises ``TemporaryFailure``,
        ``RateLimited`` or ``AuthenticationFailed``.
        """
        return changes.stock_changes_since(self.client, cursor, self.context.clock.now(), self._prices())

    # -- Click & Collect (K2, K4) -------------------------------------------------------
    @_guarded
    def pickup_stores(self) -> list[stock.PickupStore]:
        """MSI sources flagged as pickup locations: the Click & Collect stores (GetV1InventorySources)."""
        return stock.pickup_stores(self.client)

    @_guarded
    def notify_ready_for_pickup(self, orders: Sequence[ShopOrderRef]) -> stock.PickupResult:
        """Mark pickup orders ready in Magento, in one batch (PostV1OrderNotifyordersarereadyforpickup, K4)."""
        return stock.notify_ready_for_pickup(self.client, [o.order_id for o in orders])

    # -- helpers ----------------------------------------------------------------------
    def _store_facts(self, refresh: bool = False) -> products.StoreFacts:
        """The store view's facts, read once (GetV1StoreStoreConfigs) and kept in the adapter state."""
        cached = self.context.state.get(STORE_FACTS_KEY)
        if cached and not refresh and "timezone" in cached:  # facts cached before P2 lack the time zone
            return products.StoreFacts(**cached)
        facts = products.store_facts(self.client)
        self.context.state.set(STORE_FACTS_KEY, {"base_currency": facts.base_currency,
                                                 "weight_unit": facts.weight_unit, "timezone": facts.timezone})
        return facts

    def _prices(self) -> PriceReader:
        """How this shop's product records become unit prices today (P2): currency, local date, tax setting."""
        return PriceReader.for_store(self._store_facts(), self.settings.prices_include_tax, self.context.clock.now())
