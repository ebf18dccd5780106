"""The Ecwid emulator: the REST API v3 subset Marketbridge uses, its OAuth install and its webhooks.

Served over real HTTP by :meth:`~marketbridge.testing.Emulator.serve`; used by
the plugin's tests and by the app's demo mode. It follows ``specs/ecwid/``:

* paths ``/api/v3/{storeId}/…`` and ``/api/oauth/{authorize,token}``; JSON in and out;
* auth: ``Authorization: Bearer <token>`` (or the old ``?token=``); unknown store
  → ``404 STORE_NOT_FOUND``, wrong token → ``403 INVALID_API_TOKEN``, missing
  scope → ``403 INSUFFICIENT_APP_SCOPE``, plan without API → ``402``;
* 600 requests per minute per token (``rate_per_minute``) on the emulator's
  clock, then ``429`` with ``Retry-After``;
* ``offset``/``limit`` pagination with at most and by default 100 items;
* order ids are strings (``"XJ12H"``); totals are stored as sent; ``PUT`` with
  ``items`` replaces all items; status vocabulary seeded with Ecwid's
  defaults, custom statuses disabled until the merchant names them;
* API orders created PAID with product/combination ids decrement stock (stock
  may go negative, as with Ecwid's inventory call); cancelling restocks;
* every change raises the webhooks Ecwid would send to an installed app.

Error bodies are ``{"errorCode", "errorMessage"}``. Fault switches (401, 429,
5xx, timeouts, dropped connections, malformed bodies) come from the
:class:`~marketbridge.testing.Emulator` base; :attr:`EcwidEmulator.refuse_unavailable_items`
rehearses a store refusing orders for disabled or sold-out products (Ecwid's
documentation does not say it does; by default the emulator accepts them), and
:meth:`EcwidEmulator.stall_next_create` a create that commits but answers only
after the client timed out.

"Merchant actions" (:meth:`EcwidEmulator.ship_order`, :meth:`set_order_status`,
:meth:`set_stock`, …) change data as the Ecwid admin does, updating timestamps
and raising webhooks, so polling and webhooks both see them.
"""
from __future__ import annotations

import contextlib
import copy
import math
import random
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request

from marketbridge.clock import Clock
from marketbridge.ratelimit import TokenBucket
from marketbridge.testing import Emulator
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_ecwid.app_payload import encrypt_payload
from marketbridge_ecwid.emulator.catalogue import Combination, Product, demo_products, ecwid_date
from marketbridge_ecwid.emulator.orders import Refusal, check_required, check_statuses, check_types, parse_time, search
from marketbridge_ecwid.emulator.outbox import InstalledApp, Outbox
from marketbridge_ecwid.vocabulary import FULFILLMENT_STATUSES, PAYMENT_STATUSES

