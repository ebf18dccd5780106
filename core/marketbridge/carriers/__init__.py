"""Built-in carrier detection library (requirement S4).

Marketplace-agnostic knowledge of common carriers: their tracking-number
formats and check digits, the names shops give them, and the exact carrier
codes marketplaces accept. The ``detect_carrier`` default policy consults it
after the merchant's own rules and before the connection's default carrier.

* :func:`detect` – rank the carriers that could have issued a tracking number.
* :func:`best_match` – the first candidate if it is safe to use unasked.
* :func:`carrier_from_name` – a shop's free-text carrier name as a carrier id.
* :func:`marketplace_code` – the exact code from a marketplace's accepted list.
* :func:`suggest` – all of the above for one shipment, with a plain-English reason when it must not guess.
* :func:`validate_pattern` / :func:`check_pattern` – test a merchant's rule pattern before saving.

Data lives in ``data/`` (see ``README.md`` in this folder for sources and how
to add a carrier).
"""
from marketbridge.carriers.codes import carrier_from_name, marketplace_code
from marketbridge.carriers.detect import CarrierMatch, best_match, detect
from marketbridge.carriers.patterns import PatternReport, check_pattern, validate_pattern
from marketbridge.carriers.registry import Carrier, all_carriers, get_carrier
from marketbridge.carriers.suggest import Suggestion, suggest

__all__ = [
    "Carrier",
    "CarrierMatch",
    "PatternReport",
    "Suggestion",
    "all_carriers",
    "best_match",
    "carrier_from_name",
    "check_pattern",
    "detect",
    "get_carrier",
    "marketplace_code",
    "suggest",
    "validate_pattern",
]
