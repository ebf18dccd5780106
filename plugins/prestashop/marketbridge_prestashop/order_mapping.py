"""Canonical order → the PrestaShop objects an imported order is made of. Pure functions, no I/O.

An imported order is a guest customer, a delivery and an invoice address, a
cart (``cart_rows``) and the order created from that cart
(``specs/prestashop/NOTES.md``, "create order"). PrestaShop prices the cart
from its catalogue; the marketplace's amounts are written onto the order
afterwards (:class:`OrderAmounts`, :class:`LineAmounts`), derived only from
the canonical order's own figures, never recalculated from the shop's prices
or tax rules.

Where the marketplace reference and the marker live:

* ``orders.note`` and a private order message (``messages``) carry the line
  ``Marketbridge reference: <marketplace>:<order id>``, searched by
  :meth:`~marketbridge_prestashop.orders.OrderWriter.find`;
* ``orders.payment`` (the "Payment" column of Orders > Orders) carries the
  marker: "Amazon", "Amazon Click & Collect", "[TEST] Amazon";
* the guest customer's e-mail is derived from the reference
  (``amazon-302-…@marketbridge.invalid``): buyers are never mailed by the
  shop (O8) and the customer leads back to the cart of an interrupted import.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from marketbridge.adapters import Marker, OrderDraft, PlannedLine
from marketbridge.order.model import Address, Order
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.sanitize import clean
from marketbridge_prestashop.spec import resources

REFERENCE_PREFIX = "Marketbridge reference: "
EMAIL_DOMAIN = "marketbridge.invalid"
MESSAGE_MAX = 1600
_SIX = Decimal("0.000001")
ZERO = Decimal("0")


def money(amount: Decimal) -> str:
    """An amount as PrestaShop stores it (six decimals)."""
    return str(amount.quantize(_SIX, rounding=ROUND_HALF_UP))


def reference_line(external_ref: str) -> str:
    """The line that makes an order findable by :meth:`OrderWriter.find`."""
    return f"{REFERENCE_PREFIX}{external_ref}"


def carries_reference(text: str, external_ref: str) -> bool:
    """Whether ``text`` (a note or message) has the exact reference line for ``external_ref``."""
    wanted = reference_line(external_ref)
    return any(line.strip() == wanted for line in text.splitlines())


def customer_email(external_ref: str) -> str:
    """A deterministic, undeliverable e-mail for the order's guest customer."""
    slug = re.sub(r"[^a-z0-9]+", "-", external_ref.lower()).strip("-")[:40] or "order"
    digest = hashlib.sha256(external_ref.encode("utf-8")).hexdigest()[:10]
    return f"{slug}.{digest}@{EMAIL_DOMAIN}"


def split_name(name: str | None) -> tuple[str, str]:
    """``"Jane Q. Doe"`` → ``("Jane Q.", "Doe")``; one word becomes the last name."""
    words = (name or "").split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return " ".join(words[:-1]), words[-1]


def _fit(resource: str, field: str, value: str | None) -> str:
    spec = resources()[resource].fields[field]
    return clean(value, spec.format or "isAnything", spec.max_size)


def payment_label(marker: Marker) -> str:
    """The marker shown in the orders list's Payment column (O2)."""
    label = clean(marker.label, "isGenericName", 200) or marker.marketplace
    return f"[TEST] {label}" if marker.test else label


def _header(draft: OrderDraft) -> list[str]:
    order = draft.order
    channel = f" ({order.sales_channel})" if order.sales_channel else ""
    lines = [f"{draft.marker.label} order {order.marketplace_order_id}{channel}, imported by Marketbridge "
             f"(connection \"{draft.connection_name}\")."]
    if draft.marker.pickup or order.flags.pickup:
        lines.append(f"Click & Collect: the buyer picks the order up at store {order.pickup_store_code or '?'}.")
    if draft.marker.test or order.is_test:
        lines.append("TEST ORDER: do not ship.")
    tags = list(dict.fromkeys([*draft.tags, *order.tags]))
    if tags:
        lines.append("Tags: " + ", ".join(tags))
    return [clean(line, "isMessage") for line in lines]


