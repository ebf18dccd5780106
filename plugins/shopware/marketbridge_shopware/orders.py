"""Finding and creating Marketbridge orders in Shopware, exactly once (O1, C9).

* :func:`find_order` looks the deterministic order id and the typed custom field
  ``marketbridge_external_ref`` up (``POST /api/search/order``, ``searchOrder``).
* :func:`create_order` checks the matched products once more, builds the payload
  (:mod:`marketbridge_shopware.order_mapping`) and sends ``POST /api/order?_response=detail``
  (``createOrder``). A duplicate-key answer means the order exists: it is looked up
  and returned. Timeouts and garbled answers raise ``TemporaryFailure`` so the
  engine retries, and the retry finds the order before creating anything.
"""
from __future__ import annotations

from typing import Any

from marketbridge.adapters import OrderDraft, ShopOrderRef
from marketbridge.errors import OrderRejected, TemporaryFailure

from marketbridge_shopware import custom_fields as cf
from marketbridge_shopware import errors as sw_errors
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.lookups import Lookups, SetupProblem
from marketbridge_shopware.order_mapping import OrderRefs, build_order_payload, order_id_for
from marketbridge_shopware.queries import any_of, equals

#: What a failed foreign key means for the merchant, by referenced table.
_MISSING_REFERENCE = {
    "product": "a product of this order no longer exists in the shop",
    "shipping_method": "the shipping method no longer exists",
    "payment_method": "the payment method no longer exists",
    "state_machine_state": "the configured initial status no longer exists",
    "country": "a country of the addresses no longer exists",
    "currency": "the currency no longer exists",
    "sales_channel": "the sales channel no longer exists",
}


def find_order(api: AdminApi, external_ref: str) -> ShopOrderRef | None:
    """The order carrying ``external_ref`` (by derived id or custom field), else ``None``."""
    rows = api.search("order", {
        "limit": 5,
        "filter": [any_of(equals("id", order_id_for(external_ref)), equals(f"customFields.{cf.EXTERNAL_REF}", external_ref))],
    }, "searchOrder")
    for row in rows:
        fields = row.get("customFields") if isinstance(row.get("customFields"), dict) else {}
        if fields.get(cf.EXTERNAL_REF) == external_ref and isinstance(row.get("id"), str):
            return ShopOrderRef(order_id=row["id"], number=row.get("orderNumber"))
    return None


def _check_products(api: AdminApi, draft: OrderDraft) -> None:
    """Refuse lines whose product vanished, was disabled, or is a clearance item without stock."""
    wanted: dict[str, int] = {}
    for planned in draft.lines:
        wanted[planned.product.product_id] = wanted.get(planned.product.product_id, 0) + planned.line.quantity
    rows = api.search("product", {"ids": sorted(wanted), "limit": len(wanted)}, "searchProduct", inherit=True)
    found = {str(r.get("id")): r for r in rows}
    for planned in draft.lines:
        product = found.get(planned.product.product_id)
        label = f"\"{planned.product.name}\" ({planned.product.sku or planned.product.product_id})"
        if product is None:
            raise OrderRejected(f"Product {label} no longer exists in Shopware. Restore it or correct the "
                                "marketplace listing; the order is imported once it matches.", code="product_not_found")
        if product.get("active") is False:
            raise OrderRejected(f"Product {label} is disabled in Shopware. Enable it to import the order.",
                                code="product_inactive")
        stock = product.get("stock")
        if product.get("isCloseout") and isinstance(stock, int) and stock < wanted[planned.product.product_id]:
            raise OrderRejected(
                f"Product {label} is marked \"clearance sale\" in Shopware and only {stock} are in stock, but the "
                f"order needs {wanted[planned.product.product_id]}. Raise the stock or untick clearance sale to "
                "import the order.", code="out_of_stock")


def resolve_refs(lookups: Lookups, draft: OrderDraft, payment_status: str) -> OrderRefs:
    """Every shop id the payload needs; ``OrderRejected`` when the shop lacks one."""
    order = draft.order
    try:
        channel = lookups.sales_channel()
        initial = (draft.initial_status or "order.open").split(".", 1)
        order_state = lookups.state("order", initial[-1]) if initial[0] in ("order", initial[-1]) else None
        if order_state is None:
            raise SetupProblem(f"The status \"{draft.initial_status}\" chosen for new orders does not exist in "
                               "Shopware's order states. Pick another initial status in the connection settings.")
        delivery_state = lookups.state("order_delivery", "open")
        transaction_state = lookups.state("order_transaction", payment_status) or lookups.state("order_transaction", "open")
        if delivery_state is None or transaction_state is None:
            raise SetupProblem("Shopware's delivery or payment state machine lacks its \"open\" state.")
        currency = lookups.currency(order.currency)
        addresses = [a for a in (order.shipping_address, order.billing_address) if a is not None]
        countries = lookups.countries({a.country_code for a in addresses})
        regions = {f"{a.country_code}|{a.region}": lookups.region(a.country_code, a.region) for a in addresses}
        shipping = lookups.shipping_method(order.shipping.service_level, order.shipping.method)
        return OrderRefs(
            sales_channel_id=str(channel["id"]), language_id=str(channel.get("languageId")), currency_id=currency.id,
            currency_factor=currency.factor, item_rounding=currency.item_rounding,
            total_rounding=currency.total_rounding, country_ids=countries, region_ids=regions,
            salutation_id=lookups.salutation(), payment_method_id=lookups.payment_method(),
            shipping_method_id=shipping, order_state_id=order_state.id, delivery_state_id=delivery_state.id,
            transaction_state_id=transaction_state.id)
    except SetupProblem as problem:
        raise OrderRejected(str(problem), code="shop_setup") from problem


def create_order(api: AdminApi, lookups: Lookups, draft: OrderDraft, payment_status: str) -> ShopOrderRef:
    """Create the order; see the module docstring for the exactly-once rules."""
    cf.ensure(api)
    _check_products(api, draft)
    refs = resolve_refs(lookups, draft, payment_status)
    payload = build_order_payload(draft, refs, api.context.clock.now())
    response = api.call("POST", "/order", "createOrder", json=payload, params={"_response": "detail"},
                        pass_server_errors=True)
    if response.status_code < 300:
        body = api.body(response)
        data: Any = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("id") != payload["id"]:
            raise TemporaryFailure(f"{api.what} answered the order creation without the order", code="malformed_response")
        return ShopOrderRef(order_id=payload["id"], number=data.get("orderNumber"))
    problems = sw_errors.parse_errors(response)
    if sw_errors.is_duplicate(problems):
        existing = find_order(api, draft.external_ref)
        if existing is not None:
            return existing
        raise OrderRejected(f"Shopware already has an order with id {payload['id']} that does not carry the marketplace "
                            f"reference {draft.external_ref}. Check the order in the Administration.",
                            code="order_id_taken")
    target = sw_errors.foreign_key_target(problems)
    if target is not None:
        what = _MISSING_REFERENCE.get(target, f"something it refers to ({target}) no longer exists")
        raise OrderRejected(f"Shopware refused the order because {what}. Correct it in the shop; the order is "
                            "imported afterwards.", code="missing_reference", table=target)
    if response.status_code >= 500:
        raise TemporaryFailure(f"{api.what} had an internal error creating the order (HTTP {response.status_code})",
                               status=response.status_code)
    raise OrderRejected(f"Shopware rejected the order: {sw_errors.summary(problems)}. Correct the data named here "
                        "(in the shop or the marketplace order); the order is imported afterwards.",
                        code="order_refused", status=response.status_code)