ALL_SCOPES = frozenset({
    "read_store_profile", "update_store_profile", "read_catalog", "update_catalog", "create_catalog",
    "read_orders", "update_orders", "create_orders", "read_customers", "update_customers", "create_customers",
    "add_to_cp",
})
PAGE_LIMIT = 100
#: The store's manual taxes (id, name, %): German VAT, enabled per product.
VAT_TAXES: tuple[tuple[int, str, str], ...] = ((1117939047, "MwSt. 19 %", "19"), (1117939048, "MwSt. 7 %", "7"))
RATE_PER_MINUTE = 600
CODE_LIFETIME = timedelta(minutes=5)
_ORDER_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class EcwidEmulator(Emulator):
    """One emulated Ecwid store. ``token`` is a ready secret token with every scope."""

    name = "ecwid"

    def __init__(self, clock: Clock | None = None, *, store_id: int = 1003, currency: str = "EUR",
                 weight_unit: str = "KILOGRAM", store_name: str = "Marketbridge demo store", seed: int = 7,
                 rate_per_minute: int = RATE_PER_MINUTE) -> None:
        self.store_id = store_id
        self.rate_per_minute = rate_per_minute
        self.currency = currency
        self.weight_unit = weight_unit
        self.store_name = store_name
        self.plan_has_api = True
        self.suspended = False
        self.refuse_unavailable_items = False
        #: Tax settings (P2): VAT included in prices (``includeInPrice``), or added at checkout when false;
        #: ``automatic_taxes`` is ``taxSettings.automaticTaxEnabled``.
        self.taxes_included = True
        self.automatic_taxes = False
        #: Combinations carry ``defaultDisplayedPrice`` (current docs); false answers as the 2020 docs show.
        self.combination_prices = True
        self.products: dict[int, Product] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = _default_statuses()
        self.tokens: dict[str, frozenset[str]] = {}
        self.installed_app: InstalledApp | None = None
        self.outbox = Outbox()
        self._codes: dict[str, tuple[frozenset[str], Any, str]] = {}
        self._code_tokens: dict[str, str] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._stock_moved: set[str] = set()
        self._stalled_creates = 0
        self._rng = random.Random(seed)
        self._next_product_id = 700_000_001
        self._next_combination_id = 800_000_001
        self._next_internal_id = 450_000_001
        self._next_item_id = 140_000_001
        super().__init__(clock)
        self.token = self.issue_token(ALL_SCOPES)

    # -- set-up --------------------------------------------------------------
    def issue_token(self, scopes: frozenset[str] | set[str]) -> str:
        """A new ``secret_`` token for this store with ``scopes`` (a custom app's token)."""
        token = f"secret_{self._rng.getrandbits(128):032x}"
        self.tokens[token] = frozenset(scopes)
        return token

    def seed_demo(self) -> EcwidEmulator:
        """Load the shared demo catalogue (:data:`marketbridge.testing.demo_catalogue.DEMO_PRODUCTS`).

        Variants become combinations of their parent with a "Size" option, the
        product without weight has weight 0, the retired product is disabled.
        """
        with self.lock:
            for product in demo_products(DEMO_PRODUCTS, self.clock.now(), self._next_product_id,
                                         self._next_combination_id, {Decimal(rate): tax_id for tax_id, _, rate
                                                                     in VAT_TAXES}):
                self.products[product.id] = product
                self._next_product_id = max(self._next_product_id, product.id + 1)
                for combination in product.combinations:
                    self._next_combination_id = max(self._next_combination_id, combination.id + 1)
        return self

    def install_app(self, client_id: str, client_secret: str, *, scopes: frozenset[str] | set[str] = ALL_SCOPES,
                    redirect_uri: str | None = None, webhook_url: str | None = None) -> InstalledApp:
        """Register the Marketbridge app in this store (client credentials, scopes, webhook URL)."""
        self.installed_app = InstalledApp(client_id, client_secret, frozenset(scopes), redirect_uri, webhook_url)
        return self.installed_app

    # -- lookups for tests and the demo mode ----------------------------------
    def find_sku(self, sku: str) -> tuple[Product, Combination | None]:
        """The product holding ``sku`` and, for a variation SKU, the combination; ``KeyError`` otherwise."""
        for product in self.products.values():
            if product.sku == sku:
                return product, None
            for combination in product.combinations:
                if combination.sku == sku:
                    return product, combination
        raise KeyError(sku)

    def stock_of(self, sku: str) -> int | None:
        """Current quantity of a product or variation SKU (``None`` = unlimited)."""
        product, combination = self.find_sku(sku)
        return (combination or product).quantity

    def marketbridge_id(self, sku: str) -> str:
        """The id Marketbridge uses for ``sku``: ``"{productId}"`` or ``"{productId}-{combinationId}"``."""
        product, combination = self.find_sku(sku)
        return str(product.id) if combination is None else f"{product.id}-{combination.id}"

    def order(self, order_id: str) -> dict[str, Any]:
        """A copy of an order as the API returns it."""
        with self.lock:
            return copy.deepcopy(self.orders[order_id])

    def orders_with_reference(self, reference: str) -> list[dict[str, Any]]:
        """Copies of every order whose ``externalTransactionId`` is ``reference``."""
        with self.lock:
            return [copy.deepcopy(o) for o in self.orders.values() if o.get("externalTransactionId") == reference]

    def app_page_query(self, *, app_state: str | None = None, lang: str = "en") -> dict[str, str]:
        """The query string Ecwid gives the app page in its admin (encrypted ``payload`` with a token)."""
        if self.installed_app is None:
            raise RuntimeError("install_app() first")
        token = self.issue_token(self.installed_app.scopes)
        data: dict[str, Any] = {"store_id": self.store_id, "lang": lang, "access_token": token}
        if app_state is not None:
            data["app_state"] = app_state
        query = {"payload": encrypt_payload(data, self.installed_app.client_secret,
                                            self._rng.getrandbits(128).to_bytes(16, "big")),
                 "cache-killer": str(self._rng.getrandbits(32))}
        if app_state is not None:
            query["app_state"] = app_state
        return query

    # -- merchant actions (what the Ecwid admin does) ---------------------------
    def ship_order(self, order_id: str, tracking_number: str, carrier: str | None = None,
                   status: str = "SHIPPED") -> None:
        """Mark an order shipped with a tracking number (and carrier name), as the admin's "Ship" does."""
        with self.lock:
            order = self.orders[order_id]
            old = (order["paymentStatus"], order["fulfillmentStatus"])
            order["trackingNumber"] = tracking_number
            order["fulfillmentStatus"] = status
            if carrier:
                order.setdefault("shippingOption", {})["shippingCarrierName"] = carrier
            self._touch_order(order, old)

    def set_order_status(self, order_id: str, *, payment_status: str | None = None,
                         fulfillment_status: str | None = None) -> None:
        """Change an order's payment and/or fulfilment status from the order page."""
        with self.lock:
            order = self.orders[order_id]
            old = (order["paymentStatus"], order["fulfillmentStatus"])
            if payment_status is not None:
                order["paymentStatus"] = payment_status
            if fulfillment_status is not None:
                order["fulfillmentStatus"] = fulfillment_status
            self._after_payment_change(order, old[0])
            self._touch_order(order, old)

    def set_stock(self, sku: str, quantity: int | None) -> None:
        """Set a product's or variation's stock (``None`` = unlimited) in the catalogue editor."""
        with self.lock:
            product, combination = self.find_sku(sku)
            (combination or product).quantity = quantity
            self._touch_product(product)

    def set_price(self, sku: str, price: float | None) -> None:
        """Set a product's or variation's base price in the catalogue editor (``None``: the variation inherits)."""
        with self.lock:
            product, combination = self.find_sku(sku)
            if combination is not None:
                combination.price = price
            elif price is None:
                raise ValueError("a product needs a price")
            else:
                product.price = price
            self._touch_product(product)

    def set_product_enabled(self, sku: str, enabled: bool) -> None:
        """Enable or disable a product."""
        with self.lock:
            product, _ = self.find_sku(sku)
            product.enabled = enabled
            self._touch_product(product)

    def set_custom_status(self, status_id: str, name: str, enabled: bool = True) -> None:
        """Name and enable a custom status (Settings → Order statuses)."""
        with self.lock:
            for status in self.statuses:
                if status["statusId"] == status_id and status_id.startswith("CUSTOM_"):
                    status.update(name=name, enabled=enabled, lastNameChangeDate=ecwid_date(self.clock.now()))
                    return
            raise KeyError(status_id)

    def authorize(self, scopes: frozenset[str] | set[str] | None = None, redirect_uri: str = "") -> str:
        """The merchant consents on Ecwid's OAuth page; returns the one-time code."""
        if self.installed_app is None:
            raise RuntimeError("install_app() first")
        code = f"{self._rng.getrandbits(64):016x}"
        self._codes[code] = (frozenset(scopes or self.installed_app.scopes), self.clock.now(), redirect_uri)
        return code

    def stall_next_create(self, times: int = 1) -> None:
        """The next ``times`` ``POST /orders`` create the order, then answer only after the client timed out.

        The nastiest timeout for exactly-once: the order exists, the caller saw
        no answer. (The base class's ``timeout`` fault never runs the handler.)
        """
        with self.lock:
            self._stalled_creates += times

    def deliver_webhooks(self, http: Any = None) -> list[int | None]:
        """POST the pending webhooks to the installed app's URL (see :class:`Outbox`)."""
        return self.outbox.deliver(http)

    # -- internals -------------------------------------------------------------
    def _now_ts(self) -> int:
        return int(self.clock.now().timestamp())

    def _event(self, event_type: str, entity_id: Any, data: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {
            "eventId": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "eventCreated": self._now_ts(), "storeId": self.store_id, "entityId": entity_id,
            "eventType": event_type,
        }
        if data is not None:
            body["data"] = data
        self.outbox.add(self.installed_app, body)

    def _touch_order(self, order: dict[str, Any], old: tuple[str, str]) -> None:
        now = self.clock.now()
        order["updateDate"] = ecwid_date(now)
        order["updateTimestamp"] = int(now.timestamp())
        self._event("order.updated", order["internalId"], {
            "orderId": order["id"], "oldPaymentStatus": old[0], "newPaymentStatus": order["paymentStatus"],
            "oldFulfillmentStatus": old[1], "newFulfillmentStatus": order["fulfillmentStatus"]})

    def _touch_product(self, product: Product) -> None:
        product.updated = self.clock.now()
        self._event("product.updated", product.id)

    def _move_stock(self, order: Mapping[str, Any], sign: int) -> None:
        touched: dict[int, Product] = {}
        for item in order.get("items") or ():
            product = self.products.get(item.get("productId"))  # type: ignore[arg-type]
            if product is None:
                continue
            target: Product | Combination | None = product
            if item.get("combinationId"):
                target = product.combination(int(item["combinationId"]))
            if target is not None and target.quantity is not None:
                target.quantity += sign * int(item.get("quantity") or 0)
                touched[product.id] = product
        for product in touched.values():
            self._touch_product(product)

    def _after_payment_change(self, order: dict[str, Any], old_payment: str) -> None:
        """Cancelling restocks what the order took (Ecwid help center, "Canceling orders")."""
        if order["paymentStatus"] == "CANCELLED" and old_payment != "CANCELLED" and order["id"] in self._stock_moved:
            self._move_stock(order, +1)
            self._stock_moved.discard(order["id"])

    def _new_order_id(self) -> str:
        while True:
            candidate = "".join(self._rng.choice(_ORDER_ID_ALPHABET) for _ in range(5))
            if candidate not in self.orders:
                return candidate

    # -- HTTP plumbing ---------------------------------------------------------------
    @staticmethod
    def error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
        """An Ecwid error answer: ``{"errorCode", "errorMessage"}`` with the status."""
        response = jsonify({"errorCode": code, "errorMessage": message})
        response.status_code = status
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    def _token(self) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer "):].strip()
        return request.args.get("token")

    def _guard(self, store_id: str, scope: str) -> Response | None:
        """Store, plan, token, scope and rate limit, in the order Ecwid checks them."""
        if store_id != str(self.store_id):
            return self.error(404, "STORE_NOT_FOUND", "Store with specified ID was not found.")
        if not self.plan_has_api:
            return self.error(402, "NOT_AVAILABLE_ON_CURRENT_PLAN", "Please upgrade your account to access API")
        if self.suspended:
            return self.error(402, "STORE_IS_SUSPENDED", "Store with specified ID is currently suspended.")
        token = self._token()
        if token is None or token not in self.tokens:
            return self.error(403, "INVALID_API_TOKEN", "Invalid access token in the request.")
        if scope not in self.tokens[token]:
            return self.error(403, "INSUFFICIENT_APP_SCOPE",
                              f"Application doesn't have a required scope for the request: {scope}")
        bucket = self._buckets.setdefault(
            token, TokenBucket(rate=self.rate_per_minute / 60, burst=self.rate_per_minute, clock=self.clock))
        wait = bucket.take()
        if wait > 0:
            return self.error(429, "RATE_LIMITED", "Too many requests, rate limit exceeded.",
                              {"Retry-After": str(max(1, math.ceil(wait)))})
        return None

    def _json_body(self) -> tuple[Any, Response | None]:
        if request.mimetype not in ("application/json", "text/json"):
            return None, self.error(415, "WRONG_PARAMETER",
                                    "Unsupported content-type: expected application/json or text/json")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None, self.error(400, "WRONG_PARAMETER", "Request parameters are malformed")
        return body, None

    def _page(self, items: list[Any], render: Callable[[Any], dict[str, Any]]) -> Response | dict[str, Any]:
        try:
            offset = max(int(request.args.get("offset", 0)), 0)
            limit = min(max(int(request.args.get("limit", PAGE_LIMIT)), 0), PAGE_LIMIT)
        except ValueError:
            return self.error(400, "WRONG_PARAMETER", "Wrong parameter 'offset' or 'limit' value: expected a number")
        chosen = items[offset:offset + limit]
        return {"total": len(items), "count": len(chosen), "offset": offset, "limit": limit,
                "items": [render(i) for i in chosen]}

    # -- routes ------------------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        base = "/api/v3/<store_id>"

        @app.get(f"{base}/profile")
        def get_profile(store_id: str) -> Any:
            return self._guard(store_id, "read_store_profile") or self._profile_json()

        @app.get(f"{base}/profile/order_statuses")
        def order_statuses(store_id: str) -> Any:
            return self._guard(store_id, "read_store_profile") or {"items": copy.deepcopy(self.statuses)}

        @app.get(f"{base}/orders")
        def search_orders(store_id: str) -> Any:
            refused = self._guard(store_id, "read_orders")
            if refused:
                return refused
            with self.lock:
                try:
                    found = search(self.orders.values(), request.args)
                except Refusal as exc:
                    return self.error(exc.status, exc.code, exc.message)
                return self._page(found, copy.deepcopy)

        @app.get(f"{base}/orders/<order_id>")
        def get_order(store_id: str, order_id: str) -> Any:
            refused = self._guard(store_id, "read_orders")
            if refused:
                return refused
            with self.lock:
                if order_id not in self.orders:
                    return self.error(404, "ORDER_NOT_FOUND", "Order with specified ID was not found.")
                return copy.deepcopy(self.orders[order_id])

        @app.post(f"{base}/orders")
        def create_order(store_id: str) -> Any:
            refused = self._guard(store_id, "create_orders")
            if refused:
                return refused
            body, bad = self._json_body()
            if bad:
                return bad
            with self.lock:
                try:
                    created = self._create_order(body)
                except Refusal as exc:
                    return self.error(exc.status, exc.code, exc.message)
                stall = self._stalled_creates > 0
                self._stalled_creates -= int(stall)
            if stall:  # committed, but the answer comes only after the client gave up
                self._release.wait(10)
            return created

        @app.put(f"{base}/orders/<order_id>")
        def update_order(store_id: str, order_id: str) -> Any:
            refused = self._guard(store_id, "update_orders")
            if refused:
                return refused
            body, bad = self._json_body()
            if bad:
                return bad
            with self.lock:
                if order_id not in self.orders:
                    return self.error(404, "ORDER_NOT_FOUND", "Order with specified ID was not found.")
                try:
                    return self._update_order(self.orders[order_id], body)
                except Refusal as exc:
                    return self.error(exc.status, exc.code, exc.message)

        @app.get(f"{base}/products")
        def search_products(store_id: str) -> Any:
            refused = self._guard(store_id, "read_catalog")
            if refused:
                return refused
            with self.lock:
                try:
                    found = self._search_products(request.args)
                except Refusal as exc:
                    return self.error(exc.status, exc.code, exc.message)
                return self._page(found, self._product_json)

        @app.get(f"{base}/products/<product_id>")
        def get_product(store_id: str, product_id: str) -> Any:
            refused = self._guard(store_id, "read_catalog")
            if refused:
                return refused
            with self.lock:
                product = self.products.get(int(product_id)) if product_id.isdigit() else None
                if product is None:
                    return self.error(404, "PRODUCT_NOT_FOUND", "Product with specified ID was not found.")
                return self._product_json(product)

        @app.get("/api/oauth/authorize")
        def oauth_authorize() -> Any:
            app_ = self.installed_app
            args = request.args
            if app_ is None or args.get("client_id") != app_.client_id or args.get("response_type") != "code":
                return self.error(400, "WRONG_PARAMETER", "Unknown client_id or response_type")
            redirect_uri = args.get("redirect_uri", "")
            if not app_.redirect_uri or not redirect_uri.startswith(app_.redirect_uri):
                return self.error(400, "WRONG_PARAMETER", "redirect_uri does not match the app's registered address")
            scopes = frozenset(args.get("scope", "").replace("+", " ").split()) | {"read_store_profile"}
            if not scopes <= app_.scopes:
                return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}error=invalid_scope")
            code = self.authorize(scopes, redirect_uri)
            return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode({'code': code})}")

        @app.get("/api/oauth/token")
        def oauth_token() -> Any:
            return self._exchange(request.args)

    # -- route bodies ----------------------------------------------------------------------
    def _profile_json(self) -> dict[str, Any]:
        return {
            "generalInfo": {"storeId": self.store_id, "storeUrl": f"https://store{self.store_id}.company.site"},
            "account": {"accountName": "Demo Merchant", "accountEmail": "merchant@example.com", "whiteLabel": False},
            "settings": {"closed": False, "storeName": self.store_name},
            "formatsAndUnits": {"currency": self.currency, "currencyPrefix": "", "currencySuffix": " €",
                                "currencyPrecision": 2, "weightUnit": self.weight_unit, "dimensionsUnit": "CM",
                                "timezone": "Europe/Berlin"},
            # 2020 "Get store profile" example: taxSettings {automaticTaxEnabled, taxes[Taxes]}.
            "taxSettings": {"automaticTaxEnabled": self.automatic_taxes, "taxes": [
                {"id": tax_id, "name": name, "enabled": True, "includeInPrice": self.taxes_included,
                 "useShippingAddress": True, "taxShipping": True, "appliedByDefault": False,
                 "defaultTax": float(rate), "rules": []} for tax_id, name, rate in VAT_TAXES]},
        }

    def _product_json(self, product: Product) -> dict[str, Any]:
        return product.to_json(self.taxes_included and not self.automatic_taxes, self.combination_prices)

    def _search_products(self, args: Mapping[str, str]) -> list[Product]:
        products = sorted(self.products.values(), key=lambda p: p.id)
        sku = args.get("sku")
        if sku:  # "exact match on product or variation SKU, and the other filters are ignored"
            return [p for p in products if sku in p.skus()]
        if args.get("productId"):
            wanted = {int(v) for v in args["productId"].split(",") if v.strip().isdigit()}
            products = [p for p in products if p.id in wanted]
        if args.get("keyword"):
            needle = args["keyword"].casefold()
            products = [p for p in products if needle in p.name.casefold() or any(needle in s.casefold()
                                                                                  for s in p.skus())]
        if args.get("enabled") in ("true", "false"):
            products = [p for p in products if p.enabled == (args["enabled"] == "true")]
        if args.get("updatedFrom"):
            since = parse_time(args["updatedFrom"], "updatedFrom")
            products = [p for p in products if int(p.updated.timestamp()) >= since]
        if args.get("updatedTo"):
            until = parse_time(args["updatedTo"], "updatedTo")
            products = [p for p in products if int(p.updated.timestamp()) <= until]
        sort = args.get("sortBy", "RELEVANCE")
        if sort == "UPDATED_TIME_ASC":
            products.sort(key=lambda p: (p.updated, p.id))
        elif sort == "UPDATED_TIME_DESC":
            products.sort(key=lambda p: (p.updated, p.id), reverse=True)
        elif sort == "NAME_ASC":
            products.sort(key=lambda p: p.name)
        return products

    def _check_items(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if "productId" not in item:
                continue
            product = self.products.get(int(item["productId"]))
            if product is None:
                raise Refusal(404, "PRODUCT_NOT_FOUND", "Product with specified ID was not found.")
            target: Product | Combination | None = product
            if item.get("combinationId"):
                target = product.combination(int(item["combinationId"]))
                if target is None:
                    raise Refusal(404, "COMBINATION_NOT_FOUND", "Product combination with specified ID was not found.")
            if self.refuse_unavailable_items:
                if not product.enabled:
                    raise Refusal(400, "WRONG_PARAMETER", f"Product {product.id} is disabled")
                stock = target.quantity if target is not None else None
                if stock is not None and stock < int(item.get("quantity") or 0):
                    raise Refusal(400, "WRONG_PARAMETER", f"Product {product.id} is out of stock")

    def _create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        check_types(body)
        check_required(body)
        check_statuses(body)
        items = body.get("items") or []
        self._check_items(items)
        now = self.clock.now()
        order = copy.deepcopy(body)
        order_id = self._new_order_id()
        internal_id = self._next_internal_id
        self._next_internal_id += 1
        created_ts = int(now.timestamp())
        if isinstance(body.get("createDate"), str):
            with contextlib.suppress(Refusal):
                created_ts = parse_time(body["createDate"], "createDate")
        for item in order.get("items") or []:
            item["id"] = self._next_item_id
            self._next_item_id += 1
        extra = order.get("orderExtraFields") or []
        order.update({
            "id": order_id, "internalId": internal_id, "orderNumber": internal_id, "vendorOrderNumber": order_id,
            "createDate": ecwid_date(now.fromtimestamp(created_ts, tz=now.tzinfo)),
            "updateDate": ecwid_date(now), "createTimestamp": created_ts, "updateTimestamp": int(now.timestamp()),
            "refundedAmount": 0, "hidden": False,
            "extraFields": {str(f["id"]): str(f.get("value", "")) for f in extra},
        })
        self.orders[order_id] = order
        self._event("order.created", internal_id, {"orderId": order_id, "newPaymentStatus": order["paymentStatus"],
                                                    "newFulfillmentStatus": order["fulfillmentStatus"]})
        if order["paymentStatus"] == "PAID":
            self._move_stock(order, -1)
            self._stock_moved.add(order_id)
        return {"id": internal_id, "orderid": order_id}

    def _update_order(self, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        check_types(body)
        check_statuses(body)
        protected = {"id", "internalId", "orderNumber", "vendorOrderNumber", "createTimestamp", "updateTimestamp"}
        old = (order["paymentStatus"], order["fulfillmentStatus"])
        if "items" in body:
            self._check_items(body["items"])
        for key, value in body.items():
            if key in protected:
                continue
            order[key] = copy.deepcopy(value)  # "items", when sent, replaces every item
        for item in order.get("items") or []:
            if "id" not in item:
                item["id"] = self._next_item_id
                self._next_item_id += 1
        self._after_payment_change(order, old[0])
        self._touch_order(order, old)
        return {"updateCount": 1}

    def _exchange(self, args: Mapping[str, str]) -> Any:
        app_ = self.installed_app
        code = args.get("code", "")
        if app_ is None or args.get("client_id") != app_.client_id or \
                not secrets.compare_digest(args.get("client_secret", ""), app_.client_secret):
            return self.error(400, "WRONG_PARAMETER", "Invalid client credentials")
        if args.get("grant_type") != "authorization_code" or code not in self._codes:
            return self.error(400, "WRONG_PARAMETER", "Invalid or expired code")
        scopes, issued, redirect_uri = self._codes[code]
        if self.clock.now() - issued > CODE_LIFETIME or (redirect_uri and args.get("redirect_uri") != redirect_uri):
            return self.error(400, "WRONG_PARAMETER", "Invalid or expired code")
        # "Exchanging the same code a second time disables the previously issued token."
        for earlier in [t for t, c in self._code_tokens.items() if c == code]:
            self.tokens.pop(earlier, None)
            del self._code_tokens[earlier]
        token = self.issue_token(scopes)
        self._code_tokens[token] = code
        return {"access_token": token, "token_type": "bearer", "scope": " ".join(sorted(scopes)),
                "store_id": self.store_id, "email": "merchant@example.com"}


def _default_statuses() -> list[dict[str, Any]]:
    """Ecwid's status list as a new store has it: built-ins enabled, custom ones disabled and unnamed."""
    statuses = []
    for group, values in (("PAYMENT_STATUS", PAYMENT_STATUSES), ("FULFILLMENT_STATUS", FULFILLMENT_STATUSES)):
        for status_id in values:
            custom = status_id.startswith("CUSTOM_")
            entry: dict[str, Any] = {"statusId": status_id, "orderStatusType": group, "enabled": not custom,
                                     "sendNotificationWhenStatusIsAssigned": True}
            if not custom:
                entry["defaultStatus"] = True
            statuses.append(entry)
    return statuses
