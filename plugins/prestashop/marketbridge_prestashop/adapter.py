"""The PrestaShop 8 shop adapter: Marketbridge's :class:`ShopAdapter` over the classic Webservice (XML).

The adapter only wires the parts together; each part has one job:
:mod:`.client` (HTTP, auth, errors), :mod:`.catalog` (products),
:mod:`.stock` (stock levels and changes), :mod:`.prices` (P2), :mod:`.orders` (import, look-up,
status), :mod:`.changes` (status changes and shipments), :mod:`.statuses`,
:mod:`.lookups` and :mod:`.permissions`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Sequence, TypeVar, cast

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
from marketbridge.errors import AuthenticationFailed, MarketbridgeError, OrderRejected, TemporaryFailure
from marketbridge_prestashop import permissions
from marketbridge_prestashop.catalog import Catalog
from marketbridge_prestashop.changes import ChangeReader
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.lookups import ShopReferences
from marketbridge_prestashop.orders import OrderWriter
from marketbridge_prestashop.prices import PriceReader
from marketbridge_prestashop.settings import SETTINGS_FIELDS, ShopSettings
from marketbridge_prestashop.statuses import StatusBook
from marketbridge_prestashop.stock import StockReader

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    """Turn an unreadable shop answer (a missing field, a non-number id) into a retryable failure."""

    @functools.wraps(method)
    def wrapper(self: PrestaShopAdapter, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except MarketbridgeError:
            raise
        except (KeyError, ValueError, TypeError) as exc:
            raise TemporaryFailure(f"PrestaShop sent an answer the plugin could not read ({type(exc).__name__}); "
                                   "the job is retried.", code="malformed_response") from exc

    return cast(F, wrapper)


@dataclass
class _Parts:
    settings: ShopSettings
    ws: Webservice
    refs: ShopReferences
    statuses: StatusBook
    stock: StockReader
    catalog: Catalog
    orders: OrderWriter
    changes: ChangeReader


class PrestaShopAdapter(ShopAdapter):
    """PrestaShop 8.x through its Webservice (``/api/``), one instance per shop and job run."""

    kind: ClassVar[str] = "prestashop"
    label: ClassVar[str] = "PrestaShop 8"
    admin_endpoint: ClassVar[str | None] = "prestashop.back_office"
    settings_fields: ClassVar[tuple[SettingField, ...]] = SETTINGS_FIELDS
    pushes_changes: ClassVar[bool] = False
    batch_size: ClassVar[int] = 100

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self._built: _Parts | None = None

    @property
    def _parts(self) -> _Parts:
        """The adapter's parts, built on first use (raises ``AuthenticationFailed`` for unusable settings)."""
        if self._built is None:
            ctx = self.context
            settings = ShopSettings.parse(ctx.settings, ctx.secrets)
            ws = Webservice(ctx, settings)
            refs = ShopReferences(ws, settings)
            statuses = StatusBook(ws, settings)
            prices = PriceReader(ws, settings, ctx.state, ctx.clock, ctx.log, self.batch_size)
            stock = StockReader(ws, settings, ctx.clock, prices, self.batch_size)
            catalog = Catalog(ws, settings, stock)
            self._built = _Parts(settings, ws, refs, statuses, stock, catalog,
                                 OrderWriter(ws, settings, refs, statuses, catalog, stock),
                                 ChangeReader(ws, settings, ctx.clock, statuses, refs, self.batch_size))
        return self._built

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup | None:
        """The demo shop for ``make run``: the seeded emulator and a merchant who ships (see :mod:`.demo`)."""
        from marketbridge_prestashop.demo import demo_setup

        return demo_setup(clock)

    @_guarded
    def check_connection(self) -> CheckResult:
        """Check the settings, the key and every permission the plugin needs.

        Reads ``GET /api/`` (the resources and methods the key may use) and
        names each missing one, then checks that the configured carriers and
        the default status exist (``GET /api/carriers``, ``GET /api/order_states``).
        Returns the problems in plain words (empty when all is well). Raises
        ``TemporaryFailure`` only when the shop cannot be reached.
        """
        try:
            parts = self._parts
            index = parts.ws.index()
        except AuthenticationFailed as exc:
            return CheckResult((exc.message,))
        required = dict(permissions.REQUIRED)
        if parts.settings.shop_id is not None:
            required.update(permissions.MULTISTORE)
        problems = permissions.missing(index, required)
        if problems:
            return CheckResult(tuple(problems))
        references = [parts.settings.carrier_reference]
        if parts.settings.pickup_carrier_reference:
            references.append(parts.settings.pickup_carrier_reference)
        for reference in references:
            try:
                parts.refs.carrier(reference)
            except OrderRejected as exc:
                problems.append(exc.message)
        if parts.statuses.get(parts.settings.default_state_id) is None:
            problems.append(f"The status {parts.settings.default_state_id} chosen for new orders does not exist in "
                            "PrestaShop (Orders > Statuses); enter an existing status id in the settings.")
        return CheckResult(tuple(problems))

    @_guarded
    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Find the order whose note or private message carries ``external_ref`` exactly.

        Uses ``GET /api/orders?filter[note]=%[…]%`` and ``GET /api/messages?filter[message]=%[…]%``
        and keeps only exact reference lines. Returns ``None`` when no order
        carries it (an import interrupted before its finishing steps is resumed
        by :meth:`create_order`). Raises ``TemporaryFailure``, ``RateLimited``,
        ``AuthenticationFailed``.
        """
        return self._parts.orders.find(external_ref)

    @_guarded
    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Create the PrestaShop order for ``draft`` (or finish one an interrupted attempt left).

        ``POST /api/customers``, ``/api/addresses``, ``/api/carts``, ``/api/orders``,
        then ``PATCH /api/order_details/<id>``, ``/api/order_carriers/<id>`` and
        ``/api/orders/<id>`` with the marketplace's amounts, ``POST /api/order_histories``
        for the initial status (O3), the reference in ``orders.note`` and a
        private ``messages`` entry; the marker in ``orders.payment`` (O2).
        Returns the order's id and its reference (the number merchants see).
        Raises ``OrderRejected`` (product gone, disabled or out of stock,
        field refused, carrier/currency/country/status/payment module
        missing), ``TemporaryFailure``/``RateLimited`` (retry; a create that
        may have happened is found by its cart on the retry),
        ``AuthenticationFailed``.
        """
        return self._parts.orders.create(draft)

    @_guarded
    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Match up to ``batch_size`` SKUs, EANs or product ids to products and combinations (C5).

        ``GET /api/products`` and ``GET /api/combinations`` filtered on
        ``reference``, ``ean13`` or ``id``, then ``GET /api/stock_availables``.
        Returns value → :class:`ShopProduct` (weight in kg, stock, active flag;
        a combination has ``parent_id``); unmatched values are absent. Raises
        ``TemporaryFailure``, ``RateLimited``, ``AuthenticationFailed``.
        """
        return self._parts.catalog.find(identifier, values)

    @_guarded
    def list_statuses(self) -> list[ShopStatus]:
        """Return the shop's order states, custom ones included (S1): ``GET /api/order_states?display=full``.

        ``code`` is the state id; the label is its name in the configured
        language. Raises ``TemporaryFailure``, ``AuthenticationFailed``.
        """
        return self._parts.statuses.list()

    @_guarded
    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Move ``order`` to state id ``status`` with ``POST /api/order_histories``.

        A no-op when the order already has that state (``GET /api/orders/<id>``).
        Raises ``OrderRejected`` for an unknown state or a deleted order,
        ``TemporaryFailure``, ``AuthenticationFailed``.
        """
        self._parts.orders.set_status(order, status)

    @_guarded
    def changes_since(self, cursor: str | None) -> ChangePage:
        """Report status changes and shipments since ``cursor`` (S2, S3), by polling.

        ``GET /api/orders?date=1&filter[date_upd]=[…]`` (one page), then
        ``GET /api/order_histories`` and ``GET /api/order_carriers`` of those
        orders. ``cursor=None`` (no poll succeeded yet) reaches back a day, so
        a first poll that failed loses nothing; windows overlap, so an event
        may come twice with the same ``event_id``.
        Raises ``TemporaryFailure``, ``RateLimited``, ``AuthenticationFailed``.
        """
        return self._parts.changes.since(cursor)

    @_guarded
    def changes_of_order(self, order_id: str) -> tuple[ShopEvent, ...]:
        """Recent status changes and the shipment of one order (a signed change notice, see :mod:`.web`).

        Not part of the host's contract: the plugin's notice endpoint calls it
        and hands the events to ``ingest_shop_events``. ``GET /api/orders/<id>``,
        ``GET /api/order_histories`` and ``GET /api/order_carriers`` of that
        order; an unknown order gives no events. Raises ``TemporaryFailure``,
        ``RateLimited``, ``AuthenticationFailed``.
        """
        return self._parts.changes.of_order(order_id)

    @_guarded
    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Current quantity and price of up to ``batch_size`` products/combinations (P1, K2, P2).

        ``GET /api/stock_availables?filter[id_product]=[…]`` (the configured
        shop's row, or its group's shared one); prices tax included, in the
        shop's default currency, as the shop computes them:
        ``GET /api/products?filter[id]=[…]&price[marketbridge_price][use_tax]=1``
        and ``GET /api/combinations?filter[id]=[…]&price[…]`` (one call each per
        batch; see :mod:`.prices`). ``price`` is ``None`` when the shop cannot
        tell it. Unknown ids are left out. Raises ``TemporaryFailure``,
        ``RateLimited``, ``AuthenticationFailed``.
        """
        return self._parts.stock.levels(product_ids)

    @_guarded
    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Products whose stock or price moved since ``cursor``, with current levels and prices (P1, P2).

        ``GET /api/stock_movements`` (back-office edits), ``GET /api/orders``
        (sales, cancellations) and ``GET /api/products`` (saved products, e.g.
        a price edit) by date, then their ``stock_availables`` and prices as
        in :meth:`read_stock`. ``cursor=None`` starts five minutes before now.
        Raises ``TemporaryFailure``, ``RateLimited``, ``AuthenticationFailed``.
        """
        return self._parts.stock.changes_since(cursor)
