"""The ``http_api`` shop adapter (C10): Marketbridge's side of a shop that talks to it over HTTP.

The shop is passive: nothing here makes an HTTP call. ``create_order``
publishes the order in the plugin's tables inside the pipeline's own
transaction (the order is published and marked created in one commit:
exactly once), the shop pulls it with ``GET /orders`` and pushes statuses,
shipments, products and stock, which the other methods read back with
sequence cursors (see :mod:`.api`).
"""
from __future__ import annotations

from typing import ClassVar, Sequence

from marketbridge.adapters import (
    ChangePage,
    CheckResult,
    OrderDraft,
    ProductIdentifier,
    SettingField,
    ShopAdapter,
    ShopOrderRef,
    ShopProduct,
    ShopStatus,
    StockLevel,
    StockPage,
)
from marketbridge.errors import OrderRejected, TemporaryFailure

from marketbridge_http_api import catalogue, events, orders
from marketbridge_http_api.feeds import feed_of, feed_row, find_feed
from marketbridge_http_api.settings import MIN_TOKEN_LENGTH, SETTINGS_FIELDS, api_token

#: Events and stock levels per page of ``changes_since`` / ``stock_changes_since``.
PAGE_SIZE = 200


def _cursor(cursor: str | None) -> int:
    """A cursor of ours is the last sequence number seen; anything else is a bug upstream."""
    if cursor is None or cursor == "":
        return 0
    try:
        return max(0, int(cursor))
    except ValueError:
        raise TemporaryFailure(f"The cursor {cursor!r} is not a sequence number of the shop API.",
                               code="http_api_bad_cursor") from None


