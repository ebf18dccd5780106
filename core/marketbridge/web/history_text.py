"""An order's history (``OrderEvent`` rows) in the merchant's language.

Events store an English template and its data. The templates the engine
writes today are listed here for translation; an event whose template is not
listed (a newer engine message, a plugin's) is shown in English, filled in.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from marketbridge.web.i18n import safe_format
from marketbridge.web.problem_text import localise_params, problem_text

#: English event template → its translation.
EVENTS: dict[str, LazyString] = {
    "Received from the marketplace ({status}).": _l("Received from the marketplace ({status})."),
    "The marketplace status changed from {old} to {new}.": _l("The marketplace status changed from {old} to {new}."),
    "Held: the marketplace data is invalid ({details}).": _l("Held: the marketplace data is invalid ({details})."),
    "The marketplace has not confirmed the order yet; waiting.": _l(
        "The marketplace has not confirmed the order yet; waiting."),
    "Cancelled on the marketplace before import: not created in the shop.": _l(
        "Cancelled on the marketplace before import: not created in the shop."),
    "Already imported through another connection for this shop: not created twice.": _l(
        "Already imported through another connection for this shop: not created twice."),
    "Found in the shop as order {number} (created earlier).": _l(
        "Found in the shop as order {number} (created earlier)."),
    "Created in the shop as order {number}.": _l("Created in the shop as order {number}."),
    "Label {tracking} bought ({carrier}, {service}); the marketplace knows the shipment from the purchase.": _l(
        "Label {tracking} bought ({carrier}, {service}); the marketplace knows the shipment from the purchase."),
    "The marketplace did not sell the label: {error}": _l("The marketplace did not sell the label: {error}"),
    ("The shop's shipment {tracking} was not sent: the marketplace already knows the shipment from the label "
     "bought through it."): _l(
        "The shop's shipment {tracking} was not sent: the marketplace already knows the shipment from the label "
        "bought through it."),
    "Held: {reasons}": _l("Held: {reasons}"),
    "Shop status {status} is not mapped: nothing sent.": _l("Shop status {status} is not mapped: nothing sent."),
    "Shop status {status} means \u201c{target}\u201d, which is sent with the shipment and its tracking number.": _l(
        "Shop status {status} means \u201c{target}\u201d, which is sent with the shipment and its tracking number."),
    "Status {status} queued for the marketplace.": _l("Status {status} queued for the marketplace."),
    "Shipment {tracking} ({carrier}) queued for the marketplace.": _l(
        "Shipment {tracking} ({carrier}) queued for the marketplace."),
    "Shipment {tracking} confirmed to the marketplace{note}.": _l(
        "Shipment {tracking} confirmed to the marketplace{note}."),
    "Status {status} sent to the marketplace{note}.": _l("Status {status} sent to the marketplace{note}."),
    "The marketplace refused the {kind}: {error}": _l("The marketplace refused the {kind}: {error}"),
    "Test order: the change is not sent to the marketplace.": _l(
        "Test order: the change is not sent to the marketplace."),
    "Buyer name, address and phone erased after the retention period.": _l(
        "Buyer name, address and phone erased after the retention period."),
    "Shipment held: {reason}": _l("Shipment held: {reason}"),
    "Shipment {tracking} ({carrier}) released and queued.": _l("Shipment {tracking} ({carrier}) released and queued."),
    "Carrier {code} ({source}): {note}": _l("Carrier {code} ({source}): {note}"),
    "Rules applied again: {summary}.": _l("Rules applied again: {summary}."),
    "{status} requested from the order page.": _l("{status} requested from the order page."),
    # written by the pages themselves (marketbridge.web.orders)
    "Held by the merchant.": _l("Held by the merchant."),
    "Released by the merchant.": _l("Released by the merchant."),
    "The merchant asked to try again now.": _l("The merchant asked to try again now."),
}


def event_text(message: str, data: Mapping[str, Any] | None) -> str:
    """One history line in the current language.

    Reasons the engine stored as problem codes (holds, held shipments) are
    shown through :func:`~marketbridge.web.problem_text.problem_text`.
    """
    template = EVENTS.get(message)
    if template is None:
        return safe_format(message, data or {})
    values = dict(data or {})
    if isinstance(values.get("holds"), list):
        values["reasons"] = " ".join(problem_text(h.get("code", ""), h.get("message", ""), h.get("params"))
                                     for h in values["holds"])
    if values.get("reason_code"):
        values["reason"] = problem_text(values["reason_code"], values.get("reason", ""), values.get("reason_params"))
    localised = localise_params({k: v for k, v in values.items() if k not in ("reasons", "reason")})
    localised.update({k: values[k] for k in ("reasons", "reason") if k in values})
    return safe_format(str(template), localised)
