"""Creating marketplace orders in Magento exactly once (O1–O3, C9).

Flow (specs/magento/NOTES.md, "create order (import)", quote flow):

1. ``GET /V1/orders`` by ``customer_email`` = the order's derived address: an
   order whose checkout answer was lost (timeout, garbled body) is found here
   and only finished, never placed again.
2. ``POST /V1/carts/`` → ``POST /V1/carts/{id}/items`` per line →
   ``POST /V1/carts/{id}/shipping-information`` → ``PUT /V1/carts/{id}/order``.
   Magento's checkout checks that each product exists, is enabled and salable
   and places the MSI reservation, so stock moves like for a web-shop order.
3. ``POST /V1/orders/{id}/comments``: the comment naming the marketplace (O2).
4. ``POST /V1/orders`` partial save: the marketplace's amounts replace the
   catalogue figures of the checkout, ``ext_order_id`` carries the reference,
   the marker goes into ``shipping_description``, the initial status is set (O3).

:func:`find_order` looks for ``ext_order_id`` only, which is written last: an
order found there is complete.
"""
from __future__ import annotations

from typing import Any, Mapping

from marketbridge.adapters import OrderDraft, ShopOrderRef
from marketbridge.errors import OrderRejected

from marketbridge_magento.client import MagentoClient, ShopRefused
from marketbridge_magento.order_mapping import (
    cart_item,
    final_amounts,
    marker_comment,
    shipping_information,
    synthetic_email,
)
from marketbridge_magento.search import Filter, search_params
from marketbridge_magento.statuses import INITIAL_STATES, StatusBook


def find_order(client: MagentoClient, external_ref: str) -> ShopOrderRef | None:
    """The order whose ``ext_order_id`` is exactly ``external_ref`` (``GET /V1/orders``, operation GetV1Orders)."""
    found = client.get("/orders", search_params([[Filter("ext_order_id", external_ref)]],
                                                sort=[("entity_id", "ASC")], page_size=20))
    for order in _items(found):
        if order.get("ext_order_id") == external_ref:  # MySQL compares case-insensitively; we do not
            return ref_of(order)
    return None


def ref_of(order: Mapping[str, Any]) -> ShopOrderRef:
    return ShopOrderRef(order_id=str(order["entity_id"]), number=order.get("increment_id"))


class OrderCreator:
    """Runs the create flow for one draft; every Magento refusal becomes an ``OrderRejected``."""

    def __init__(self, client: MagentoClient, statuses: StatusBook) -> None:
        self.client = client
        self.settings = client.settings
        self.statuses = statuses

    def create(self, draft: OrderDraft, base_currency: str) -> ShopOrderRef:
        email = synthetic_email(draft.external_ref, self.settings.email_domain)
        placed = self._placed_before(email)
        if placed is not None and placed.get("ext_order_id") == draft.external_ref:
            return ref_of(placed)
        if placed is None:
            self._check_currency(draft, base_currency)
            order_id = self._checkout(draft, email)
            placed = self.client.get(f"/orders/{order_id}")
        self._comment(placed, draft)
        status = self._initial_status(draft)
        try:
            body = final_amounts(draft, placed, status)
        except KeyError as exc:
            raise OrderRejected(
                f"Magento placed order {placed.get('increment_id')} without product {exc.args[0]}; "
                "check the order in Magento and cancel it before releasing this one.",
                code="line_missing", sku=str(exc.args[0])) from None
        self._refusals("saving the marketplace's amounts", lambda: self.client.post("/orders", body))
        return ref_of(placed)

    # -- steps ----------------------------------------------------------------
    def _placed_before(self, email: str) -> dict[str, Any] | None:
        found = self.client.get("/orders", search_params([[Filter("customer_email", email)]],
                                                         sort=[("entity_id", "ASC")], page_size=20))
        for order in _items(found):
            if str(order.get("customer_email", "")).lower() == email.lower():
                return dict(order)
        return None

    def _check_currency(self, draft: OrderDraft, base_currency: str) -> None:
        if not base_currency:
            raise OrderRejected(f"Magento has no store view with code '{self.settings.store_code}'. Enter the code "
                                "shown in Stores > All Stores in the shop settings.", code="store_view_unknown")
        if draft.order.currency != base_currency:
            raise OrderRejected(
                f"The marketplace order is in {draft.order.currency}, but the Magento store view "
                f"'{self.settings.store_code}' uses {base_currency}. Marketbridge never converts amounts: enter a "
                f"store view in {draft.order.currency} in the connection settings.",
                code="currency_mismatch", currency=draft.order.currency, store_currency=base_currency)

    def _checkout(self, draft: OrderDraft, email: str) -> int:
        cart_id = int(self._refusals("starting a cart", lambda: self.client.post("/carts/")))
        for planned in draft.lines:
            sku = planned.product.sku or ""
            self._add_item(cart_id, sku, planned.line.quantity, planned.line.title)
        address = shipping_information(draft, self.settings, email)
        self._refusals("checking the shipping address and method",
                       lambda: self.client.post(f"/carts/{cart_id}/shipping-information", address))
        order_id = self._refusals("placing the order", lambda: self.client.put(
            f"/carts/{cart_id}/order", {"paymentMethod": {"method": self.settings.payment_method}}))
        return int(order_id)

    def _add_item(self, cart_id: int, sku: str, quantity: int, title: str) -> None:
        try:
            self.client.post(f"/carts/{cart_id}/items", cart_item(cart_id, sku, quantity))
        except ShopRefused as exc:
            raise product_refusal(exc, sku, quantity, title) from None

    def _comment(self, placed: Mapping[str, Any], draft: OrderDraft) -> None:
        text = marker_comment(draft)
        if any(h.get("comment") == text for h in placed.get("status_histories") or []):
            return
        body = {"statusHistory": {"comment": text, "is_customer_notified": 0, "is_visible_on_front": 0,
                                  "parent_id": placed["entity_id"], "status": placed.get("status")}}
        self._refusals("adding the marketplace comment",
                       lambda: self.client.post(f"/orders/{placed['entity_id']}/comments", body))

    def _initial_status(self, draft: OrderDraft) -> tuple[str, str] | None:
        code = draft.initial_status
        if not code:
            return None
        state = self.statuses.state_of(code)
        if state not in INITIAL_STATES:
            raise OrderRejected(
                f"The connection's status for new orders, '{code}', is not a Magento status a new order can start "
                f"in: only statuses of the states New and Processing can (Complete and Closed follow from invoices "
                f"and shipments, Canceled and On Hold from Magento's own actions; custom statuses must be listed "
                f"with their state in the shop settings). Choose another initial status.",
                code="initial_status_invalid", status=code)
        return state, code

    def _refusals(self, step: str, call: Any) -> Any:
        try:
            return call()
        except ShopRefused as exc:
            raise OrderRejected(refusal_text(step, exc), code=refusal_code(exc), step=step) from None


