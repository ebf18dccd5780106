"""Canonical order → the Admin API's order payload (``POST /api/order``, ``createOrder``).

Amounts are the marketplace's, never recalculated: each line keeps the unit
price, quantity and tax the buyer was charged; discounts become ``credit`` line
items of their own; shipping costs, the order total and the taxes are copied as
given (NOTES.md: "The Admin API stores prices as sent and does not recalculate
them"). Only a missing tax *rate* is derived, from the given tax and price, for display.

Every id is derived from the marketplace reference, so the same order always
produces the same payload and a repeated create can never make a second order.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketbridge.adapters import OrderDraft
from marketbridge.order import Address

from marketbridge_shopware import custom_fields as cf
from marketbridge_shopware.ids import derived_id
from marketbridge_shopware.queries import iso

#: Domain of the placeholder address for buyers whose e-mail the marketplace withholds (O8).
#: ``.invalid`` is reserved (RFC 2606): mail to it can never be delivered.
PLACEHOLDER_EMAIL_DOMAIN = "marketplace.invalid"


@dataclass(frozen=True)
class OrderRefs:
    """Shop ids the payload refers to, resolved by :mod:`marketbridge_shopware.lookups`."""

    sales_channel_id: str
    language_id: str
    currency_id: str
    currency_factor: float
    item_rounding: dict[str, Any]
    total_rounding: dict[str, Any]
    country_ids: dict[str, str]
    region_ids: dict[str, str | None]  #: country iso + region → country_state id
    salutation_id: str
    payment_method_id: str
    shipping_method_id: str
    order_state_id: str
    delivery_state_id: str
    transaction_state_id: str


def order_id_for(external_ref: str) -> str:
    """The deterministic Shopware order id of a marketplace reference (md5, as the docs suggest)."""
    return derived_id(external_ref)


def _money(value: Decimal) -> float:
    return float(value)


def _rate(given: Decimal | None, tax: Decimal, price: Decimal, gross: bool) -> Decimal:
    """The tax rate in percent: as given, else derived from the charged amounts (display only)."""
    if given is not None:
        return given
    base = price - tax if gross else price
    if tax <= 0 or base <= 0:
        return Decimal("0")
    return (tax / base * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _tax_block(tax: Decimal, rate: Decimal, price: Decimal) -> dict[str, Any]:
    return {"calculatedTaxes": [{"tax": _money(tax), "taxRate": float(rate), "price": _money(price)}],
            "taxRules": [{"taxRate": float(rate), "percentage": 100.0}]}


def _price(unit: Decimal, quantity: int, total: Decimal, tax: Decimal, rate: Decimal) -> dict[str, Any]:
    return {"unitPrice": _money(unit), "totalPrice": _money(total), "quantity": quantity,
            **_tax_block(tax, rate, total)}


def split_name(full: str) -> tuple[str, str]:
    """``"Jane Q. Doe"`` → ``("Jane Q.", "Doe")``; a single word becomes the last name."""
    parts = full.split()
    if len(parts) < 2:
        return "-", (parts[0] if parts else "-")
    return " ".join(parts[:-1]), parts[-1]


def _address(address: Address, address_id: str, order_id: str, refs: OrderRefs) -> dict[str, Any]:
    first, last = split_name(address.name)
    payload: dict[str, Any] = {
        "id": address_id, "orderId": order_id, "countryId": refs.country_ids[address.country_code],
        "salutationId": refs.salutation_id, "firstName": first, "lastName": last, "street": address.line1,
        "zipcode": address.postal_code, "city": address.city,
    }
    optional = {"additionalAddressLine1": address.line2, "additionalAddressLine2": address.line3,
                "company": address.company, "phoneNumber": address.phone,
                "countryStateId": refs.region_ids.get(f"{address.country_code}|{address.region}")}
    payload.update({k: v for k, v in optional.items() if v})
    return payload


def tags_for(draft: OrderDraft) -> list[str]:
    """The order's tags: the marker (O2; pickup orders have their own) plus the draft's tags."""
    labels = [draft.marker.label, *(["Test order"] if draft.marker.test else []), *draft.tags]
    return list(dict.fromkeys(label for label in labels if label))


def build_order_payload(draft: OrderDraft, refs: OrderRefs, now: datetime) -> dict[str, Any]:
    """The full nested ``order`` write for ``draft``."""
    order = draft.order
    ref = draft.external_ref
    order_id = order_id_for(ref)
    gross = order.prices_include_tax
    shipping_address = order.shipping_address
    assert shipping_address is not None, "importable orders always carry a shipping address"
    billing = order.billing_address or shipping_address
    billing_id = derived_id(ref, "billing-address")
    shipping_id = derived_id(ref, "shipping-address")
    addresses = [_address(billing, billing_id, order_id, refs), _address(shipping_address, shipping_id, order_id, refs)]

    taxes: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    line_items: list[dict[str, Any]] = []
    positions: list[dict[str, Any]] = []
    delivery_id = derived_id(ref, "delivery")
    for index, planned in enumerate(draft.lines, start=1):
        line, product = planned.line, planned.product
        total = line.unit_price.amount * line.quantity
        charged = total - line.discount.amount
        rate = _rate(line.tax_rate, line.tax.amount, charged, gross)
        taxes[rate][0] += line.tax.amount
        taxes[rate][1] += charged
        item_id = derived_id(ref, "line", line.line_id)
        price = _price(line.unit_price.amount, line.quantity, total, line.tax.amount, rate)
        line_items.append({
            "id": item_id, "orderId": order_id, "identifier": product.product_id, "referencedId": product.product_id,
            "productId": product.product_id, "type": "product", "label": product.name or line.title,
            "quantity": line.quantity, "position": index, "good": True, "removable": True, "stackable": True,
            "payload": {"productNumber": product.sku or "", "marketbridgeLineId": line.line_id,
                        "marketplaceProductId": line.marketplace_product_id or "", "marketplaceSku": line.sku or ""},
            "price": price,
            "priceDefinition": {"type": "quantity", "price": _money(line.unit_price.amount), "quantity": line.quantity,
                                "taxRules": price["taxRules"], "isCalculated": True},
            "states": [], "children": [],
        })
        positions.append({"id": derived_id(ref, "position", line.line_id), "orderDeliveryId": delivery_id,
                          "orderLineItemId": item_id, "quantity": line.quantity, "price": price})
        if line.discount.amount > 0:
            line_items.append(_credit(ref, order_id, f"line-{line.line_id}", f"Marketplace discount: {line.title}",
                                      line.discount.amount, rate, len(line_items) + 1))

    shipping = order.shipping
    ship_rate = _rate(None, shipping.tax.amount, shipping.price.amount - shipping.discount.amount, gross)
    taxes[ship_rate][0] += shipping.tax.amount
    taxes[ship_rate][1] += shipping.price.amount - shipping.discount.amount
    shipping_costs = _price(shipping.price.amount, 1, shipping.price.amount, shipping.tax.amount, ship_rate)
    if shipping.discount.amount > 0:
        line_items.append(_credit(ref, order_id, "shipping", "Marketplace shipping discount", shipping.discount.amount,
                                  ship_rate, len(line_items) + 1))

    tax_total = sum((amounts[0] for amounts in taxes.values()), Decimal("0"))
    calculated = [{"tax": _money(t), "taxRate": float(rate), "price": _money(p)} for rate, (t, p) in sorted(taxes.items())]
    rules = [{"taxRate": float(rate), "percentage": 100.0} for rate in sorted(taxes)]
    total = order.total.amount
    position_total = sum((Decimal(str(item["price"]["totalPrice"])) for item in line_items), Decimal("0"))
    promise = order.promise
    earliest = promise.earliest_ship or order.purchased_at
    latest = promise.latest_ship or earliest
    fields_values: dict[str, Any] = {
        cf.EXTERNAL_REF: ref, cf.MARKETPLACE: draft.marker.marketplace, cf.MARKETPLACE_ORDER_ID: order.marketplace_order_id,
        cf.MARKER: draft.marker.label, cf.PICKUP: draft.marker.pickup, cf.CONNECTION: draft.connection_name,
        cf.TEST_ORDER: draft.marker.test,
    }
    if order.pickup_store_code:
        fields_values[cf.PICKUP_STORE] = order.pickup_store_code
    buyer = order.buyer
    first, last = split_name(buyer.name or shipping_address.name)
    customer: dict[str, Any] = {
        "id": derived_id(ref, "customer"), "orderId": order_id, "salutationId": refs.salutation_id,
        "email": buyer.email or f"{order.marketplace}-{order.marketplace_order_id}@{PLACEHOLDER_EMAIL_DOMAIN}".lower(),
        "firstName": first, "lastName": last,
    }
    if buyer.company:
        customer["company"] = buyer.company
    if buyer.vat_number:
        customer["vatIds"] = [buyer.vat_number]
    return {
        "id": order_id, "orderNumber": order.marketplace_order_id, "stateId": refs.order_state_id,
        "orderDateTime": iso(order.purchased_at), "currencyId": refs.currency_id, "currencyFactor": refs.currency_factor,
        "languageId": refs.language_id, "salesChannelId": refs.sales_channel_id, "billingAddressId": billing_id,
        "itemRounding": refs.item_rounding, "totalRounding": refs.total_rounding,
        "price": {"totalPrice": _money(total), "positionPrice": _money(position_total), "rawTotal": _money(total),
                  "netPrice": _money(total - tax_total), "taxStatus": "gross" if gross else "net",
                  "calculatedTaxes": calculated, "taxRules": rules},
        "shippingCosts": shipping_costs,
        "orderCustomer": customer,
        "addresses": addresses,
        "lineItems": line_items,
        "deliveries": [{
            "id": delivery_id, "orderId": order_id, "stateId": refs.delivery_state_id,
            "shippingMethodId": refs.shipping_method_id, "shippingOrderAddressId": shipping_id,
            "shippingDateEarliest": iso(earliest), "shippingDateLatest": iso(latest), "shippingCosts": shipping_costs,
            "trackingCodes": [], "positions": positions,
        }],
        "transactions": [{
            "id": derived_id(ref, "transaction"), "orderId": order_id, "paymentMethodId": refs.payment_method_id,
            "stateId": refs.transaction_state_id,
            "amount": {"unitPrice": _money(total), "totalPrice": _money(total), "quantity": 1,
                       "calculatedTaxes": calculated, "taxRules": rules},
        }],
        "customFields": fields_values,
        "tags": [{"id": derived_id("marketbridge-tag", label), "name": label} for label in tags_for(draft)],
        "internalComment": _comment(draft),
    }


def _credit(ref: str, order_id: str, key: str, label: str, amount: Decimal, rate: Decimal,
            position: int) -> dict[str, Any]:
    price = _price(-amount, 1, -amount, Decimal("0"), rate)
    return {"id": derived_id(ref, "credit", key), "orderId": order_id, "identifier": f"marketbridge-discount-{key}",
            "type": "credit", "label": label, "quantity": 1, "position": position, "good": False,
            "removable": True, "stackable": False, "payload": {}, "price": price,
            "priceDefinition": {"type": "absolute", "price": _money(-amount), "isCalculated": True},
            "states": [], "children": []}


def _comment(draft: OrderDraft) -> str:
    order = draft.order
    lines = [f"Imported by Marketbridge from {draft.marker.label} (connection \"{draft.connection_name}\"), "
             f"marketplace order {order.marketplace_order_id}."]
    if draft.marker.test:
        lines.append("This is a test order: nothing is sent back to the marketplace.")
    lines.extend(f"{key}: {value}" for key, value in sorted(order.notes.items()))
    return "\n".join(lines)
