"""From carrier to the marketplace's exact carrier code, and from a shop's carrier name to a carrier (S4).

Marketplaces accept only exact codes ("The CarrierCode value must match the
options listed in Seller Central exactly", Amazon; see
``specs/amazon/NOTES.md`` § Carrier codes). Each carrier lists its preferred
spellings in ``data/carriers.json``; :func:`marketplace_code` returns the first
one the marketplace accepts, compared exactly and then ignoring case, spaces
and punctuation (``bpost`` finds ``BPOST``), and falls back to the parent
carrier's codes (DHL Paket → ``DHL-Paket``, else ``DHL``). It never answers
with a generic code such as ``Other``: that decision, and telling the merchant
about it, belongs to the caller.
"""
from __future__ import annotations

from functools import cache

from marketbridge.carriers.datafiles import read_json
from marketbridge.carriers.registry import alias_index, get_carrier, lineage, normalize_name


@cache
def _generic_codes() -> frozenset[str]:
    return frozenset(normalize_name(c) for c in read_json("carriers.json")["generic_codes"])


def carrier_from_name(name: str | None) -> str | None:
    """The carrier id a shop's free-text carrier name means, or ``None`` if unknown or ambiguous.

    Compares after folding case, accents and punctuation. A whole-name alias
    wins (``"UPS Standard"`` → ``ups``); otherwise the longest alias found as a
    run of words inside the name (``"Versand mit DHL Paket"`` → ``dhl_paket``),
    where a product beats its parent (``"Colissimo (La Poste)"`` →
    ``colissimo``). Two unrelated carriers found equally long
    (``"DHL / UPS"``) give ``None``: better no answer than a wrong one.
    """
    text = normalize_name(name or "")
    if not text:
        return None
    index = alias_index()
    if text in index:
        return index[text]
    words = text.split()
    longest: dict[str, int] = {}
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            carrier_id = index.get(" ".join(words[start:end]))
            if carrier_id is not None:
                longest[carrier_id] = max(longest.get(carrier_id, 0), end - start)
    specific = {c: n for c, n in longest.items()
                if not any(c in lineage(other)[1:] for other in longest)}
    if not specific:
        return None
    best = max(specific.values())
    winners = [c for c, n in specific.items() if n == best]
    return winners[0] if len(winners) == 1 else None


def _accepted_spelling(code: str, accepted_codes: frozenset[str]) -> str | None:
    if code in accepted_codes:
        return code
    wanted = normalize_name(code)
    spellings = sorted(c for c in accepted_codes if normalize_name(c) == wanted)
    return spellings[0] if spellings else None


def _shop_name_code(carrier_id: str | None, accepted_codes: frozenset[str], shop_carrier_name: str) -> str | None:
    """The accepted code the shop's carrier name spells, if it names the carrier or a product of it.

    A shop saying ``"DHL Express"`` for a DHL number gets ``"DHL Express"``; a
    shop saying ``"DHL"`` for a DHL Paket number does not override the more
    specific ``"DHL-Paket"``.
    """
    code = _accepted_spelling(shop_carrier_name.strip(), accepted_codes)
    if code is None or normalize_name(code) in _generic_codes():
        return None
    if carrier_id is None:
        return code
    code_carrier = carrier_from_name(code)
    return code if code_carrier is not None and carrier_id in lineage(code_carrier) else None


def marketplace_code(carrier_id: str | None, accepted_codes: frozenset[str] | None,
                     shop_carrier_name: str | None = None) -> str | None:
    """The exact carrier code to send for ``carrier_id``, or ``None`` when the marketplace has none for it.

    Receives a canonical carrier id (from :func:`~marketbridge.carriers.detect`
    or :func:`carrier_from_name`; ``None`` to go by the shop's name alone), the
    marketplace's accepted codes (``ChannelAdapter.carrier_codes()``; ``None``
    means free text) and optionally the shop's carrier name.

    * Free text: returns the carrier's display name (``"DHL Paket"``).
    * A shop name that is itself an accepted code of the carrier or of one of
      its products wins (a shop saying ``"DHL Express"`` for a DHL number gets
      ``"DHL Express"``); without a carrier id any accepted code the shop name
      spells is used, except generic ones (``Other``, ``Sonstige`` …).
    * Otherwise the carrier's preferred spellings, then its parent's.

    Never raises; an unknown carrier id gives ``None``.
    """
    if carrier_id is None and shop_carrier_name:
        if accepted_codes is not None:
            direct = _shop_name_code(None, accepted_codes, shop_carrier_name)
            if direct is not None:
                return direct
        carrier_id = carrier_from_name(shop_carrier_name)
    if carrier_id is None:
        return None
    try:
        chain = lineage(carrier_id)
    except KeyError:
        return None
    if accepted_codes is None:
        return get_carrier(carrier_id).name
    if shop_carrier_name:
        direct = _shop_name_code(carrier_id, accepted_codes, shop_carrier_name)
        if direct is not None:
            return direct
    for member in chain:
        for code in get_carrier(member).codes:
            spelling = _accepted_spelling(code, accepted_codes)
            if spelling is not None:
                return spelling
    return None
