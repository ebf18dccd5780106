"""Which carrier issued a tracking number: ranked candidates, never a silent guess (S4).

:func:`detect` tries every known format against the number and scores each
carrier it could belong to:

* the format's strength (:data:`~marketbridge.carriers.formats.STRENGTH`): a
  fixed marker with a valid check digit (``1Z…``, S10) beats a marker alone,
  which beats a bare run of digits whose check digit happens to validate,
  which beats a bare length;
* the shop's carrier name: a candidate of the named carrier's family gains
  :data:`NAME_AGREES_BONUS` (and never drops below :data:`NAME_ONLY_CONFIDENCE`),
  a candidate of another family loses :data:`NAME_DISAGREES_PENALTY`; a named
  carrier the number does not fit is still offered at :data:`NAME_ONLY_CONFIDENCE`;
* the country: a carrier at home there gains :data:`COUNTRY_BONUS`.

Several carriers can fit one number (a 12-digit number may pass the check
digits of FedEx, DHL Paket and GLS). All of them are returned, best first;
:func:`best_match` says whether the first is clearly ahead.
"""
from __future__ import annotations

from dataclasses import dataclass

from marketbridge.carriers.codes import carrier_from_name
from marketbridge.carriers.formats import FormatHit, all_formats, normalize_number
from marketbridge.carriers.registry import get_carrier, s10_operators, same_family

NAME_ONLY_CONFIDENCE = 0.7
NAME_AGREES_BONUS = 0.2
NAME_DISAGREES_PENALTY = 0.1
COUNTRY_BONUS = 0.05
ALTERNATE_OPERATOR_PENALTY = 0.1  #: second S10 operator of a country (Parcelforce after Royal Mail)
MAX_CONFIDENCE = 0.99
#: :func:`best_match` defaults: the first candidate must reach this confidence …
AUTOMATIC_MINIMUM = 0.7
#: … and lead the next carrier by at least this much.
AUTOMATIC_MARGIN = 0.05


@dataclass(frozen=True)
class CarrierMatch:
    """One candidate carrier for a tracking number.

    ``carrier_id`` is the canonical id (``"dhl_paket"``, ``"ups"``; see
    ``data/carriers.json``), ``carrier_name`` its display name, ``confidence``
    between 0 and 1. ``format_id``/``format_name`` name the tracking-number
    format that matched, or are ``None`` when only the shop's carrier name
    points here. ``check_digit_verified`` is true when the number carries a
    check digit and it is correct. ``reasons`` explain the score in plain
    English, for the order history.
    """

    carrier_id: str
    carrier_name: str
    confidence: float
    format_id: str | None
    format_name: str | None
    check_digit_verified: bool
    reasons: tuple[str, ...]


def _operators(hit: FormatHit) -> tuple[str, ...]:
    fmt = hit.format
    if fmt.carrier_id is not None:
        return (fmt.carrier_id,)
    return s10_operators(hit.groups.get("CountryCode", ""), hit.groups.get("ServiceType", ""))


def _format_reason(hit: FormatHit, carrier_id: str) -> str:
    fmt = hit.format
    check = "its check digit is valid" if fmt.has_check_digit else "it has no check digit to verify"
    if fmt.carrier_id is None:
        country = hit.groups.get("CountryCode", "")
        return (f"matches the UPU S10 international postal format and {check}; "
                f"country code {country} means it was issued by {get_carrier(carrier_id).name}")
    return f"matches the {fmt.name} format and {check}"


def _admitted(carrier_id: str, named: str | None, country: str | None) -> bool:
    """Whether a hint-only format of this carrier may be offered."""
    return (named is not None and same_family(named, carrier_id)) or (
        country is not None and country in get_carrier(carrier_id).countries)


def _score(base: float, carrier_id: str, reason: str, shop_name: str | None, named: str | None,
           country: str | None) -> tuple[float, list[str]]:
    confidence, reasons = base, [reason]
    if named is not None:
        if same_family(named, carrier_id):
            confidence = max(confidence + NAME_AGREES_BONUS, NAME_ONLY_CONFIDENCE)
            reasons.append(f"the shop's carrier name {shop_name!r} agrees")
        else:
            confidence -= NAME_DISAGREES_PENALTY
            reasons.append(f"but the shop's carrier name {shop_name!r} names {get_carrier(named).name}")
    if country is not None and country in get_carrier(carrier_id).countries:
        confidence += COUNTRY_BONUS
        reasons.append(f"{country} is one of its home countries")
    return round(min(max(confidence, 0.0), MAX_CONFIDENCE), 3), reasons


def detect(tracking_number: str, shop_carrier_name: str | None = None,
           country: str | None = None) -> list[CarrierMatch]:
    """Rank the carriers that could have issued ``tracking_number`` (S4).

    Receives the tracking number as the shop reports it (spaces and case do
    not matter), optionally the shop's free-text carrier name (``"DHL Paket"``,
    ``"La Poste - Colissimo"``) and the ISO 3166 alpha-2 country the parcel
    ships from or to. Returns one :class:`CarrierMatch` per carrier, best
    first, deterministic for the same input (ties keep the data order: corpus
    files alphabetically, then the European formats). Returns an empty list
    when neither the number nor the name points anywhere. Never raises for
    odd input.
    """
    number = normalize_number(tracking_number or "")
    named = carrier_from_name(shop_carrier_name) if shop_carrier_name else None
    country = country.strip().upper() if country else None
    found: dict[str, CarrierMatch] = {}
    for fmt in all_formats() if number else ():
        if fmt.hint_only and fmt.carrier_id and not _admitted(fmt.carrier_id, named, country):
            continue
        hit = fmt.match(number)
        if hit is None:
            continue
        for position, carrier_id in enumerate(_operators(hit)):
            base = fmt.strength - ALTERNATE_OPERATOR_PENALTY * position
            confidence, reasons = _score(base, carrier_id, _format_reason(hit, carrier_id),
                                         shop_carrier_name, named, country)
            previous = found.get(carrier_id)
            if previous is None or confidence > previous.confidence:
                found[carrier_id] = CarrierMatch(
                    carrier_id, get_carrier(carrier_id).name, confidence, fmt.id, fmt.name,
                    fmt.has_check_digit, tuple(reasons))
    if named is not None and not any(same_family(named, c) for c in found):
        reason = f"the shop's carrier name {shop_carrier_name!r} names this carrier"
        if number:
            reason += ", though the tracking number fits none of its known formats"
        confidence, reasons = _score(NAME_ONLY_CONFIDENCE, named, reason, None, None, country)
        found[named] = CarrierMatch(named, get_carrier(named).name, confidence, None, None, False, tuple(reasons))
    return sorted(found.values(), key=lambda m: -m.confidence)


def best_match(matches: list[CarrierMatch], minimum: float = AUTOMATIC_MINIMUM,
               margin: float = AUTOMATIC_MARGIN) -> CarrierMatch | None:
    """The first candidate if it is safe to use without asking, else ``None``.

    Receives :func:`detect`'s list. Safe means its confidence reaches
    ``minimum`` (a bare run of digits whose check digit validates is not
    enough on its own: one random number in ten passes) and it leads the best
    candidate of another carrier family by at least ``margin``. ``None``
    means ambiguous or too weak: fall back to the merchant's default carrier
    and show the candidates.
    """
    if not matches or matches[0].confidence < minimum:
        return None
    top = matches[0]
    rivals = [m for m in matches[1:] if not same_family(m.carrier_id, top.carrier_id)]
    if rivals and round(top.confidence - rivals[0].confidence, 3) < margin:
        return None
    return top
