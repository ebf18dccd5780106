"""Importing marketplace orders exactly once, finding them again, and moving their status (O1–O4, C9, S1).

The Webservice creates an order from a cart (``POST /api/orders`` with
``id_cart``), prices it from the catalogue, starts it in "Remote payment
accepted" and drops it to "Payment error" when ``total_paid`` differs from
the cart. So an import is a sequence:

1. the guest customer of this marketplace order (found again by its
   deterministic e-mail, :func:`~.order_mapping.customer_email`);
2. if that customer's cart already became an order, a previous attempt got
   that far: skip to step 6 (``GET /api/orders?filter[id_cart]=[…]``; one
   cart can only ever become one order);
3. checks that every product still exists, is enabled and has stock;
4. delivery and invoice addresses, then the cart (re-used and rewritten with
   ``PUT`` if an earlier attempt left one);
5. ``POST /api/orders``;
6. finishing, each step skipped when already done: the marketplace's prices
   onto ``order_details`` and the order's totals and carrier, the
   connection's initial status (``POST /api/order_histories``), then the
   reference line in ``orders.note`` and a private message.

:meth:`OrderWriter.find` only finds orders whose finishing wrote the
reference; an interrupted import is therefore not "found", and the next
:meth:`OrderWriter.create` resumes it at step 2 instead of creating another.
The note is written before the private message, so a crash between those two
last writes leaves a found, complete order that only lacks the message.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from marketbridge.adapters import OrderDraft, ShopOrderRef
from marketbridge.errors import OrderRejected, RateLimited, TemporaryFailure
from marketbridge.order.model import Address
from marketbridge_prestashop import filters
from marketbridge_prestashop import order_mapping as mapping
from marketbridge_prestashop.catalog import Catalog
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.lookups import Carrier, ShopReferences
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.statuses import StatusBook
from marketbridge_prestashop.stock import StockReader

DELIVERY_ALIAS = "Marketplace delivery"
INVOICE_ALIAS = "Marketplace invoice"
DETAIL_FIELDS = ("[id,product_id,product_attribute_id,product_price,unit_price_tax_incl,unit_price_tax_excl,"
                 "total_price_tax_incl,total_price_tax_excl]")


def _changed(current: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, str]:
    """The fields of ``wanted`` whose amount differs from ``current`` (compared as numbers)."""
    out: dict[str, str] = {}
    for name, value in wanted.items():
        try:
            same = Decimal(str(current.get(name) or "0")) == Decimal(value)
        except InvalidOperation:
            same = False
        if not same:
            out[name] = value
    return out


class OrderWriter:
    """Creates, finds and updates orders through the Webservice."""

    def __init__(self, ws: Webservice, settings: ShopSettings, refs: ShopReferences, statuses: StatusBook,
                 catalog: Catalog, stock: StockReader) -> None:
        self.ws = ws
        self.settings = settings
        self.refs = refs
        self.statuses = statuses
        self.catalog = catalog
        self.stock = stock

    # -- find -----------------------------------------------------------------
    def find(self, external_ref: str) -> ShopOrderRef | None:
        """The order whose note or private message has the exact reference line, else ``None``.

        ``GET /api/orders?filter[note]=%[…]%&display=[id,reference,note]``, then
        ``GET /api/messages?filter[message]=%[…]%`` (a merchant may have
        rewritten the note). Matches are confirmed line by line, never fuzzy.
        """
        pattern = filters.contains(external_ref)
        if pattern is None:
            return None
        for row in self.ws.select_all("orders", display="[id,reference,note]", filters={"note": pattern}):
            if mapping.carries_reference(str(row.get("note", "")), external_ref):
                return ShopOrderRef(order_id=str(row["id"]), number=row.get("reference") or None)
        for row in self.ws.select_all("messages", display="[id,id_order,message]", filters={"message": pattern}):
            if str(row.get("id_order", "0")) not in ("", "0") and \
                    mapping.carries_reference(str(row.get("message", "")), external_ref):
                order = self.ws.get("orders", row["id_order"])
                if order is not None:
                    return ShopOrderRef(order_id=str(order["id"]), number=order.get("reference") or None)
        return None

    # -- create ---------------------------------------------------------------
    def create(self, draft: OrderDraft) -> ShopOrderRef:
        """Create (or finish an interrupted creation of) the shop order for ``draft``. See the module docstring."""
        try:
            totals, per_key = mapping.amounts(draft.order, draft.lines)
        except ValueError as exc:
            raise OrderRejected(f"The order's products were not matched to PrestaShop products ({exc}).",
                                code="product_not_found") from None
        target = self._target_state(draft)
        email = mapping.customer_email(draft.external_ref)
        customer = self._find_customer(email)
        cart_id: int | None = None
        if customer is not None:
            existing, cart_id = self._existing_order(customer[0])
            if existing is not None:
                return self._finish(int(existing), draft, totals, per_key, target)
        self._check_products(draft, per_key)
        carrier = self._carrier(draft)
        currency = self.refs.currency(draft.order.currency)
        if customer is None:
            customer = self._create_customer(draft, email)
        customer_id, secure_key = customer
        delivery, invoice = self._addresses(draft, customer_id)
        cart_fields: dict[str, str] = {
            "id_currency": str(currency.id), "id_lang": str(self.settings.language_id),
            "id_customer": str(customer_id), "id_address_delivery": str(delivery),
            "id_address_invoice": str(invoice), "id_carrier": str(carrier.id),
            "delivery_option": mapping.delivery_option(delivery, carrier.id), "secure_key": secure_key,
            "recyclable": "0", "gift": "0",
        }
        group = self.refs.shop_group()
        if self.settings.shop_id is not None and group is not None:
            cart_fields.update(id_shop=str(self.settings.shop_id), id_shop_group=str(group))
        rows = {"cart_rows": ("cart_row", mapping.cart_rows(per_key, delivery))}
        if cart_id is None:
            cart_id = int(self.ws.create("carts", cart_fields, rows)["id"])
        else:
            self.ws.update("carts", cart_id, cart_fields, method="PUT", associations=rows)
        order_id = self._place(draft, {
            "id_address_delivery": str(delivery), "id_address_invoice": str(invoice), "id_cart": str(cart_id),
            "id_currency": str(currency.id), "id_lang": str(self.settings.language_id),
            "id_customer": str(customer_id), "id_carrier": str(carrier.id), "module": self.settings.payment_module,
            "payment": mapping.payment_label(draft.marker), "total_paid": mapping.money(totals.paid_incl),
            "total_paid_real": mapping.money(totals.paid_incl), "total_products": mapping.money(totals.products_excl),
            "total_products_wt": mapping.money(totals.products_incl), "conversion_rate": currency.conversion_rate,
        })
        return self._finish(order_id, draft, totals, per_key, target)

    def _target_state(self, draft: OrderDraft) -> int:
        wanted = draft.initial_status or str(self.settings.default_state_id)
        state = self.statuses.get(wanted)
        if state is None:
            raise OrderRejected(
                f"The status '{wanted}' chosen for new orders does not exist in PrestaShop (Orders > Statuses). "
                "Choose another one for the connection; the order is imported once it exists.",
                code="status_missing", status=wanted)
        return state.id

    def _carrier(self, draft: OrderDraft) -> Carrier:
        pickup = draft.marker.pickup or draft.order.flags.pickup
        reference = self.settings.pickup_carrier_reference if pickup and self.settings.pickup_carrier_reference \
            else self.settings.carrier_reference
        return self.refs.carrier(reference)

    def _check_products(self, draft: OrderDraft, per_key: OrderedDict[ProductKey, mapping.LineAmounts]) -> None:
        """Refuse what PrestaShop would silently accept: vanished or disabled products, missing stock."""
        titles = {mapping.line_key(p): (p.line.title, p.product.sku or p.product.product_id) for p in draft.lines}
        stock_rows = self.stock.rows(key.product for key in per_key)
        products = self.catalog.by_keys(list(per_key), stock_rows=stock_rows)
        for key, line in per_key.items():
            title, sku = titles[key]
            product = products.get(key)
            if product is None:
                raise OrderRejected(
                    f"Product \"{title}\" ({sku}, PrestaShop id {key}) no longer exists in the shop. Restore it or "
                    "match the marketplace product to another one; the order is imported once it matches.",
                    code="product_not_found", product_id=str(key))
            if not product.active:
                raise OrderRejected(
                    f"Product \"{product.name}\" ({sku}) is disabled in PrestaShop. Enable it (Catalog > Products) "
                    "to import the order.", code="product_inactive", product_id=str(key))
            row = stock_rows.get(key)
            if self.settings.hold_out_of_stock and row is not None and row.quantity < line.quantity \
                    and not row.allows_backorders:
                raise OrderRejected(
                    f"Only {max(row.quantity, 0)} of \"{product.name}\" ({sku}) are in stock in PrestaShop but "
                    f"{line.quantity} were ordered, and the product does not accept orders when out of stock. Add "
                    "stock, or set 'When out of stock: Accept orders' on the product (Catalog > Products > Stocks); "
                    "the order is imported on the next run.", code="out_of_stock", product_id=str(key))

    def _find_customer(self, email: str) -> tuple[int, str] | None:
        rows = self.ws.select("customers", display="[id,email,secure_key,deleted]",
                              filters={"email": filters.any_of([email])})
        live = [r for r in rows if r.get("deleted", "0") != "1"]
        if not live:
            return None
        row = min(live, key=lambda r: int(r["id"]))
        return int(row["id"]), str(row.get("secure_key", ""))

    def _create_customer(self, draft: OrderDraft, email: str) -> tuple[int, str]:
        fields = mapping.customer_fields(draft, email=email, password=secrets.token_urlsafe(18),
                                         language_id=self.settings.language_id)
        row = self.ws.create("customers", fields)
        return int(row["id"]), str(row.get("secure_key", ""))

    def _existing_order(self, customer_id: int) -> tuple[str | None, int | None]:
        """The order made from one of the customer's carts, and the customer's latest cart."""
        carts = self.ws.select_all("carts", display="[id]", filters={"id_customer": filters.any_of([customer_id])},
                                   sort="[id_DESC]")
        if not carts:
            return None, None
        cart_ids = [str(c["id"]) for c in carts]
        orders = self.ws.select("orders", display="[id,id_cart]", filters={"id_cart": filters.any_of(cart_ids)})
        return (str(orders[0]["id"]) if orders else None), int(cart_ids[0])

    def _addresses(self, draft: OrderDraft, customer_id: int) -> tuple[int, int]:
        order = draft.order
        if order.shipping_address is None:
            raise OrderRejected("The order has no shipping address yet; it is imported once the marketplace "
                                "provides one.", code="address_missing")
        existing = {str(r.get("alias")): int(r["id"]) for r in self.ws.select_all(
            "addresses", display="[id,alias,deleted]", filters={"id_customer": filters.any_of([customer_id])})
            if r.get("deleted", "0") != "1"}
        delivery = existing.get(DELIVERY_ALIAS) or self._create_address(draft, order.shipping_address,
                                                                         DELIVERY_ALIAS, customer_id)
        if order.billing_address is None or order.billing_address == order.shipping_address:
            return delivery, delivery
        invoice = existing.get(INVOICE_ALIAS) or self._create_address(draft, order.billing_address,
                                                                       INVOICE_ALIAS, customer_id)
        return delivery, invoice

    def _create_address(self, draft: OrderDraft, address: Address, alias: str, customer_id: int) -> int:
        country = self.refs.country(address.country_code)
        fields = mapping.address_fields(address, alias=alias, customer_id=customer_id, country_id=country.id,
                                        state_id=self.refs.state(country, address.region), draft=draft)
        try:
            return int(self.ws.create("addresses", fields)["id"])
        except OrderRejected as exc:
            raise OrderRejected(
                f"{exc.message} The {alias.split()[-1]} address comes from the marketplace as it is; if PrestaShop "
                "requires a field the marketplace does not provide, make it optional in Customers > Addresses > "
                "Set required fields.", code=exc.code, **exc.params) from None

    def _place(self, draft: OrderDraft, fields: dict[str, str]) -> int:
        """``POST /api/orders``; a failure that may hide a created order is retried, never duplicated."""
        try:
            row = self.ws.create("orders", fields)
        except RateLimited:
            raise
        except TemporaryFailure as exc:
            said = " ".join(message for _, message in exc.params.get("shop_errors", []))
            if "validateOrder" in said or "PaymentModule" in said:
                raise OrderRejected(
                    f"PrestaShop cannot create orders with the payment module '{self.settings.payment_module}': it "
                    "is not installed or not enabled. Enable it in Modules > Module Manager, or enter another "
                    "payment module in the connection settings.", code="payment_module_missing") from None
            raise TemporaryFailure(
                f"{exc.message} PrestaShop may have created the order anyway: the next attempt looks it up by its "
                "cart before creating anything.", code=exc.code, retry_after=exc.retry_after) from None
        if not str(row.get("id", "")).isdigit() or int(row["id"]) == 0:
            raise TemporaryFailure("PrestaShop answered the new order without an order id; the next attempt looks "
                                   "it up by its cart.", code="malformed_response")
        return int(row["id"])

    # -- finish ---------------------------------------------------------------
    def _finish(self, order_id: int, draft: OrderDraft, totals: mapping.OrderAmounts,
                per_key: OrderedDict[ProductKey, mapping.LineAmounts], target: int) -> ShopOrderRef:
        order = self.ws.get("orders", order_id)
        if order is None:
            raise TemporaryFailure(f"PrestaShop order {order_id} could not be read back; the job is retried.",
                                   code="order_unreadable")
        details = self.ws.select_all("order_details", display=DETAIL_FIELDS,
                                     filters={"id_order": filters.any_of([order_id])})
        seen: set[ProductKey] = set()
        for detail in details:
            key = ProductKey(int(detail.get("product_id") or 0), int(detail.get("product_attribute_id") or 0))
            line = per_key.get(key)
            if line is None:
                continue
            seen.add(key)
            changes = _changed(detail, line.detail_fields())
            if changes:
                self.ws.update("order_details", detail["id"], changes)
        missing = [str(key) for key in per_key if key not in seen]
        if missing:
            raise OrderRejected(
                f"PrestaShop created order {order.get('reference') or order_id} without the product(s) "
                f"{', '.join(missing)}. Complete or cancel that order in the shop, then release this one.",
                code="order_incomplete", order_id=str(order_id))
        for carrier in self.ws.select_all("order_carriers", display="[id,shipping_cost_tax_incl,shipping_cost_tax_excl]",
                                          filters={"id_order": filters.any_of([order_id])})[:1]:
            changes = _changed(carrier, totals.carrier_fields())
            if changes:
                self.ws.update("order_carriers", carrier["id"], changes)
        changes = _changed(order, totals.order_fields())
        if changes:
            self.ws.update("orders", order_id, changes)
        if str(order.get("current_state")) != str(target):
            self.ws.create("order_histories", {"id_order": str(order_id), "id_order_state": str(target)})
        note = str(order.get("note") or "")
        if not mapping.carries_reference(note, draft.external_ref):
            lines = mapping.note_lines(draft)
            self.ws.update("orders", order_id, {"note": "\n".join([note, *lines]) if note else "\n".join(lines)})
        messages = self.ws.select_all("messages", display="[id,message]", filters={"id_order": filters.any_of([order_id])})
        if not any(mapping.carries_reference(str(m.get("message", "")), draft.external_ref) for m in messages):
            self.ws.create("messages", {"id_order": str(order_id), "id_cart": str(order.get("id_cart", "0")),
                                        "id_customer": str(order.get("id_customer", "0")),
                                        "message": mapping.message_text(draft), "private": "1"})
        return ShopOrderRef(order_id=str(order_id), number=order.get("reference") or None)

    # -- status ---------------------------------------------------------------
    def set_status(self, ref: ShopOrderRef, status: str) -> None:
        """Move the order to state ``status`` with ``POST /api/order_histories``; a no-op when it is already there."""
        state = self.statuses.get(status)
        if state is None:
            raise OrderRejected(f"PrestaShop has no order status with id '{status}' (Orders > Statuses). Choose "
                                "another status in the status mapping.", code="status_missing", status=status)
        order = self.ws.get("orders", ref.order_id)
        if order is None:
            raise OrderRejected(f"Order {ref.number or ref.order_id} no longer exists in PrestaShop.",
                                code="order_missing", order_id=ref.order_id)
        if str(order.get("current_state")) == str(state.id):
            return
        self.ws.create("order_histories", {"id_order": str(ref.order_id), "id_order_state": str(state.id)})
