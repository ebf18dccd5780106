"""Signed admin links (M1): the Administration opens our module in an iframe with a signed query.

:func:`verify_admin_link` accepts the iframe request only when its
``shopware-shop-signature`` is valid and its timestamp recent, and returns what the
page may trust (shop id and URL, languages). The web layer then opens a Marketbridge
session limited to that shop (``login_embedded``) and remembers :func:`link_key` so a
link opens one session only. Nothing is read from an unsigned query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from marketbridge_shopware.app.signing import ShopSecrets, query_signed_by, split_signed_query

MAX_LINK_AGE = timedelta(minutes=5)


class AdminLinkRejected(Exception):
    """The iframe URL is unsigned, wrongly signed or expired."""


@dataclass(frozen=True)
class AdminLink:
    shop_id: str
    shop_url: str
    shopware_version: str | None
    language_id: str | None
    user_language: str | None


def link_shop_id(raw_query: str) -> str | None:
    """The claimed shop id, only to pick which secret to verify with (never trusted by itself)."""
    rest, _ = split_signed_query(raw_query)
    values = parse_qs(rest).get("shop-id")
    return values[0] if values else None


def link_key(raw_query: str) -> str | None:
    """What identifies one signed link (its signature), to refuse a second use."""
    return split_signed_query(raw_query)[1]


def verify_admin_link(raw_query: str, secrets: ShopSecrets, now: datetime) -> AdminLink:
    """Check the signed query of an admin-module request and return its trusted content."""
    if not query_signed_by(secrets, raw_query, now):
        raise AdminLinkRejected("The page was not opened from the Shopware Administration (bad or missing signature)")
    rest, _ = split_signed_query(raw_query)
    params = {k: v[0] for k, v in parse_qs(rest, keep_blank_values=True).items()}
    try:
        sent = datetime.fromtimestamp(int(params["timestamp"]), timezone.utc)
    except (KeyError, ValueError):
        raise AdminLinkRejected("The signed link has no timestamp") from None
    if abs(now - sent) > MAX_LINK_AGE:
        raise AdminLinkRejected("The signed link has expired; reopen the module in the Shopware Administration")
    if not params.get("shop-id"):
        raise AdminLinkRejected("The signed link names no shop")
    return AdminLink(shop_id=params["shop-id"], shop_url=params.get("shop-url", ""),
                     shopware_version=params.get("sw-version"), language_id=params.get("sw-context-language"),
                     user_language=params.get("sw-user-language"))
