# marketbridge_acme/adapter.py
"""The Acme Market channel adapter: what Marketbridge calls, method by method.

Each method names the Acme operation it uses (see ``acme-openapi.json``) and
raises only the exceptions of :mod:`marketbridge.errors`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from marketbridge.adapters import (
    AdapterContext,
    ChannelAdapter,
    CheckResult,
    DemoSetup,
    FetchRequest,
    FieldKind,
    MarketplaceChoice,
    MarketplaceStatus,
    OrderPage,
    RejectedOrder,
    SettingField,
    ShipmentNotice,
    StatusNotice,
    StockResult,
    StockSubmission,
    StockUpdate,
    Store,
)
from marketbridge.clock import Clock
from marketbridge.errors import AdapterError, AuthenticationFailed, DeliveryRejected, RateLimited

from marketbridge_acme.client import AUTH_HINT, AcmeClient, answer_of, order_path
from marketbridge_acme.cursor import Cursor
from marketbridge_acme.facts import API_URL, CARRIERS, PAGE_SIZE, SCOPES, STOCK_BATCH
from marketbridge_acme.mapping import to_canonical, without_email


class AcmeChannel(ChannelAdapter):
    """Imports Acme Market orders and sends shipments, cancellations and stock back."""

    kind = "acme"
    label = "Acme Market"
    account_fields = (
        SettingField("api_token", "API token", FieldKind.SECRET,
                     help="Acme Seller Hub → Settings → API → New token, with the scopes orders:read, "
                          "orders:write and stock:write."),
        SettingField("webhook_secret", "Webhook signing secret", FieldKind.SECRET, required=False,
                     help="Optional. Acme Seller Hub → Settings → Notifications: Acme then tells "
                          "Marketbridge about new orders as they arrive."),
        SettingField("api_url", "API address", FieldKind.URL, required=False, default=API_URL,
                     help="Leave as it is; only tests and the demo point it elsewhere."),
    )
    statuses = (
        MarketplaceStatus("shipped", "Shipped", needs_tracking=True),
        MarketplaceStatus("cancelled", "Cancelled"),
    )
    stock_batch_size = STOCK_BATCH

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.client = AcmeClient(context)

    def check_connection(self) -> CheckResult:
        """Check the API token, its scopes and the connection's market with ``getAccount``.

        Receives nothing. Returns a :class:`CheckResult` with one sentence per
        thing the merchant must fix: a refused token, a missing scope, a market
        the account does not sell on. Raises ``TemporaryFailure`` or
        ``RateLimited`` when Acme cannot be asked right now.
        """
        try:
            account = self.client.read("getAccount", "/v1/account")
        except AuthenticationFailed as exc:
            return CheckResult((exc.message,))
        with answer_of("getAccount"):
            problems = [f"The API token lacks the {scope} scope, needed to {use}. {AUTH_HINT}"
                        for scope, use in SCOPES.items() if scope not in account["scopes"]]
            markets = {market["id"] for market in account["markets"]}
        connection = self.context.connection
        if connection is not None and connection.marketplace not in markets:
            problems.append(f"This Acme account does not sell on {connection.marketplace!r}; "
                            f"choose one of: {', '.join(sorted(markets))}.")
        return CheckResult(tuple(problems))

    def marketplaces(self) -> list[MarketplaceChoice]:
        """List the Acme markets the account sells on, from ``getAccount``.

        Receives nothing. Returns one :class:`MarketplaceChoice` per market
        (``acme-de``, ``acme-fr`` …). Raises ``AuthenticationFailed``,
        ``RateLimited``, ``TemporaryFailure``.
        """
        account = self.client.read("getAccount", "/v1/account")
        with answer_of("getAccount"):
            return [MarketplaceChoice(m["id"], m["name"], m["country"], m["currency"]) for m in account["markets"]]

    def fetch_orders(self, request: FetchRequest) -> OrderPage:
        """Read one page of the orders Acme updated in the cursor's window, with ``listOrders``.

        Receives the :class:`FetchRequest`: the cursor of the previous page, or
        ``None`` and the activation date in ``since`` for the first fetch.
        Returns an :class:`OrderPage` of canonical order dicts of the
        connection's market and fulfilment channel, the next cursor, ``more``
        while the window has pages, and orders it cannot read in ``rejected``
        (without the buyer's e-mail). Raises ``RateLimited`` (the host keeps the
        old cursor and comes back after ``retry_after``), ``TemporaryFailure``,
        ``AuthenticationFailed``, and ``AdapterError`` for an unreadable cursor.
        """
        cursor = Cursor.load(request.cursor, since=request.since, open_only=request.open_only)
        until = cursor.until or self.context.clock.now()
        answer = self.client.read("listOrders", "/v1/orders", params=self._window(cursor, until))
        with answer_of("listOrders"):
            raws, token = list(answer["orders"]), answer["next_page_token"]
        orders, rejected = self._convert(raws)
        return OrderPage(orders, cursor.after_page(until, token).dump(), more=token is not None, rejected=rejected)

    def refresh_orders(self, marketplace_order_ids: Sequence[str]) -> OrderPage:
        """Read these orders again, one ``getOrder`` each (orders waiting for payment are re-checked).

        Receives Acme order ids. Returns an :class:`OrderPage` whose cursor the
        host ignores; an id Acme no longer knows comes back in ``rejected``.
        When the quota runs out part-way, the page holds what was read so far
        and the host asks for the rest later. Raises ``RateLimited`` when not
        even one order could be read, ``TemporaryFailure``, ``AuthenticationFailed``.
        """
        raws: list[Any] = []
        gone: list[RejectedOrder] = []
        for order_id in marketplace_order_ids:
            try:
                raw = self.client.read("getOrder", order_path(order_id), missing_ok=True)
            except RateLimited:
                if raws or gone:
                    break
                raise
            if raw is None:
                gone.append(RejectedOrder(order_id, {"id": order_id}, "Acme Market no longer knows this order."))
            else:
                raws.append(raw)
        orders, unreadable = self._convert(raws)
        return OrderPage(orders, None, rejected=(*gone, *unreadable))

    def _window(self, cursor: Cursor, until: datetime) -> dict[str, Any]:
        """The ``listOrders`` query of a window: this connection's market and fulfilment channel only (C4)."""
        connection = self.context.connection
        if connection is None:
            raise AdapterError("Acme orders are fetched for a connection, and none was given.")
        query: dict[str, Any] = {
            "updated_from": cursor.since.isoformat(), "updated_to": until.isoformat(),
            "market": connection.marketplace,
            "fulfilled_by": "acme" if connection.fulfilment_channel == "marketplace" else "seller",
            "status": "open" if cursor.open_only else "any", "limit": PAGE_SIZE}
        if cursor.page_token:
            query["page_token"] = cursor.page_token
        return query

    def _convert(self, raws: Sequence[Any]) -> tuple[tuple[dict[str, Any], ...], tuple[RejectedOrder, ...]]:
        """Canonical dicts of the orders that can be read; the others as rejected orders, nothing dropped."""
        orders: list[dict[str, Any]] = []
        rejected: list[RejectedOrder] = []
        for raw in raws:
            try:
                orders.append(to_canonical(raw, self.kind))
            except (KeyError, TypeError, ValueError) as exc:
                reason = f"the field {exc} is missing" if isinstance(exc, KeyError) else str(exc)
                order_id = raw.get("id") if isinstance(raw, dict) else None
                rejected.append(RejectedOrder(order_id, without_email(raw),
                                              f"Marketbridge cannot read this Acme order: {reason}."))
        return tuple(orders), tuple(rejected)

    def confirm_shipment(self, notice: ShipmentNotice) -> None:
        """Confirm a shipment with ``createShipment``, sending ``notice.key`` as the ``Idempotency-Key``.

        Receives the :class:`ShipmentNotice`; its carrier code was already
        checked against :meth:`carrier_codes`. Returns nothing once Acme has the
        shipment; a repeat with the same key returns the first shipment, so a
        retry never ships twice. Raises ``DeliveryRejected`` with Acme's reason
        when Acme refuses for good (unknown order, cancelled, more units than
        are open), and ``RateLimited``, ``TemporaryFailure`` or
        ``AuthenticationFailed`` to be tried again.
        """
        body: dict[str, Any] = {
            "reference": notice.key, "carrier": notice.carrier_code, "tracking_number": notice.tracking_number,
            "shipped_at": notice.shipped_at.isoformat(),
            "lines": [{"item_id": line.line_id, "quantity": line.quantity} for line in notice.lines]}
        if notice.carrier_name:
            body["carrier_name"] = notice.carrier_name
        self.client.write("createShipment", "POST", order_path(notice.marketplace_order_id, "/shipments"), body,
                          key=notice.key)

    def push_status(self, notice: StatusNotice) -> None:
        """Cancel a whole order with ``cancelOrder``, the one status Acme takes besides shipments.

        Receives a :class:`StatusNotice` with ``status="cancelled"`` and an
        optional ``reason``; ``notice.key`` is the ``Idempotency-Key``. Returns
        nothing once Acme has cancelled the order. Raises ``DeliveryRejected``
        for another status, for a partial cancellation and when Acme refuses
        (the order already shipped), and ``RateLimited``, ``TemporaryFailure``
        or ``AuthenticationFailed`` to be tried again.
        """
        if notice.status != "cancelled":
            raise DeliveryRejected(f"Acme Market cannot be told the status {notice.status!r}; it takes "
                                   "cancellations and shipments only.", code="acme_status_unsupported")
        if notice.lines:
            raise DeliveryRejected("Acme Market cancels whole orders only; cancel the rest in Acme Seller Hub.",
                                   code="acme_partial_cancellation")
        body = {"reason": notice.reason} if notice.reason else {}
        self.client.write("cancelOrder", "POST", order_path(notice.marketplace_order_id, "/cancellation"), body,
                          key=notice.key)

    def was_delivered(self, notice: ShipmentNotice | StatusNotice) -> bool | None:
        """Say whether Acme already has ``notice``; the host asks after a crash while sending it.

        Receives the notice that was being sent. Shipments: ``listShipments``,
        looking for our ``reference`` (the notice's key). Cancellations:
        ``getOrder``, looking at the status. Returns ``True`` or ``False``,
        never ``None``: Acme's data always tells. Raises ``RateLimited``,
        ``TemporaryFailure`` or ``AuthenticationFailed`` (the host asks again later).
        """
        if isinstance(notice, ShipmentNotice):
            answer = self.client.read("listShipments", order_path(notice.marketplace_order_id, "/shipments"),
                                      missing_ok=True)
            with answer_of("listShipments"):
                return answer is not None and any(s["reference"] == notice.key for s in answer["shipments"])
        order = self.client.read("getOrder", order_path(notice.marketplace_order_id), missing_ok=True)
        with answer_of("getOrder"):
            return order is not None and order["status"] == "cancelled"

    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """Send up to 50 quantities in one ``updateStock`` call.

        Receives the updates; setting a quantity twice is harmless, so no
        idempotency key is needed. Returns every result at once, refusals
        included as failed :class:`StockResult` values: a SKU Acme does not
        list, every SKU of a call Acme refuses as a whole, and store updates
        (failed without a call: Acme has no pickup stores). Raises
        ``RateLimited``, ``TemporaryFailure`` or ``AuthenticationFailed`` when
        nothing could be submitted.
        """
        stores = tuple(StockResult(u.sku, False, store_code=u.store_code, message="Acme Market has no pickup stores.")
                       for u in updates if u.store_code)
        items = [{"sku": u.sku, "quantity": u.quantity} for u in updates if not u.store_code]
        if not items:
            return StockSubmission(stores)
        try:
            answer = self.client.write("updateStock", "PUT", "/v1/stock", {"items": items})
        except DeliveryRejected as refused:
            return StockSubmission((*(StockResult(i["sku"], False, message=refused.message) for i in items), *stores))
        with answer_of("updateStock"):
            results = tuple(StockResult(r["sku"], r["status"] == "updated", message=r["message"])
                            for r in answer["results"])
        return StockSubmission((*results, *stores))

    def stock_results(self, pending_id: str) -> tuple[StockResult, ...] | None:
        """Never needed: :meth:`push_stock` answers at once and never returns a ``pending_id``.

        Receives the id of a submission. Raises ``DeliveryRejected`` should
        the host ever ask.
        """
        raise DeliveryRejected("Acme Market answers stock updates at once; nothing is pending.",
                               code="acme_no_pending_stock")

    def carrier_codes(self) -> frozenset[str] | None:
        """The carrier codes ``createShipment`` accepts (``OTHER`` goes with a carrier name).

        Receives nothing, calls nothing. Returns Acme's documented set.
        """
        return CARRIERS

    def upsert_store(self, store: Store, remote_id: str | None) -> str:
        """Acme has no pickup stores.

        Receives the store and its Acme id. Raises ``DeliveryRejected``, always.
        """
        raise DeliveryRejected("Acme Market has no pickup stores.", code="acme_no_stores")

    def archive_store(self, remote_id: str) -> None:
        """Acme has no pickup stores.

        Receives the store's Acme id. Raises ``DeliveryRejected``, always.
        """
        raise DeliveryRejected("Acme Market has no pickup stores.", code="acme_no_stores")

    @classmethod
    def demo(cls, clock: Clock) -> DemoSetup | None:
        """The Acme emulator for ``make run``: buyers order something every few seconds.

        Receives the demo's clock. Returns the :class:`DemoSetup` of
        :mod:`marketbridge_acme.demo` (imported here, so the emulator is never
        loaded outside the demo).
        """
        from marketbridge_acme.demo import demo_setup

        return demo_setup(clock)
