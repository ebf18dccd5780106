"""Sellers v1 ``getMarketplaceParticipations``: the emulator's marketplaces."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response

from marketbridge_amazon.marketplaces import MARKETPLACES

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

_LANGUAGES = {"DE": "de_DE", "FR": "fr_FR", "IT": "it_IT", "ES": "es_ES", "GB": "en_GB", "US": "en_US"}


def register(emu: AmazonEmulator, app: Flask) -> None:
    @app.get("/sellers/v1/marketplaceParticipations")
    @emu.guarded("getMarketplaceParticipations")
    def marketplace_participations(seller_id: str) -> Response:
        payload = []
        for marketplace_id in emu.marketplace_ids:
            known = MARKETPLACES[marketplace_id]
            payload.append({
                "marketplace": {"id": known.id, "name": f"Amazon.{known.domain.split('amazon.')[-1]}",
                                "countryCode": known.country_code, "defaultCurrencyCode": known.currency,
                                "defaultLanguageCode": _LANGUAGES.get(known.country_code, "en_GB"),
                                "domainName": f"www.{known.domain}"},
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": "Marketbridge Demo Store"})
        return emu.answer({"payload": payload}, operation="getMarketplaceParticipations")
