"""Sync problems and order holds in the merchant's language, with what to do (M2, M3).

The engine stores each problem with a stable ``code``, an English
``message`` template with ``{placeholders}`` and its ``params``. Here every
code the engine emits has a translated template (English, French, German);
a few codes have several English messages (``plugin_error`` says what the
plugin was doing), so an exact English template is looked up first, then the
code. Unknown codes (a plugin's own) fall back to the stored English message
filled with its params, so nothing is ever hidden.

Some parameter values are English words chosen by the engine (the product
identifier, what was being done, the kind of message); they are translated
too. Everything else (product names, error texts from a remote API) is shown
as received.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from marketbridge.web.i18n import safe_format

#: One translated template per problem/hold code.
TEXTS: dict[str, LazyString] = {
    "product_not_found": _l(
        "No shop product has {identifier} \u201c{value}\u201d (line \u201c{title}\u201d). Add the product to "
        "the shop or correct its {identifier}; the order is imported as soon as it matches."),
    "product_inactive": _l(
        "Product \u201c{name}\u201d ({value}) is disabled in the shop. Enable it to import the order."),
    "missing_weight": _l(
        "Product \u201c{name}\u201d ({value}) has no package weight, and this connection requires weights. "
        "Enter the weight in the shop; the order is imported as soon as it is set."),
    "invalid_order_data": _l(
        "The marketplace sent order data Marketbridge cannot import: {details}. The data is kept; contact "
        "support if this does not go away."),
    "unidentifiable_order": _l(
        "The marketplace sent an order without an order number, which cannot be imported: {reason}. Its data "
        "is kept with this problem; contact support with it."),
    "cancelled_after_import": _l(
        "The buyer's order {order} was cancelled on the marketplace after it was imported. Cancel it in the "
        "shop as well."),
    "plugin_error": _l(
        "The plugin {plugin} failed: {error}. Update the plugin or contact its author."),
    "rate_limited": _l(
        "{remote} keeps asking Marketbridge to slow down while {what}. Work goes on at the pace its "
        "quota allows; nothing is lost."),
    "authentication_failed": _l(
        "Access was refused: {error} Syncing is paused until this is fixed. Correct the credentials in the "
        "settings."),
    "fetch_failed": _l(
        "{what} failed {count} times in a row: {error}. Marketbridge keeps retrying; if this goes on, check "
        "that the shop or marketplace is reachable."),
    "delivery_rejected": _l(
        "The marketplace did not accept the {kind} for order {order}: {error}. Correct it in the shop; it is "
        "sent again with the next change."),
    "delivery_failed": _l(
        "The {kind} for order {order} could not be delivered to the marketplace after several attempts: "
        "{error}."),
    "price_currency": _l(
        "The price of {sku} was not sent: the shop's price is in {shop_currency}, the marketplace sells in "
        "{currency}. Enter the product's price in {currency} in the shop or switch price sync off."),
    "price_not_positive": _l(
        "The price of {sku} was not sent: the shop's price {shop_price} gives {offer} after the connection's price "
        "rules, and an offer needs a price above zero. Check the product's price in the shop and the price "
        "adjustment."),
    "stock_rejected": _l(
        "The marketplace refused the stock update for {sku}: {error}. Check the listing on the marketplace."),
    "grant_expired": _l(
        "The authorisation of {account} expired on {date}. Renew it to resume syncing; your settings and "
        "orders are kept."),
    "grant_expiring": _l(
        "The authorisation of {account} expires on {date}. Renew it before then to keep orders flowing."),
    "no_carrier": _l(
        "No carrier matched tracking number {tracking} and the connection has no default carrier, so the "
        "tracking number was not sent. Set a default carrier for the connection."),
    "unknown_carrier_code": _l(
        "The marketplace does not accept the carrier code \u201c{code}\u201d (chosen by {source}). Correct "
        "the carrier rule or the default carrier."),
    "missing_tracking": _l(
        "The shipment of order {order} has no tracking number. Add it in the shop; the marketplace needs it "
        "to confirm the shipment."),
    "rule_hold": _l(
        "Held by the automation rule: {reason}. Release the order when you have checked it."),
    "prime_pending_status_missing": _l(
        "This connection was created before {cutover} and imports Prime orders as pending fulfilment, but no "
        "shop status is chosen for that. Choose one in the connection's Prime settings, or import Prime orders "
        "to awaiting shipment."),
    "prime_split": _l(
        "Prime order {order} must ship complete in one package; this shipment holds only some of its items. "
        "Ship all items together."),
    "store_rejected": _l(
        "The marketplace did not accept the store {store}: {error}. Correct the store and save it again."),
    "test_order": _l("Test orders are never sent to the marketplace."),
    "not_in_shop": _l("Only orders that are in the shop can be changed on the marketplace."),
    "unknown_status": _l("{channel} does not accept \u201c{status}\u201d from Marketbridge."),
    "needs_tracking": _l("\u201c{status}\u201d is sent with a shipment: ship the order in the shop."),
    "pickup_overdue": _l(
        "Order {order} has waited for pickup since {date} and the store's hold period of {days} days is over. "
        "Cancel or refund it."),
}

#: Exact English templates with a more specific translation than their code's.
VARIANTS: dict[str, LazyString] = {
    "The plugin {plugin} failed while checking this order: {error}": _l(
        "The plugin {plugin} failed while checking this order: {error}. The order is checked again "
        "automatically."),
    "The plugin {plugin} failed while mapping a status: {error}": _l(
        "The plugin {plugin} failed while mapping a status: {error}. The status was not sent."),
    "The plugin {plugin} failed while choosing the carrier: {error}": _l(
        "The plugin {plugin} failed while choosing the carrier: {error}. The shipment was not sent."),
    "The plugin {plugin} failed while computing stock: {error}": _l(
        "The plugin {plugin} failed while computing stock: {error}. The stock of this product was not sent."),
}

#: Engine words that appear as parameter values.
WORDS: dict[str, dict[str, LazyString]] = {
    "identifier": {"sku": _l("SKU"), "ean": _l("EAN"), "product_id": _l("product ID")},
    "kind": {"shipment": _l("shipment"), "status": _l("status change"), "stock": _l("stock update"),
             "store": _l("store")},
    "what": {"fetching orders": _l("fetching orders"), "re-checking pending orders": _l("re-checking pending orders"),
             "creating orders in the shop": _l("creating orders in the shop"),
             "reading changes from the shop": _l("reading changes from the shop"),
             "reading stock from the shop": _l("reading stock from the shop")},
    "remote": {"the shop": _l("the shop"), "the marketplace": _l("the marketplace")},
    "source": {"rule": _l("a carrier rule"), "shop_name": _l("the shop's carrier name"),
               "library": _l("the tracking number's format"), "default": _l("the default carrier")},
}


def _word(key: str, value: Any) -> Any:
    words = WORDS.get(key)
    if not words or not isinstance(value, str):
        return value
    translated = words.get(value.lower())
    if translated is None:
        return value
    text = str(translated)
    return text[:1].upper() + text[1:] if value[:1].isupper() else text


def _value(key: str, value: Any) -> Any:
    if key == "date" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "long")
        except ValueError:
            return value
    return _word(key, value)


def localise_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` with engine words and ISO dates shown in the page's language."""
    return {key: _value(key, value) for key, value in (params or {}).items()}


def problem_text(code: str, message: str, params: Mapping[str, Any] | None = None) -> str:
    """The merchant-facing text of a problem or hold, in the current language."""
    template = VARIANTS.get(message) or TEXTS.get(code)
    if template is None:
        return safe_format(message, params or {})
    return safe_format(str(template), localise_params(params))


def known_codes() -> frozenset[str]:
    """The codes with a translated text (tests check the engine emits no other)."""
    return frozenset(TEXTS)
