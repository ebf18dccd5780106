"""The Magento REST emulator: routes, integration authentication, merchant actions.

Serves ``/rest/<store_code>/V1/...`` and ``/rest/V1/...`` for the operations
the adapter uses (see the README's operation table). Authentication is an
integration's: OAuth 1.0a signatures (HMAC-SHA256 or -SHA1) are verified with
its four keys; its access token as ``Bearer`` is accepted only when
:attr:`MagentoEmulator.bearer_enabled` (off by default since 2.4.4). Refusals
and missing ACL resources answer 401 ``"The consumer isn't authorized to access
%resources."``. Fault switches come from :class:`~marketbridge.testing.Emulator`.
"""
from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Callable, Iterable

from flask import Flask, Response, request
from oauthlib.oauth1.rfc5849 import signature

from marketbridge.clock import Clock
from marketbridge.testing import Emulator

from marketbridge_magento.emulator import criteria
from marketbridge_magento.emulator.shop import ApiError, MagentoShop, StatusDef, seed_catalogue

UNAUTHORIZED = "The consumer isn't authorized to access %resources."
VERIFIERS: dict[str, Callable[..., bool]] = {
    "HMAC-SHA256": signature.verify_hmac_sha256,
    "HMAC-SHA1": signature.verify_hmac_sha1,
}
ALL_RESOURCES = frozenset({
    "Magento_Backend::store", "Magento_Sales::sales", "Magento_Sales::shipment", "Magento_Sales::ship",
    "Magento_Cart::manage", "Magento_Catalog::products", "Magento_InventoryApi::source",
    "Magento_InventoryApi::stock", "Magento_InventoryInStorePickupApi::notify_orders_are_ready_for_pickup",
})


