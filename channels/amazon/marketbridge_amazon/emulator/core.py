"""The SP-API emulator: LWA, access checks, documented rate limits and error bodies.

:class:`AmazonEmulator` is a WSGI app (a :class:`marketbridge.testing.Emulator`)
serving every operation the channel uses, with the models' shapes. Routes
live in the ``*_routes`` modules; this module holds what they share:

* LWA ``POST /auth/o2/token`` (``refresh_token`` and ``authorization_code``
  grants; ``invalid_grant`` for revoked grants and spent codes,
  ``invalid_client`` for wrong app credentials); access tokens live one hour
  on the emulator's clock;
* Seller Central's consent page ``GET /apps/authorize/consent`` (website
  authorisation workflow, C7): a confirm link that redirects to the app's
  ``redirect_uri`` with ``state``, ``selling_partner_id`` and a fresh
  ``spapi_oauth_code`` (the demo's "Authorise" button lands here);
* ``x-amz-access-token`` checks (403 ``Unauthorized`` bodies; an expired token
  says so) and Restricted Data Tokens for restricted documents;
* a :class:`~marketbridge.ratelimit.TokenBucket` per operation and seller
  with the documented rate and burst (:mod:`marketbridge_amazon.rates`), on the
  emulator's clock; an empty bucket answers 429 ``QuotaExceeded``. Every answer
  carries ``x-amzn-RequestId`` and ``x-amzn-RateLimit-Limit``;
* switches beyond the base faults: :meth:`throttle`, :meth:`fail`,
  ``drop_confirmations`` (204 without recording), malformed orders (through
  the generator's ``Mix.malformed``), :meth:`revoke`.
"""
from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import Flask, Response, request

from marketbridge.adapters import Money
from marketbridge.clock import Clock
from marketbridge.ratelimit import TokenBucket
from marketbridge.testing import Emulator, Fault

from marketbridge_amazon.emulator.model import EmulatedOrder, OrderBook
from marketbridge_amazon.rates import plan

CLIENT_ID = "amzn1.application-oa2-client.emulator"
CLIENT_SECRET = "emulator-client-secret"
#: The SP-API application id of the emulated app (the consent page's ``application_id``).
APPLICATION_ID = "amzn1.sp.solution.00000000-0000-4000-8000-emulator0001"
TOKEN_LIFETIME = timedelta(hours=1)
RDT_LIFETIME = timedelta(hours=1)
CODE_LIFETIME = timedelta(minutes=5)


@dataclass
class Seller:
    seller_id: str
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)


@dataclass
class AccessToken:
    seller_id: str
    refresh_token: str
    expires: datetime
    restricted_paths: frozenset[str] | None = None  #: set for RDTs