def note_lines(draft: OrderDraft) -> list[str]:
    """Lines added to ``orders.note``: what the order is, then the reference line."""
    return [*_header(draft), reference_line(draft.external_ref)]


def message_text(draft: OrderDraft) -> str:
    """The private order message (at most 1600 characters, the reference line always kept)."""
    tail = reference_line(draft.external_ref)
    head = "\n".join(_header(draft))[:MESSAGE_MAX - len(tail) - 1].rstrip()
    return f"{head}\n{tail}"


def customer_fields(draft: OrderDraft, *, email: str, password: str, language_id: int) -> dict[str, str]:
    """``POST /api/customers``: a guest customer for this marketplace order."""
    order = draft.order
    name = order.buyer.name or (order.shipping_address.name if order.shipping_address else None)
    first, last = split_name(name)
    return {
        "id_lang": str(language_id),
        "passwd": password,
        "lastname": _fit("customers", "lastname", last) or "-",
        "firstname": _fit("customers", "firstname", first) or "-",
        "email": email,
        "company": _fit("customers", "company", order.buyer.company),
        "newsletter": "0",
        "optin": "0",
        "active": "1",
        "is_guest": "1",
        "note": f"Marketplace buyer, created by Marketbridge for {draft.external_ref}.",
    }


def address_fields(address: Address, *, alias: str, customer_id: int, country_id: int, state_id: int,
                   draft: OrderDraft) -> dict[str, str]:
    """``POST /api/addresses``: one of the order's addresses, cleaned for PrestaShop's validators."""
    first, last = split_name(address.name)
    order = draft.order
    street2 = " ".join(part for part in (address.line2, address.line3) if part)
    return {
        "id_customer": str(customer_id),
        "id_country": str(country_id),
        "id_state": str(state_id),
        "alias": alias,
        "company": _fit("addresses", "company", address.company),
        "lastname": _fit("addresses", "lastname", last) or "-",
        "firstname": _fit("addresses", "firstname", first) or "-",
        "vat_number": _fit("addresses", "vat_number", order.buyer.vat_number),
        "address1": _fit("addresses", "address1", address.line1),
        "address2": _fit("addresses", "address2", street2),
        "postcode": _fit("addresses", "postcode", address.postal_code),
        "city": _fit("addresses", "city", address.city),
        "phone": _fit("addresses", "phone", address.phone or order.buyer.phone),
        "other": _fit("addresses", "other", f"{draft.marker.label} order {order.marketplace_order_id}"),
    }


@dataclass(frozen=True)
class LineAmounts:
    """What the buyer paid for one shop product (lines of the same product are merged, as in the cart)."""

    key: ProductKey
    quantity: int
    total_incl: Decimal
    total_excl: Decimal

    @property
    def unit_incl(self) -> Decimal:
        return self.total_incl / self.quantity

    @property
    def unit_excl(self) -> Decimal:
        return self.total_excl / self.quantity

    def detail_fields(self) -> dict[str, str]:
        """``PATCH /api/order_details/<id>``: the line's prices as the marketplace charged them."""
        return {
            "product_price": money(self.unit_excl),
            "unit_price_tax_incl": money(self.unit_incl),
            "unit_price_tax_excl": money(self.unit_excl),
            "total_price_tax_incl": money(self.total_incl),
            "total_price_tax_excl": money(self.total_excl),
        }


