"""Order import with Orders 2026-01-01 ``searchOrders`` and ``getOrder``.

* ``searchOrders`` GET ``/orders/2026-01-01/orders`` (0.0056/s, burst 20): items
  come inside each order, so one call imports up to 100 complete orders.
* ``getOrder`` GET ``/orders/2026-01-01/orders/{orderId}`` (0.5/s, burst 30):
  re-checks single orders (pending ones, report gaps, crash recovery).

Windows. Activation (C3) pages through ``createdAfter=<since>`` restricted to
open statuses (PENDING and PENDING_AVAILABILITY included so that orders still
waiting for payment are known and re-checked). Afterwards every window is
``lastUpdatedAfter = watermark - 5 min`` with no status filter, so a Pending
order that turns Unshipped, or an order cancelled before import, shows up again
when its ``lastUpdatedTime`` moves; the watermark is the upper bound Amazon
echoes (``lastUpdatedBefore``/``createdBefore``), never the local clock.

Pagination tokens expire after 24 hours: a token older than 23½ h, or one
Amazon refuses, restarts the window from its first page with the same bounds –
a window is never skipped. Every query carries the connection's marketplace
and ``fulfilledBy`` (C4: MERCHANT and AMAZON orders never mix).

When the searchOrders bucket runs dry in the middle of a window, the rest of
the window goes through the Reports API (:mod:`marketbridge_amazon.backlog`).
Orders queued for a getOrder re-check are read while that bucket has tokens;
they never hold up the windows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

from marketbridge.adapters import FetchRequest, OrderPage, RejectedOrder
from marketbridge.clock import Clock
from marketbridge.errors import AdapterError, RateLimited, TemporaryFailure

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment
from marketbridge_amazon.cursor import ImportCursor, Window
from marketbridge_amazon.order_mapping import MappingRules, Unmappable, map_order

SEARCH_PATH = "/orders/2026-01-01/orders"
INCLUDED_DATA = ["BUYER", "RECIPIENT", "PROCEEDS", "FULFILLMENT", "TAX"]
OPEN_STATUSES = ["PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED"]
PAGE_SIZE = 100
OVERLAP = timedelta(minutes=5)
TOKEN_LIFETIME = timedelta(hours=24)
TOKEN_MARGIN = timedelta(minutes=30)
MIN_AGE = timedelta(minutes=2)  #: Amazon's "…Before at least two minutes before now" rule


def amazon_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as Amazon writes it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def scrub(raw: Any) -> Any:
    """A copy of an order without the buyer's e-mail address (O8), for rejected orders' raw data."""
    if isinstance(raw, dict):
        return {k: scrub(v) for k, v in raw.items() if k != "buyerEmail"}
    if isinstance(raw, list):
        return [scrub(v) for v in raw]
    return raw


@dataclass(frozen=True)
class Scope:
    """Which orders belong to the connection (C4)."""

    marketplace_id: str
    fulfilled_by: str  #: "MERCHANT" or "AMAZON"


class OrderConverter:
    """Maps raw orders to validated canonical dicts or rejections, dropping other connections' orders."""

    def __init__(self, rules: MappingRules, scope: Scope, log: logging.Logger) -> None:
        self.rules = rules
        self.scope = scope
        self.log = log

    def convert(self, raw_orders: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[RejectedOrder]]:
        orders: list[dict[str, Any]] = []
        rejected: list[RejectedOrder] = []
        for raw in raw_orders:
            if not isinstance(raw, Mapping):
                rejected.append(RejectedOrder(None, scrub(raw), "Amazon sent an order that is not an object"))
                continue
            order_id = raw.get("orderId") if isinstance(raw.get("orderId"), str) else None
            if not self._ours(raw):
                self.log.info("Skipping Amazon order %s: other marketplace or fulfilment channel", order_id)
                continue
            try:
                orders.append(map_order(raw, self.rules))
            except Unmappable as exc:
                rejected.append(RejectedOrder(order_id, scrub(dict(raw)), exc.reason))
        return orders, rejected

    def _ours(self, raw: Mapping[str, Any]) -> bool:
        channel = (raw.get("salesChannel") or {}).get("marketplaceId")
        fulfilled_by = (raw.get("fulfillment") or {}).get("fulfilledBy")
        return (channel in (None, self.scope.marketplace_id)
                and fulfilled_by in (None, self.scope.fulfilled_by))


