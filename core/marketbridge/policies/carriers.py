"""Default ``detect_carrier`` policy: the merchant's rules, the built-in library, the default carrier (S4).

Rules are tried in the merchant's order. A rule matches when its tracking
pattern matches the whole tracking number (if it has one) and its shop
carrier name equals the shop's carrier name, ignoring case (if it has one).
Then the built-in library (:mod:`marketbridge.carriers`) recognises common
carriers' tracking-number formats and the shop's carrier names, and picks the
marketplace's exact code for them; it never guesses between look-alike
formats. Otherwise the connection's default carrier is used, with the
library's reason as a note; without a default carrier nothing is returned and
the shipment waits with a problem, because a tracking number sent under the
wrong carrier is worse than none.
"""
from __future__ import annotations

import re

from marketbridge import hookimpl
from marketbridge.adapters import ConnectionInfo, Shipped
from marketbridge.carriers.suggest import suggest
from marketbridge.decisions import CarrierChoice
from marketbridge.order import Order


@hookimpl
def detect_carrier(connection: ConnectionInfo, shipment: Shipped, order: Order,
                   carrier_codes: frozenset[str] | None) -> CarrierChoice | None:
    tracking = shipment.tracking_numbers[0] if shipment.tracking_numbers else ""
    shop_carrier = (shipment.carrier or "").strip().casefold()
    for rule in connection.carrier_rules:
        if rule.pattern and not re.fullmatch(rule.pattern, tracking.replace(" ", "")):
            continue
        if rule.shop_carrier and rule.shop_carrier.strip().casefold() != shop_carrier:
            continue
        if not rule.pattern and not rule.shop_carrier:
            continue
        return CarrierChoice(rule.carrier_code, "rule" if rule.pattern else "shop_name", rule.carrier_name)
    country = order.shipping_address.country_code if order.shipping_address else None
    suggestion = suggest(tracking, shipment.carrier, country, carrier_codes)
    library_choice = suggestion.choice()
    if library_choice is not None:
        return library_choice
    if connection.default_carrier:
        return CarrierChoice(connection.default_carrier, "default", shipment.carrier, note=suggestion.problem)
    return None
