"""Finding, creating and updating Ecwid orders (O1, C9, S1).

* :func:`find_order` – ``GET /orders?keywords=…`` (Ecwid searches the external
  transaction id, among other fields), then an exact comparison of
  ``externalTransactionId`` with the reference. Ecwid has no idempotency key and
  no uniqueness check, so this look-up before every create is what makes the
  import exactly-once.
* :func:`create_order` – ``POST /orders``, one order per call; answers
  ``{"id": <deprecated number>, "orderid": "XJ12H"}``.
* :func:`set_status` – ``PUT /orders/{orderId}`` with only the changed status field.
"""
from __future__ import annotations

from typing import Any

from marketbridge.adapters import OrderDraft, ShopOrderRef
from marketbridge.errors import OrderRejected, TemporaryFailure

from marketbridge_ecwid.client import EcwidClient, expect_object
from marketbridge_ecwid.errors import EcwidError
from marketbridge_ecwid.order_mapping import build_order
from marketbridge_ecwid.products import fetch_products, parse_product_id
from marketbridge_ecwid.profile import store_profile
from marketbridge_ecwid.vocabulary import field_of


def search_term(external_ref: str) -> str:
    """The ``keywords`` value for a reference: its marketplace order id.

    ``amazon:302-1234567-1234567`` is searched as ``302-1234567-1234567``: a
    colon may be read as search syntax by Ecwid's full-text search, and the
    exact comparison afterwards makes the shorter term safe.
    """
    return external_ref.split(":", 1)[-1]


def find_order(client: EcwidClient, external_ref: str) -> ShopOrderRef | None:
    """The order whose ``externalTransactionId`` is exactly ``external_ref``, or ``None``."""
    for order in client.pages("/orders", operation="search_orders", what="look the order up",
                              params={"keywords": search_term(external_ref)}, max_pages=10):
        if order.get("externalTransactionId") == external_ref and order.get("id"):
            return ShopOrderRef(order_id=str(order["id"]), number=str(order["id"]))
    return None


def _rejection(error: EcwidError, draft: OrderDraft) -> OrderRejected:
    """Plain words for Ecwid refusing ``POST /orders`` (400, 404, 409, 422)."""
    order = draft.order.marketplace_order_id
    if error.code == "PRODUCT_NOT_FOUND" or error.code == "COMBINATION_NOT_FOUND":
        return OrderRejected(
            f"Ecwid refused order {order}: a product or variation of the order no longer exists in the store "
            f"({error.describe()}). Restore it or correct its identifier; the order is imported once it matches.",
            code="ecwid_product_not_found", ecwid_code=error.code)
    if error.message and "absent" in error.message:
        return OrderRejected(
            f"Ecwid refused order {order} because a required field is missing ({error.describe()}). Check that "
            "the marketplace order has a buyer address and product names, then release the order.",
            code="ecwid_field_missing", ecwid_code=error.code)
    return OrderRejected(
        f"Ecwid refused order {order} ({error.describe()}). Correct what Ecwid names (a disabled or sold-out "
        "product, a rejected field) and release the order.", code="ecwid_order_refused", ecwid_code=error.code)


def create_order(client: EcwidClient, draft: OrderDraft) -> ShopOrderRef:
    """Create ``draft`` in Ecwid and return the new order's id.

    Reads the store profile (currency, weight unit) and the live products of the
    lines (one ``GET /products?productId=…``), builds the body
    (:func:`~marketbridge_ecwid.order_mapping.build_order`) and posts it.
    A timeout, dropped connection, 5xx or garbled answer raises
    ``TemporaryFailure``: the create may have happened, and the retry's
    :func:`find_order` finds it.
    """
    profile = store_profile(client)
    ids = [ref.product_id for ref in (parse_product_id(p.product.product_id) for p in draft.lines) if ref]
    products = fetch_products(client, ids)
    body = build_order(draft, products, profile)
    answer = client.call("POST", "/orders", operation="create_order", what="create the order", body=body)
    if answer.error is not None:
        raise _rejection(answer.error, draft)
    created = expect_object(answer.body, client.what)
    order_id = created.get("orderid") or created.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise TemporaryFailure(f"{client.what} created the order but its answer carries no order id; "
                               "the order is looked up again before any new attempt.", code="malformed_response")
    return ShopOrderRef(order_id=order_id, number=order_id)


def set_status(client: EcwidClient, order: ShopOrderRef, status: str) -> None:
    """``PUT /orders/{orderId}`` with ``paymentStatus`` or ``fulfillmentStatus`` = ``status``.

    Ecwid enforces no transitions and accepts the value an order already has,
    so repeating a status is a no-op. Raises ``OrderRejected`` for an unknown
    status, a deleted order or a refused value (e.g. a disabled custom status).
    """
    field = field_of(status)
    if field is None:
        raise OrderRejected(f"{status!r} is not an Ecwid order status; check the status mapping of the connection.",
                            code="ecwid_unknown_status", status=status)
    body: dict[str, Any] = {field: status}
    answer = client.call("PUT", f"/orders/{order.order_id}", operation="update_order",
                         what=f"change the status of order {order.order_id}", body=body)
    if answer.error is None:
        return
    if answer.status == 404:
        raise OrderRejected(f"Order {order.order_id} no longer exists in Ecwid (it was probably deleted), so its "
                            f"status cannot be set to {status}.", code="ecwid_order_not_found")
    raise OrderRejected(f"Ecwid refused to set order {order.order_id} to {status} ({answer.error.describe()}). "
                        "If it is a custom status, enable it in Ecwid admin → Settings → Order statuses.",
                        code="ecwid_status_refused", status=status)