class OrderReader:
    """Reads single orders with getOrder (refresh, recheck, read-back after shipments)."""

    def __init__(self, client: SpApiClient) -> None:
        self.client = client

    def get(self, order_id: str, included: Sequence[str] = tuple(INCLUDED_DATA)) -> dict[str, Any] | None:
        """The raw order, or ``None`` when Amazon does not know it (404)."""
        try:
            body = self.client.call("getOrder", "GET", f"{SEARCH_PATH}/{segment(order_id)}",
                                    params={"includedData": list(included)}).body
        except AmazonNotFound:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("order"), dict):
            raise TemporaryFailure(f"Amazon answered getOrder for {order_id} without an order",
                                   code="malformed_response")
        return body["order"]

    def many(self, order_ids: Sequence[str], converter: OrderConverter) -> tuple[OrderPage, list[str]]:
        """Read as many of ``order_ids`` as the quota allows now; returns the page and the ids not read.

        Raises ``RateLimited`` only when not a single order could be read.
        """
        raws: list[Mapping[str, Any]] = []
        missing: list[RejectedOrder] = []
        done = 0
        for order_id in order_ids:
            try:
                raw = self.get(order_id)
            except RateLimited:
                if done == 0:
                    raise
                break
            done += 1
            if raw is None:
                missing.append(RejectedOrder(order_id, None, f"Amazon does not know order {order_id} "
                                                             "for this seller account"))
            else:
                raws.append(raw)
        orders, rejected = converter.convert(raws)
        return OrderPage(tuple(orders), None, rejected=tuple(rejected + missing)), list(order_ids[done:])


class OrderImporter:
    """Implements ``fetch_orders`` on top of searchOrders, getOrder and the backlog route."""

    def __init__(self, client: SpApiClient, converter: OrderConverter, clock: Clock, backlog: Any | None) -> None:
        self.client = client
        self.converter = converter
        self.clock = clock
        self.backlog = backlog
        self.reader = OrderReader(client)

    def fetch(self, request: FetchRequest) -> OrderPage:
        """One step of the import; see the module docstring."""
        cursor = (ImportCursor.loads(request.cursor) if request.cursor else
                  ImportCursor.start(request.since, OPEN_STATUSES if request.open_only else None))
        if cursor.recheck and self.client.buckets.wait("getOrder") == 0:
            page, left = self.reader.many(cursor.recheck, self.converter)
            cursor.recheck = left
            return OrderPage(page.orders, cursor.dumps(), more=True, rejected=page.rejected)
        if cursor.report is not None and self.backlog is not None:
            return self.backlog.advance(cursor)
        now = self.clock.now()
        if cursor.window is None:
            if cursor.watermark is None:
                raise AdapterError("The stored Amazon import position has neither a window nor a watermark; reset "
                                   "the connection's import position.", code="bad_cursor")
            after = parse_time(cursor.watermark) - OVERLAP
            if after > now - MIN_AGE - OVERLAP:
                return OrderPage((), cursor.dumps(), more=False)
            cursor.window = Window(kind="updated", after=after.isoformat())
        window = cursor.window
        if window.token is None and parse_time(window.after) >= now - MIN_AGE:
            return OrderPage((), cursor.dumps(), more=False)  # Amazon only answers for windows ending 2 min ago
        if window.token and now - parse_time(window.token_at or window.after) >= TOKEN_LIFETIME - TOKEN_MARGIN:
            window.restart()
        try:
            body = self.client.call("searchOrders", "GET", SEARCH_PATH, params=self._params(window)).body
        except RateLimited:
            if window.token and self.backlog is not None and self.backlog.available:
                cursor.report = self.backlog.job_for(window, now)
                cursor.window = None
                return self.backlog.advance(cursor)
            raise
        except AmazonRejected:
            if not window.token:
                raise
            window.restart()  # the token expired or became invalid: read the window again, never skip it
            return OrderPage((), cursor.dumps(), more=True)
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise TemporaryFailure("Amazon answered searchOrders without an order list", code="malformed_response")
        orders, rejected = self.converter.convert(body["orders"])
        if window.before is None:
            window.before = body.get("lastUpdatedBefore") or body.get("createdBefore") or amazon_time(now - MIN_AGE)
        next_token = (body.get("pagination") or {}).get("nextToken")
        more = True
        if next_token:
            window.token, window.token_at = next_token, now.isoformat()
        else:
            cursor.watermark = window.before
            cursor.window = None
            if cursor.phase == "backfill":
                cursor.phase = "updates"
            else:
                more = False
        return OrderPage(tuple(orders), cursor.dumps(), more=more, rejected=tuple(rejected))

    def _params(self, window: Window) -> dict[str, Any]:
        scope = self.converter.scope
        params: dict[str, Any] = {
            "marketplaceIds": [scope.marketplace_id],
            "fulfilledBy": [scope.fulfilled_by],
            "includedData": INCLUDED_DATA,
            "maxResultsPerPage": PAGE_SIZE,
        }
        after = amazon_time(parse_time(window.after))
        before = amazon_time(parse_time(window.before)) if window.before and window.bounded else None
        if window.kind == "created":
            params["createdAfter"], params["createdBefore"] = after, before
        else:
            params["lastUpdatedAfter"], params["lastUpdatedBefore"] = after, before
        if window.statuses:
            params["fulfillmentStatuses"] = window.statuses
        if window.token:
            params["paginationToken"] = window.token
        return params
