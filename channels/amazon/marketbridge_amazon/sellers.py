"""Marketplace participations (Sellers API v1, ``getMarketplaceParticipations``).

GET ``/sellers/v1/marketplaceParticipations`` (0.016/s, burst 15) returns
``{payload: [{marketplace{id, name, countryCode, defaultCurrencyCode, …},
participation{isParticipating, hasSuspendedListings}, storeName}]}``.
"""
from __future__ import annotations

from dataclasses import dataclass

from marketbridge.errors import TemporaryFailure

from marketbridge_amazon.client import SpApiClient

PATH = "/sellers/v1/marketplaceParticipations"


@dataclass(frozen=True)
class Participation:
    marketplace_id: str
    name: str
    country_code: str
    currency: str
    domain: str
    participating: bool
    suspended_listings: bool


def participations(client: SpApiClient) -> list[Participation]:
    """The account's marketplaces (operation getMarketplaceParticipations)."""
    return parse_participations(client.call("getMarketplaceParticipations", "GET", PATH).body)


def parse_participations(body: object) -> list[Participation]:
    """Read a ``GetMarketplaceParticipationsResponse``; ``TemporaryFailure`` when it has no list."""
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(payload, list):
        raise TemporaryFailure("Amazon answered getMarketplaceParticipations without a list", code="malformed_response")
    found = []
    for entry in payload:
        marketplace = entry.get("marketplace") or {}
        participation = entry.get("participation") or {}
        if not marketplace.get("id"):
            continue
        found.append(Participation(
            str(marketplace["id"]), str(marketplace.get("name") or marketplace["id"]),
            str(marketplace.get("countryCode") or ""), str(marketplace.get("defaultCurrencyCode") or ""),
            str(marketplace.get("domainName") or ""), bool(participation.get("isParticipating")),
            bool(participation.get("hasSuspendedListings"))))
    return found