def _drop_nulls(value: Any) -> Any:
    """Magento's REST output leaves out null fields."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


class MagentoEmulator(Emulator):
    """A Magento 2.4 store with one website (``base``), store view ``default`` and stock 1.

    Credentials are the integration's four keys; tests pass the same values to
    the adapter's secrets. ``granted`` is the integration's ACL resources.
    """

    name = "magento"

    def __init__(self, clock: Clock | None = None, *, consumer_key: str = "mb-consumer-key",
                 consumer_secret: str = "mb-consumer-secret", access_token: str = "mb-access-token",
                 access_token_secret: str = "mb-access-secret", bearer_enabled: bool = False) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.bearer_enabled = bearer_enabled
        self.granted: set[str] = set(ALL_RESOURCES)
        self.verifier = "mb-oauth-verifier"
        self._request_tokens: dict[str, str] = {}
        super().__init__(clock)
        self.shop = MagentoShop(self.clock)

    # -- demo data and merchant actions ---------------------------------------------
    def seed_demo(self) -> None:
        """Load the shared demo catalogue, a pickup store ``paris-store`` and its stock (K2)."""
        with self.lock:
            self.shop.sources["paris-store"] = {
                "source_code": "paris-store", "name": "Paris Store", "enabled": True, "country_id": "FR",
                "postcode": "75003", "city": "Paris", "street": "12 Rue de Bretagne",
                "extension_attributes": {"is_pickup_location_active": True, "frontend_name": "Marketbridge Paris"},
            }
            self.shop.stock_sources[1].append("paris-store")
            seed_catalogue(self.shop)
            for sku, qty in (("MB-MUG-BLUE", 6), ("MB-CANDLE", 12)):
                self.shop.source_items[(sku, "paris-store")] = {"sku": sku, "source_code": "paris-store",
                                                                "quantity": float(qty), "status": 1}

    def ship_order(self, order_id: int, *, carrier_code: str = "custom", title: str = "DHL",
                   tracking_number: str | None = None, items: dict[str, int] | None = None,
                   source_code: str | None = None) -> int:
        """The merchant ships (part of) an order in the admin; returns the shipment id.

        ``items`` maps SKUs to quantities (default: everything left to ship).
        """
        with self.lock:
            order = self.shop.order(order_id)
            body: dict[str, Any] = {}
            if items:
                by_sku = {i["sku"]: i["item_id"] for i in order["items"]}
                body["items"] = [{"order_item_id": by_sku[sku], "qty": qty} for sku, qty in items.items()]
            if tracking_number:
                body["tracks"] = [{"track_number": tracking_number, "title": title, "carrier_code": carrier_code}]
            if source_code:
                body["arguments"] = {"extension_attributes": {"source_code": source_code}}
            return self.shop.ship(order_id, body)

    def add_track(self, shipment_id: int, *, tracking_number: str, carrier_code: str = "custom",
                  title: str = "DHL") -> None:
        """The merchant adds a tracking number to an existing shipment."""
        with self.lock:
            self.shop.add_track(shipment_id, carrier_code, title, tracking_number)

    def change_status(self, order_id: int, status: str, comment: str = "") -> None:
        """The merchant picks a status of the current state under "Comments History" and submits."""
        with self.lock:
            self.shop.add_comment(order_id, {"statusHistory": {
                "comment": comment, "status": status, "is_customer_notified": 0, "is_visible_on_front": 0,
                "parent_id": order_id}})

    def invoice_order(self, order_id: int) -> None:
        """The merchant invoices the whole order (drives ``processing``/``complete``)."""
        with self.lock:
            self.shop.invoice(order_id)

    def cancel_order(self, order_id: int) -> bool:
        with self.lock:
            return self.shop.cancel(order_id)

    def set_stock(self, sku: str, quantity: float, source_code: str = "default") -> None:
        """The merchant edits a source quantity in the product form and saves the product."""
        with self.lock:
            product = self.shop.product(sku)
            self.shop.source_items[(product["sku"], source_code)] = {
                "sku": product["sku"], "source_code": source_code, "quantity": float(quantity),
                "status": 1 if quantity > 0 else 0}
            product["updated_at"] = self.shop.now()

    def set_price(self, sku: str, price: Decimal, *, special_price: Decimal | None = None,
                  special_from: str | None = None, special_to: str | None = None) -> None:
        """The merchant edits the price and special price (Advanced Pricing, dates ``YYYY-MM-DD``) and saves."""
        with self.lock:
            self.shop.set_price(sku, price, special_price=special_price, special_from=special_from,
                                special_to=special_to)

    def set_product_enabled(self, sku: str, enabled: bool) -> None:
        with self.lock:
            product = self.shop.product(sku)
            product["status"] = 1 if enabled else 2
            product["updated_at"] = self.shop.now()

    def add_status(self, code: str, label: str, state: str) -> None:
        """The merchant creates a status (Stores > Order Status) and assigns it to ``state``."""
        with self.lock:
            self.shop.statuses.append(StatusDef(code, label, state))

    def place_web_order(self, sku: str, qty: int, email: str = "web.buyer@example.com") -> int:
        """A customer buys in the web shop (reserves stock like any checkout)."""
        with self.lock:
            cart_id = self.shop.create_cart()
            self.shop.add_cart_item(cart_id, {"cartItem": {"sku": sku, "qty": qty, "quote_id": str(cart_id)}})
            address = {"firstname": "Web", "lastname": "Buyer", "street": ["1 Main St"], "city": "Berlin",
                       "postcode": "10115", "country_id": "DE", "telephone": "030 1234", "email": email}
            self.shop.save_shipping_information(cart_id, {"addressInformation": {
                "shipping_address": address, "billing_address": address,
                "shipping_carrier_code": "flatrate", "shipping_method_code": "flatrate"}})
            return self.shop.place_order(cart_id, {"paymentMethod": {"method": "checkmo"}})

    def activation_form(self, store_base_url: str) -> dict[str, str]:
        """What Magento POSTs to the integration's endpoint when the merchant clicks Activate."""
        return {"oauth_consumer_key": self.consumer_key, "oauth_consumer_secret": self.consumer_secret,
                "store_base_url": store_base_url, "oauth_verifier": self.verifier}

    # -- plumbing -----------------------------------------------------------------------
    def _authorized(self) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return self.bearer_enabled and header[len("Bearer "):] == self.access_token
        oauth = self._signed_oauth(header, self.access_token_secret)
        return oauth is not None and oauth.get("oauth_token") == self.access_token

    def _signed_oauth(self, header: str, token_secret: str) -> dict[str, str] | None:
        """The OAuth parameters of a request correctly signed by the integration's consumer, else ``None``."""
        if not header.startswith("OAuth "):
            return None
        oauth = dict(signature.collect_parameters(headers={"Authorization": header}, with_realm=False,
                                                   exclude_oauth_signature=False))
        verify = VERIFIERS.get(oauth.get("oauth_signature_method", ""))
        if verify is None or oauth.get("oauth_consumer_key") != self.consumer_key:
            return None
        params = signature.collect_parameters(uri_query=request.environ.get("QUERY_STRING", ""),
                                              headers={"Authorization": header}, exclude_oauth_signature=True,
                                              with_realm=False)
        signed = SimpleNamespace(params=params, uri=request.base_url, http_method=request.method,
                                 signature=oauth.get("oauth_signature", ""))
        return oauth if verify(signed, self.consumer_secret, token_secret) else None

    def _token_request(self) -> Response:
        """``POST /oauth/token/request``: a request token for the consumer."""
        if self._signed_oauth(request.headers.get("Authorization", ""), "") is None:
            return Response("oauth_problem=signature_invalid", status=401, content_type="text/plain")
        token, secret = f"req-{len(self._request_tokens) + 1}", f"req-secret-{len(self._request_tokens) + 1}"
        self._request_tokens[token] = secret
        return Response(f"oauth_token={token}&oauth_token_secret={secret}", content_type="text/plain")

    def _token_access(self) -> Response:
        """``POST /oauth/token/access``: the access token, for a request token and the verifier."""
        header = request.headers.get("Authorization", "")
        token = dict(signature.collect_parameters(headers={"Authorization": header}, with_realm=False)
                     ).get("oauth_token", "")
        oauth = self._signed_oauth(header, self._request_tokens.get(token, ""))
        if oauth is None or token not in self._request_tokens or oauth.get("oauth_verifier") != self.verifier:
            return Response("oauth_problem=token_rejected", status=401, content_type="text/plain")
        del self._request_tokens[token]
        return Response(f"oauth_token={self.access_token}&oauth_token_secret={self.access_token_secret}",
                        content_type="text/plain")

    def _answer(self, resource: str, handler: Callable[[], Any]) -> Response:
        if not self._authorized() or resource not in self.granted:
            return self._error(ApiError(401, UNAUTHORIZED, {"resources": resource}))
        try:
            with self.lock:
                result = handler()
        except ApiError as exc:
            return self._error(exc)
        return Response(json.dumps(_drop_nulls(result), default=_json_default), status=200,
                        content_type="application/json")

    @staticmethod
    def _error(exc: ApiError) -> Response:
        return Response(json.dumps(exc.body()), status=exc.status, content_type="application/json")

    def _search(self, rows: Iterable[Any], getter: Callable[[Any, str], Any] | None = None,
                view: Callable[[Any], Any] = lambda row: row) -> dict[str, Any]:
        crit = criteria.parse(request.args)
        page, total = criteria.apply(list(rows), crit, getter or (lambda row, name: row.get(name)))
        return {"items": [view(r) for r in page], "search_criteria": crit.echo(), "total_count": total}

    def routes(self, app: Flask) -> None:
        app.add_url_rule("/oauth/token/request", "token_request", lambda: self._token_request(), methods=["POST"])
        app.add_url_rule("/oauth/token/access", "token_access", lambda: self._token_access(), methods=["POST"])
        def route(rule: str, methods: list[str], resource: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
            def register(view: Callable[..., Any]) -> Callable[..., Any]:
                def endpoint(**kwargs: Any) -> Response:
                    kwargs.pop("store_code", None)
                    return self._answer(resource, lambda: view(**kwargs))

                name = f"{view.__name__}_{'_'.join(methods)}"
                app.add_url_rule(f"/rest/<store_code>/V1{rule}", name, endpoint, methods=methods)
                app.add_url_rule(f"/rest/V1{rule}", f"{name}_default", endpoint, methods=methods)
                return view
            return register

        shop = lambda: self.shop  # noqa: E731 - the shop is created after routes are registered

        def body() -> Any:
            return request.get_json(silent=True)

        @route("/store/storeConfigs", ["GET"], "Magento_Backend::store")
        def store_configs() -> Any:
            return [{"id": 1, "code": "default", "website_id": 1, "locale": "en_US",
                     "base_currency_code": shop().base_currency, "default_display_currency_code": shop().base_currency,
                     "timezone": shop().timezone, "weight_unit": shop().weight_unit,
                     "base_url": request.host_url, "base_link_url": request.host_url,
                     "base_static_url": request.host_url + "static/", "base_media_url": request.host_url + "media/",
                     "secure_base_url": request.host_url, "secure_base_link_url": request.host_url,
                     "secure_base_static_url": request.host_url + "static/",
                     "secure_base_media_url": request.host_url + "media/"}]

        @route("/products", ["GET"], "Magento_Catalog::products")
        def products() -> Any:
            return self._search(shop().products.values(), shop().product_field, shop().product_view)

        @route("/inventory/sources", ["GET"], "Magento_InventoryApi::source")
        def sources() -> Any:
            return self._search(shop().sources.values())

        @route("/inventory/source-items", ["GET"], "Magento_InventoryApi::source")
        def source_items() -> Any:
            return self._search(shop().source_items.values())

        @route("/inventory/get-product-salable-quantity/<path:sku>/<int:stock_id>", ["GET"],
               "Magento_InventoryApi::stock")
        def salable(sku: str, stock_id: int) -> Any:
            return shop().salable(sku, stock_id)

        @route("/carts/", ["POST"], "Magento_Cart::manage")
        def create_cart() -> Any:
            return shop().create_cart()

        @route("/carts/<int:cart_id>/items", ["POST"], "Magento_Cart::manage")
        def add_item(cart_id: int) -> Any:
            return shop().add_cart_item(cart_id, body())

        @route("/carts/<int:cart_id>/shipping-information", ["POST"], "Magento_Cart::manage")
        def shipping_information(cart_id: int) -> Any:
            return shop().save_shipping_information(cart_id, body())

        @route("/carts/<int:cart_id>/order", ["PUT"], "Magento_Cart::manage")
        def place(cart_id: int) -> Any:
            return shop().place_order(cart_id, body())

        @route("/orders", ["GET"], "Magento_Sales::sales")
        def orders() -> Any:
            return self._search(shop().orders.values())

        @route("/orders", ["POST"], "Magento_Sales::sales")
        def save_order() -> Any:
            return shop().save_order(body())

        @route("/orders/<int:order_id>", ["GET"], "Magento_Sales::sales")
        def order(order_id: int) -> Any:
            return shop().order(order_id)

        @route("/orders/<int:order_id>/comments", ["POST"], "Magento_Sales::sales")
        def comment(order_id: int) -> Any:
            return shop().add_comment(order_id, body())

        @route("/orders/<int:order_id>/cancel", ["POST"], "Magento_Sales::sales")
        def cancel(order_id: int) -> Any:
            return shop().cancel(order_id)

        @route("/orders/<int:order_id>/hold", ["POST"], "Magento_Sales::sales")
        def hold(order_id: int) -> Any:
            return shop().hold(order_id)

        @route("/orders/<int:order_id>/unhold", ["POST"], "Magento_Sales::sales")
        def unhold(order_id: int) -> Any:
            return shop().unhold(order_id)

        @route("/order/<int:order_id>/ship", ["POST"], "Magento_Sales::ship")
        def ship(order_id: int) -> Any:
            return shop().ship(order_id, body())

        @route("/order/notify-orders-are-ready-for-pickup", ["POST"],
               "Magento_InventoryInStorePickupApi::notify_orders_are_ready_for_pickup")
        def ready_for_pickup() -> Any:
            return shop().notify_ready_for_pickup(body())

        @route("/shipments", ["GET"], "Magento_Sales::shipment")
        def shipments() -> Any:
            return self._search(shop().shipments.values())

        @route("/shipment/<int:shipment_id>", ["GET"], "Magento_Sales::shipment")
        def shipment(shipment_id: int) -> Any:
            found = shop().shipments.get(shipment_id)
            if found is None:
                raise ApiError(404, "The entity that was requested doesn't exist. Verify the entity and try again.")
            return found


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