@dataclass(frozen=True)
class OrderAmounts:
    """The order's totals, from the canonical order's own amounts."""

    products_incl: Decimal
    products_excl: Decimal
    shipping_incl: Decimal
    shipping_excl: Decimal
    discounts: Decimal
    wrapping: Decimal  #: charges beyond products and shipping (the only place PrestaShop has for them)
    paid_incl: Decimal
    paid_excl: Decimal

    @property
    def carrier_tax_rate(self) -> Decimal:
        if self.shipping_excl <= 0:
            return ZERO
        rate = (self.shipping_incl - self.shipping_excl) / self.shipping_excl * 100
        return rate.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)

    def order_fields(self) -> dict[str, str]:
        """``PATCH /api/orders/<id>``: every total PrestaShop shows and invoices."""
        return {
            "total_discounts": money(self.discounts),
            "total_discounts_tax_incl": money(self.discounts),
            "total_discounts_tax_excl": money(self.discounts),
            "total_paid": money(self.paid_incl),
            "total_paid_tax_incl": money(self.paid_incl),
            "total_paid_tax_excl": money(self.paid_excl),
            "total_paid_real": money(self.paid_incl),
            "total_products": money(self.products_excl),
            "total_products_wt": money(self.products_incl),
            "total_shipping": money(self.shipping_incl),
            "total_shipping_tax_incl": money(self.shipping_incl),
            "total_shipping_tax_excl": money(self.shipping_excl),
            "carrier_tax_rate": str(self.carrier_tax_rate),
            "total_wrapping": money(self.wrapping),
            "total_wrapping_tax_incl": money(self.wrapping),
            "total_wrapping_tax_excl": money(self.wrapping),
        }

    def carrier_fields(self) -> dict[str, str]:
        """``PATCH /api/order_carriers/<id>``: the shipping cost shown on the order's carrier tab."""
        return {"shipping_cost_tax_incl": money(self.shipping_incl),
                "shipping_cost_tax_excl": money(self.shipping_excl)}


def line_key(line: PlannedLine) -> ProductKey:
    """The shop product a planned line was matched to; ``ValueError`` for a foreign product id."""
    key = ProductKey.parse(line.product.product_id)
    if key is None:
        raise ValueError(f"not a PrestaShop product id: {line.product.product_id!r}")
    return key


def amounts(order: Order, lines: Sequence[PlannedLine]) -> tuple[OrderAmounts, OrderedDict[ProductKey, LineAmounts]]:
    """Order totals and per-product line amounts, exactly as the marketplace charged them.

    With ``prices_include_tax`` a line's gross amount is ``unit_price × quantity``
    and its net amount that minus ``tax``; otherwise the other way round.
    Discounts are what the products and shipping come to beyond the amount
    paid; a negative remainder (charges such as gift wrap or COD fees) goes to
    PrestaShop's wrapping total.
    """
    per_key: OrderedDict[ProductKey, LineAmounts] = OrderedDict()
    tax_total = ZERO
    for planned in lines:
        line = planned.line
        subtotal = line.unit_price.amount * line.quantity
        gross, net = (subtotal, subtotal - line.tax.amount) if order.prices_include_tax \
            else (subtotal + line.tax.amount, subtotal)
        tax_total += line.tax.amount
        key = line_key(planned)
        known = per_key.get(key)
        if known is not None:
            gross, net = gross + known.total_incl, net + known.total_excl
        per_key[key] = LineAmounts(key, line.quantity + (known.quantity if known else 0), gross, net)
    shipping = order.shipping
    if order.prices_include_tax:
        ship_incl, ship_excl = shipping.price.amount, shipping.price.amount - shipping.tax.amount
    else:
        ship_incl, ship_excl = shipping.price.amount + shipping.tax.amount, shipping.price.amount
    tax_total += shipping.tax.amount
    products_incl = sum((a.total_incl for a in per_key.values()), ZERO)
    products_excl = sum((a.total_excl for a in per_key.values()), ZERO)
    paid_incl = order.total.amount
    remainder = products_incl + ship_incl - paid_incl
    totals = OrderAmounts(products_incl=products_incl, products_excl=products_excl, shipping_incl=ship_incl,
                          shipping_excl=ship_excl, discounts=max(remainder, ZERO), wrapping=max(-remainder, ZERO),
                          paid_incl=paid_incl, paid_excl=paid_incl - tax_total)
    return totals, per_key


def cart_rows(per_key: OrderedDict[ProductKey, LineAmounts], delivery_address: int) -> list[dict[str, str]]:
    """``associations/cart_rows``: one row per shop product (PrestaShop keys cart rows by product)."""
    return [{"id_product": str(key.product), "id_product_attribute": str(key.attribute),
             "id_address_delivery": str(delivery_address), "quantity": str(line.quantity)}
            for key, line in per_key.items()]


def delivery_option(delivery_address: int, carrier_id: int) -> str:
    """The cart's ``delivery_option`` pinning the carrier (``{"<id_address>":"<id_carrier>,"}``)."""
    return json.dumps({str(delivery_address): f"{carrier_id},"}, separators=(",", ":"))
