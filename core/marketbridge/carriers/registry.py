"""The carrier registry: canonical ids, names, families, aliases and S10 operators (S4).

Everything here comes from ``data/carriers.json``; this module only indexes it.
A carrier may have a ``parent`` (DHL Paket and DHL Express belong to DHL,
Colissimo to La Poste): a family shares a root, which is what "the shop's name
agrees with the number" and "fall back to the parent's marketplace code" mean.

Postal operators that issue S10 numbers but have no entry of their own get an
id ``post_<country>`` (``post_af``) named after the S10 data's courier
(``Afghan Post``); they have no marketplace codes.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any, Mapping

from marketbridge.carriers.datafiles import read_json

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_POST_ID = re.compile(r"post_([a-z]{2})")


def normalize_name(text: str) -> str:
    """Fold a carrier name for comparison: no accents, lower case, words separated by one space.

    ``"La Poste - Colissimo"`` → ``"la poste colissimo"``, ``"DHL-Päckchen"`` → ``"dhl packchen"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", plain.casefold()).strip()


@dataclass(frozen=True)
class Carrier:
    """A carrier Marketbridge knows.

    ``codes`` are marketplace carrier-code spellings in order of preference
    (Amazon's list); ``aliases`` are normalized names shops use for it;
    ``countries`` are ISO 3166 alpha-2 home markets, a small ranking hint.
    """

    id: str
    name: str
    parent: str | None
    codes: tuple[str, ...]
    aliases: tuple[str, ...]
    countries: tuple[str, ...]


def _carrier(entry: Mapping[str, Any]) -> Carrier:
    return Carrier(
        id=str(entry["id"]),
        name=str(entry["name"]),
        parent=entry.get("parent"),
        codes=tuple(entry.get("codes", ())),
        aliases=tuple(normalize_name(a) for a in entry.get("aliases", ())),
        countries=tuple(entry.get("countries", ())),
    )


@cache
def _registry() -> dict[str, Carrier]:
    carriers = {c.id: c for c in map(_carrier, read_json("carriers.json")["carriers"])}
    for carrier in carriers.values():
        if carrier.parent is not None and carrier.parent not in carriers:
            raise ValueError(f"carrier {carrier.id!r} has unknown parent {carrier.parent!r}")
    return carriers


@cache
def _upu_posts() -> dict[str, str]:
    """Country code → postal operator name, from the S10 data's ``Courier`` lookup."""
    s10 = read_json("tracking_number_data", "s10.json")["tracking_numbers"][0]
    courier = next(a for a in s10["additional"] if a["name"] == "Courier")
    return {str(e["matches"]): str(e["courier"]) for e in courier["lookup"]}


def all_carriers() -> tuple[Carrier, ...]:
    """Every registered carrier, in data order."""
    return tuple(_registry().values())


def get_carrier(carrier_id: str) -> Carrier:
    """The carrier with this id (also ``post_<cc>`` for any UPU member); raises ``KeyError`` otherwise."""
    registry = _registry()
    if carrier_id in registry:
        return registry[carrier_id]
    post = _POST_ID.fullmatch(carrier_id)
    if post and post.group(1).upper() in _upu_posts():
        return Carrier(carrier_id, _upu_posts()[post.group(1).upper()], None, (), (), (post.group(1).upper(),))
    raise KeyError(carrier_id)


def lineage(carrier_id: str) -> tuple[str, ...]:
    """The carrier followed by its parent, grandparent … (``dhl_paket`` → ``("dhl_paket", "dhl")``)."""
    chain = [carrier_id]
    parent = get_carrier(carrier_id).parent
    while parent is not None:
        chain.append(parent)
        parent = get_carrier(parent).parent
    return tuple(chain)


def same_family(first: str, second: str) -> bool:
    """Whether two carriers share a root (DHL Paket and DHL Express do; DHL and Deutsche Post do not)."""
    return lineage(first)[-1] == lineage(second)[-1]


@cache
def alias_index() -> dict[str, str]:
    """Normalized alias → carrier id; raises ``ValueError`` if the data gives one alias two carriers."""
    index: dict[str, str] = {}
    for carrier in all_carriers():
        for alias in (*carrier.aliases, normalize_name(carrier.name)):
            if index.setdefault(alias, carrier.id) != carrier.id:
                raise ValueError(f"alias {alias!r} names both {index[alias]!r} and {carrier.id!r}")
    return index


@cache
def _s10_rules() -> dict[str, list[dict[str, Any]]]:
    return dict(read_json("carriers.json")["s10_operators"])


def s10_operators(country: str, service: str) -> tuple[str, ...]:
    """Carriers that issue S10 numbers with this country code and service indicator, most likely first.

    Uses the first rule of ``s10_operators`` in ``carriers.json`` whose
    ``service`` prefix (if any) starts the service indicator; a UPU member
    without a rule gets its generic ``post_<cc>`` operator.
    """
    for rule in _s10_rules().get(country, ()):
        if service.startswith(rule.get("service", "")):
            return tuple(rule["carriers"])
    if country in _upu_posts():
        return (f"post_{country.lower()}",)
    return ()