class AmazonEmulator(Emulator):
    """Emulates the SP-API operations Marketbridge uses (see the package docstring for the list)."""

    name = "amazon-sp-api"

    def __init__(self, clock: Clock | None = None, *, seller_id: str = "A3EMULATORSELLER",
                 refresh_token: str = "Atzr|emulator-refresh-token",
                 marketplace_ids: tuple[str, ...] = ("A1PA6795UKMFR9", "A13V1IB3VIYZZH", "APJ6JRA9NG5V4"),
                 report_seconds: float = 90.0, feed_seconds: float = 60.0, enforce_limits: bool = True) -> None:
        self.sellers: dict[str, Seller] = {seller_id: Seller(seller_id, {refresh_token})}
        self.default_seller = seller_id
        self.marketplace_ids = marketplace_ids
        self.tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, tuple[str, datetime]] = {}
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        self.enforce_limits = enforce_limits
        self.report_seconds = report_seconds
        self.feed_seconds = feed_seconds
        self.orders = OrderBook()
        self.pages: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.feeds: dict[str, dict[str, Any]] = {}
        self.listings: dict[str, dict[str, int]] = {}
        #: Offer prices set through ``purchasable_offer`` patches (P2): ``{sku: {marketplace_id: Money}}``.
        self.prices: dict[str, dict[str, Money]] = {}
        #: The whole offer entries behind :attr:`prices`: ``{sku: {marketplace_id: entry}}``, so a ``merge`` keeps
        #: sub-attributes it does not name (``discounted_price``, …) and a ``replace`` drops them.
        self.offers: dict[str, dict[str, dict[str, Any]]] = {}
        self.supply_sources: dict[str, dict[str, Any]] = {}
        self.confirmations: list[dict[str, Any]] = []
        #: Buy Shipping (Shipping v2): quotes by request token, labels bought (one entry per real purchase) and
        #: the answers by (seller, x-amzn-IdempotencyKey), so a retried purchase returns the same shipment.
        self.label_quotes: dict[str, dict[str, Any]] = {}
        self.label_purchases: list[dict[str, Any]] = []
        self.label_idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self.drop_confirmations = 0
        self.dropped: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        super().__init__(clock)

    # -- data helpers -----------------------------------------------------
    def price(self, sku: str, marketplace_id: str) -> Money | None:
        """The buyer price (``our_price`` ``value_with_tax``) of ``sku``'s offer on ``marketplace_id``, if set (P2).

        The price next to the quantities in :attr:`listings`; ``None`` when no
        ``purchasable_offer`` patch has set one.
        """
        return self.prices.get(sku, {}).get(marketplace_id)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def add_orders(self, orders: list[EmulatedOrder]) -> None:
        """Make orders known (they become visible once the clock passes their creation time)."""
        with self.lock:
            self.orders.extend(orders)

    def add_order(self, order: EmulatedOrder) -> EmulatedOrder:
        with self.lock:
            return self.orders.add(order)

    def now(self) -> datetime:
        return self.clock.now()

    # -- switches -----------------------------------------------------------
    def revoke(self, refresh_token: str) -> None:
        """The seller revoked the authorisation: the refresh token and its access tokens stop working."""
        with self.lock:
            for seller in self.sellers.values():
                if refresh_token in seller.refresh_tokens:
                    seller.revoked.add(refresh_token)
            for token, entry in list(self.tokens.items()):
                if entry.refresh_token == refresh_token:
                    del self.tokens[token]

    def issue_code(self, seller_id: str | None = None) -> str:
        """An ``spapi_oauth_code`` as Amazon sends to the redirect URI after consent."""
        code = "ANDaNTYsZmjpR" + secrets.token_hex(8)
        self.codes[code] = (seller_id or self.default_seller, self.now() + CODE_LIFETIME)
        return code

    def throttle(self, path: str, times: int = 1, operation: str | None = None) -> Fault:
        """Answer the next ``times`` requests to ``path`` (regex) with 429 ``QuotaExceeded``."""
        rate = plan(operation).rate if operation else 1.0
        body = json.dumps({"errors": [{"code": "QuotaExceeded",
                                       "message": "You exceeded your quota for the requested resource."}]})
        return self.faults.add(Fault(status=429, body=body, path=path, times=times,
                                     headers={"Content-Type": "application/json", "x-amzn-RateLimit-Limit": str(rate)}))

    def fail(self, path: str, status: int = 503, times: int = 1) -> Fault:
        """Answer the next ``times`` requests to ``path`` with a 5xx SP-API error body."""
        body = json.dumps({"errors": [{"code": "InternalFailure" if status == 500 else "ServiceUnavailable",
                                       "message": "We encountered an internal error. Please try again."}]})
        return self.faults.add(Fault(status=status, body=body, path=path, times=times,
                                     headers={"Content-Type": "application/json"}))

    # -- responses ------------------------------------------------------------
    def answer(self, body: Any, status: int = 200, operation: str | None = None) -> Response:
        headers = {"x-amzn-RequestId": secrets.token_hex(8)}
        if operation:
            headers["x-amzn-RateLimit-Limit"] = str(self._bucket(operation, self._seller_or_default()).rate)
        if body is None:
            return Response(b"", status=status, headers=headers)
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    def error(self, status: int, code: str, message: str, details: str | None = None,
              operation: str | None = None) -> Response:
        entry = {"code": code, "message": message}
        if details:
            entry["details"] = details
        return self.answer({"errors": [entry]}, status, operation)

    # -- access and limits -------------------------------------------------------
    def _seller_or_default(self) -> str:
        entry = self.tokens.get(request.headers.get("x-amz-access-token", ""))
        return entry.seller_id if entry else self.default_seller

    def _bucket(self, operation: str, seller_id: str) -> TokenBucket:
        key = (operation, seller_id)
        if key not in self.buckets:
            usage = plan(operation)
            self.buckets[key] = TokenBucket(rate=usage.rate, burst=usage.burst, clock=self.clock)
        return self.buckets[key]

    def check(self, operation: str, restricted_path: str | None = None) -> str | Response:
        """The caller's seller id, or the 403/429 answer to send instead."""
        token = request.headers.get("x-amz-access-token", "")
        entry = self.tokens.get(token)
        if entry is None:
            return self.error(403, "Unauthorized", "Access to requested resource is denied.",
                              "The access token is missing or invalid.")
        if entry.expires <= self.now():
            return self.error(403, "Unauthorized", "Access to requested resource is denied.",
                              "The access token you provided has expired.")
        if restricted_path is not None and (entry.restricted_paths is None or restricted_path not in entry.restricted_paths):
            return self.error(403, "Unauthorized", "Access to requested resource is denied.",
                              "This restricted resource needs a Restricted Data Token.")
        if entry.restricted_paths is not None and request.path not in entry.restricted_paths:
            return self.error(403, "Unauthorized", "Access to requested resource is denied.",
                              "A Restricted Data Token only grants the resources it was created for.")
        if self.enforce_limits and self._bucket(operation, entry.seller_id).take() > 0:
            return self.error(429, "QuotaExceeded", "You exceeded your quota for the requested resource.",
                              operation=operation)
        return entry.seller_id

    def guarded(self, operation: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Decorator: authenticate and rate-limit, then call the handler with ``seller_id`` first."""
        def wrap(handler: Callable[..., Response]) -> Callable[..., Response]:
            def run(*args: Any, **kwargs: Any) -> Response:
                seller = self.check(operation)
                if isinstance(seller, Response):
                    return seller
                with self.lock:
                    return handler(seller, *args, **kwargs)
            run.__name__ = handler.__name__
            return run
        return wrap

    def json_body(self) -> Any:
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            return None

    # -- routes -------------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        from marketbridge_amazon.emulator import (auth_routes, feeds_routes, orders_routes, reports_routes,
                                                  sellers_routes, shipping_routes, supply_routes)

        for module in (auth_routes, orders_routes, reports_routes, feeds_routes, supply_routes, sellers_routes,
                       shipping_routes):
            module.register(self, app)
