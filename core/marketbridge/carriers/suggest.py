"""The library step of the ``detect_carrier`` policy in one call (S4).

:func:`suggest` detects the carrier of a shipment's tracking number, decides
whether the best candidate is safe to use and turns it into the marketplace's
exact code. When it cannot, it says why in plain English, so the shipment can
fall back to the default carrier with the reason in the order history instead
of being sent silently as "Other".
"""
from __future__ import annotations

from dataclasses import dataclass

from marketbridge.carriers.codes import marketplace_code
from marketbridge.carriers.detect import CarrierMatch, best_match, detect
from marketbridge.decisions import CarrierChoice


@dataclass(frozen=True)
class Suggestion:
    """What the built-in library makes of one shipment.

    ``code`` is the exact marketplace carrier code to send, or ``None``;
    ``carrier`` the candidate it belongs to; ``candidates`` every candidate,
    best first; ``problem`` a plain-English sentence for the merchant when no
    code could be chosen.
    """

    code: str | None
    carrier: CarrierMatch | None
    candidates: tuple[CarrierMatch, ...]
    problem: str | None

    def choice(self) -> CarrierChoice | None:
        """The policy's answer (``source="library"``), or ``None`` to let the default carrier apply."""
        if self.code is None or self.carrier is None:
            return None
        return CarrierChoice(self.code, "library", self.carrier.carrier_name)


def _names(matches: list[CarrierMatch]) -> str:
    names = list(dict.fromkeys(m.carrier_name for m in matches))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def suggest(tracking_number: str, shop_carrier_name: str | None, country: str | None,
            accepted_codes: frozenset[str] | None) -> Suggestion:
    """Pick the marketplace carrier code for a tracking number, or explain why not.

    Receives the shipment's tracking number, the shop's carrier name, the
    ISO 3166 alpha-2 country and the marketplace's accepted codes (``None``:
    free text). Uses :func:`~marketbridge.carriers.detect.detect`,
    :func:`~marketbridge.carriers.detect.best_match` and
    :func:`~marketbridge.carriers.codes.marketplace_code`. Never raises.
    """
    matches = detect(tracking_number, shop_carrier_name, country)
    best = best_match(matches)
    if best is None:
        if not matches and not (tracking_number or "").strip():
            problem = ("The shipment has no tracking number and Marketbridge does not know the shop's carrier "
                       f"name {shop_carrier_name or ''!r}. Add a carrier rule for that name or check the default "
                       "carrier.")
        elif not matches:
            problem = (f"Marketbridge does not recognise the carrier of tracking number {tracking_number!r}. "
                       "Add a carrier rule for it or check the default carrier.")
        else:
            problem = (f"Tracking number {tracking_number!r} could belong to {_names(matches[:3])}; "
                       "Marketbridge will not guess. Add a carrier rule or name the carrier in the shop.")
        return Suggestion(None, None, tuple(matches), problem)
    code = marketplace_code(best.carrier_id, accepted_codes, shop_carrier_name)
    if code is None:
        problem = (f"Tracking number {tracking_number!r} belongs to {best.carrier_name}, but the marketplace "
                   f"accepts no carrier code for {best.carrier_name}. Add a carrier rule with the code to use "
                   "(or \"Other\" with the carrier's name).")
        return Suggestion(None, best, tuple(matches), problem)
    return Suggestion(code, best, tuple(matches), None)