def product_refusal(exc: ShopRefused, sku: str, quantity: int, title: str) -> OrderRejected:
    """Magento refused to put a product in the cart: say which product and what to do."""
    template = (exc.template + " " + exc.text).lower()
    if exc.status == 404 or "doesn't exist" in template:
        return OrderRejected(
            f"Magento has no product with SKU \"{sku}\" (line \"{title}\"). Create it or correct its SKU in "
            "Magento; the order is imported once it exists.", code="product_not_found", sku=sku)
    if "qty" in template or "quantity" in template or "stock" in template:
        return OrderRejected(
            f"Magento does not have {quantity} unit(s) of \"{sku}\" available to sell (Magento said: {exc.text}). "
            "Raise its quantity in Magento (Catalog > Products > Sources) or allow backorders; the order is "
            "imported at the next attempt.", code="out_of_stock", sku=sku)
    if "not available" in template or "disabled" in template:
        return OrderRejected(
            f"Product \"{sku}\" cannot be sold in this Magento store view: it is disabled, out of stock or not "
            f"assigned to the website (Magento said: {exc.text}). Enable it for the website and give it stock.",
            code="product_unavailable", sku=sku)
    return OrderRejected(f"Magento refused product \"{sku}\": {exc.text}", code="product_refused", sku=sku)


def refusal_code(exc: ShopRefused) -> str:
    template = (exc.template + " " + exc.text).lower()
    if "carrier" in template or "shipping method" in template:
        return "shipping_method_unavailable"
    if "payment method" in template:
        return "payment_method_unavailable"
    if "is required" in template or "invalid" in template:
        return "field_rejected"
    return "order_refused"


def refusal_text(step: str, exc: ShopRefused) -> str:
    code = refusal_code(exc)
    advice = {
        "shipping_method_unavailable": "Enable the shipping method set in the connection for the buyer's country "
                                       "(Stores > Configuration > Sales > Delivery Methods) or choose another one.",
        "payment_method_unavailable": "Enable the payment method set in the connection (Stores > Configuration > "
                                      "Sales > Payment Methods) or choose another offline method.",
        "field_rejected": "Correct the marketplace data or relax the rule in Magento (for a missing telephone: make "
                          "it optional or set a placeholder phone in the connection), then release the order.",
        "order_refused": "Fix the cause in Magento, then release the order.",
    }[code]
    return f"Magento refused the order while {step}: {exc.text}. {advice}"


def _items(found: Any) -> list[Mapping[str, Any]]:
    items = found.get("items") if isinstance(found, Mapping) else None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []
