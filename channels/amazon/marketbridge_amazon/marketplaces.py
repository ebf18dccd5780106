"""Amazon marketplaces: id, country, currency, region and whether prices include tax.

Marketplace ids and their regions come from Amazon's "Marketplace IDs" page
(developer-docs.amazon.com/sp-api/docs/marketplace-ids), the SP-API endpoints
per region from "SP-API Endpoints". ``prices_include_tax`` follows the
marketplace's consumer-price rules: EU, UK, TR, JP, AU, … show gross prices;
the US and Canada add sales tax on top.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    id: str
    country_code: str
    currency: str
    domain: str
    region: str  #: "na", "eu" or "fe"
    prices_include_tax: bool
    seller_central: str  #: where the seller signs in (consent page, C7)


_ALL = (
    Marketplace("ATVPDKIKX0DER", "US", "USD", "amazon.com", "na", False, "https://sellercentral.amazon.com"),
    Marketplace("A2EUQ1WTGCTBG2", "CA", "CAD", "amazon.ca", "na", False, "https://sellercentral.amazon.ca"),
    Marketplace("A1AM78C64UM0Y8", "MX", "MXN", "amazon.com.mx", "na", True, "https://sellercentral.amazon.com.mx"),
    Marketplace("A2Q3Y263D00KWC", "BR", "BRL", "amazon.com.br", "na", True, "https://sellercentral.amazon.com.br"),
    Marketplace("A1PA6795UKMFR9", "DE", "EUR", "amazon.de", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A13V1IB3VIYZZH", "FR", "EUR", "amazon.fr", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("APJ6JRA9NG5V4", "IT", "EUR", "amazon.it", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A1RKKUPIHCS9HS", "ES", "EUR", "amazon.es", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A1F83G8C2ARO7P", "GB", "GBP", "amazon.co.uk", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A1805IZSGTT6HS", "NL", "EUR", "amazon.nl", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("AMEN7PMS3EDWL", "BE", "EUR", "amazon.com.be", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A2NODRKZP88ZB9", "SE", "SEK", "amazon.se", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A1C3SOZRARQ6R3", "PL", "PLN", "amazon.pl", "eu", True, "https://sellercentral-europe.amazon.com"),
    Marketplace("A33AVAJ2PDY3EV", "TR", "TRY", "amazon.com.tr", "eu", True, "https://sellercentral.amazon.com.tr"),
    Marketplace("A2VIGQ35RCS4UG", "AE", "AED", "amazon.ae", "eu", True, "https://sellercentral.amazon.ae"),
    Marketplace("A17E79C6D8DWNP", "SA", "SAR", "amazon.sa", "eu", True, "https://sellercentral.amazon.sa"),
    Marketplace("ARBP9OOSHTCHU", "EG", "EGP", "amazon.eg", "eu", True, "https://sellercentral.amazon.eg"),
    Marketplace("A21TJRUUN4KGV", "IN", "INR", "amazon.in", "eu", True, "https://sellercentral.amazon.in"),
    Marketplace("A1VC38T7YXB528", "JP", "JPY", "amazon.co.jp", "fe", True, "https://sellercentral.amazon.co.jp"),
    Marketplace("A39IBJ37TRP1C6", "AU", "AUD", "amazon.com.au", "fe", True, "https://sellercentral.amazon.com.au"),
    Marketplace("A19VAU5U5O7RUS", "SG", "SGD", "amazon.sg", "fe", True, "https://sellercentral.amazon.sg"),
)

MARKETPLACES: dict[str, Marketplace] = {m.id: m for m in _ALL}

#: SP-API endpoint per region (Amazon "SP-API Endpoints").
REGION_ENDPOINTS: dict[str, str] = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}

#: Login with Amazon token endpoint (one for every region).
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


def marketplace(marketplace_id: str) -> Marketplace | None:
    """The marketplace with this id, or ``None`` when Marketbridge does not know it."""
    return MARKETPLACES.get(marketplace_id)