class HttpApiShopAdapter(ShopAdapter):
    """A shop without a plugin, connected through Marketbridge's shop HTTP API."""

    kind: ClassVar[str] = "http_api"
    label: ClassVar[str] = "Shop via HTTP API"
    settings_fields: ClassVar[tuple[SettingField, ...]] = SETTINGS_FIELDS
    #: Reading the plugin's own table is cheap; 500 values fit comfortably in one ``IN (…)``.
    batch_size: ClassVar[int] = 500

    def check_connection(self) -> CheckResult:
        """Say whether the shop has ever called the API and declared its statuses.

        Receives nothing (reads the shop's feed row). Returns one plain
        sentence per thing to do: a token missing or shorter than 32
        characters, no call received yet, no statuses declared with
        ``PUT /statuses``. Raises nothing of its own (database errors reach
        the host's guard as temporary failures).
        """
        problems: list[str] = []
        if api_token(self.context.secrets) is None:
            problems.append(f"Set an API token of at least {MIN_TOKEN_LENGTH} random characters in this shop's "
                            "settings and configure the same token in the shop.")
        feed = find_feed(self.context.state)
        row = feed_row(feed) if feed else None
        if row is None or row.first_call_at is None:
            problems.append("The shop has never called the Marketbridge API. Configure it with this shop's API "
                            "address (/api/shop/v1/<shop id>/) and token, then let it pull orders.")
        elif not row.statuses:
            problems.append("The shop has not declared its order statuses yet: it must send them with "
                            "PUT /api/shop/v1/<shop id>/statuses before statuses can be mapped.")
        return CheckResult(tuple(problems))

    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        """Look up the published order carrying ``external_ref`` (exact match on a unique key).

        Returns ``ShopOrderRef(order_id=<published id>, number=<the shop's
        acknowledged number or None>)`` or ``None``. Raises nothing of its own.
        """
        feed = find_feed(self.context.state)
        row = orders.by_ref(feed, external_ref) if feed else None
        return None if row is None else ShopOrderRef(order_id=str(row.id), number=row.shop_number)

    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        """Publish ``draft`` for the shop to pull (``GET /orders``) in the caller's transaction.

        Stores the canonical order as charged (``dump_order``), the matched
        product of each line, marker, initial status, test flag, connection
        name and tags. Returns ``ShopOrderRef(order_id=<published id>,
        number=None)``: the shop's own number arrives later with
        ``POST /orders/{id}/acknowledge``. Raises ``OrderRejected`` when the
        initial status is not one the shop declared.
        """
        feed = feed_of(self.context.state)
        if draft.initial_status is not None:
            declared = {s["code"] for s in feed_row(feed).statuses}
            if declared and draft.initial_status not in declared:
                raise OrderRejected(
                    "The initial status {status} is not one the shop declared through the API. Choose another "
                    "status for new orders in the connection's settings.",
                    code="http_api_unknown_status", status=draft.initial_status)
        order_id = orders.publish(feed, draft, self.context.clock.now())
        return ShopOrderRef(order_id=str(order_id), number=None)

    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        """Match up to ``batch_size`` values exactly against the catalogue pushed with ``PUT /products`` (C5).

        Returns value → product for the values that matched (stock ``None``
        for unlimited, weight in kg). Raises nothing of its own.
        """
        feed = find_feed(self.context.state)
        return catalogue.find_products(feed, identifier, values) if feed and values else {}

    def list_statuses(self) -> list[ShopStatus]:
        """The statuses the shop declared with ``PUT /statuses`` (S1), in its order; empty before that."""
        feed = find_feed(self.context.state)
        row = feed_row(feed) if feed else None
        return [ShopStatus(code=s["code"], label=s["label"], initial=bool(s.get("initial", True)))
                for s in (row.statuses if row else [])]

    def set_status(self, order: ShopOrderRef, status: str) -> None:
        """Ask the shop to move ``order`` to ``status``: the order is re-published with ``requested_status``.

        The shop sees it on its next ``GET /orders`` and confirms with
        ``POST /orders/{id}/status``. A status the order has (or was already
        asked for) is a no-op. Raises ``OrderRejected`` for a status the shop
        did not declare or an order that was never published.
        """
        feed = feed_of(self.context.state)
        declared = {s["code"] for s in feed_row(feed).statuses}
        if status not in declared:
            raise OrderRejected("The shop did not declare the status {status} through the API.",
                                code="http_api_unknown_status", status=status)
        row = orders.by_id(feed, order.order_id)
        if row is None:
            raise OrderRejected("Order {order} was never published to the shop.", code="http_api_unknown_order",
                                order=order.order_id)
        if status in (row.status, row.requested_status):
            return
        orders.request_status(feed, row.id, status)

    def changes_since(self, cursor: str | None) -> ChangePage:
        """Status changes and shipments pushed after ``cursor`` (the last sequence number seen) (S2, S3).

        ``cursor=None`` starts at the beginning of this shop's events, not at
        "now": every event concerns an order Marketbridge published, so none is
        older than the connection, and a shipment pushed before the first poll
        must not be lost. Returns up to 200 events, the new cursor and
        ``more``. Raises ``TemporaryFailure`` for a cursor that is not ours.
        """
        after = _cursor(cursor)
        feed = find_feed(self.context.state)
        if feed is None:
            return ChangePage((), str(after))
        found, last, more = events.page(feed, after, PAGE_SIZE)
        return ChangePage(tuple(found), str(last), more=more)

    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        """Stock and gross price (P1, P2) of up to ``batch_size`` products, as last pushed.

        ``quantity`` is ``None`` for unlimited; ``price`` is ``Money(price,
        currency)`` from ``PUT /products``/``PUT /stock``, ``None`` when none
        was pushed. Unknown ids are left out. Raises nothing of its own.
        """
        feed = find_feed(self.context.state)
        return catalogue.read_stock(feed, product_ids) if feed else []

    def stock_changes_since(self, cursor: str | None) -> StockPage:
        """Products whose stock or price changed after ``cursor`` (P1, P2).

        With ``cursor=None`` starts from now (the current sequence number):
        the full catalogue is read through :meth:`read_stock`. Returns up to
        200 levels, the new cursor and ``more``. Raises ``TemporaryFailure``
        for a cursor that is not ours.
        """
        feed = find_feed(self.context.state)
        row = feed_row(feed) if feed else None
        if cursor is None:
            return StockPage((), str(int(row.seq) if row else 0))
        after = _cursor(cursor)
        if feed is None:
            return StockPage((), str(after))
        levels, last, more = catalogue.stock_page(feed, after, PAGE_SIZE)
        return StockPage(tuple(levels), str(last), more=more)
