"""The shop rows of the Marketbridge app, found by Shopware's ``shop-id``.

A registration stores the shop-id in ``Shop.settings["app_shop_id"]`` and the shop
secret, sealed, in ``Shop.secrets`` next to the integration's secret access key.
Webhooks and admin links name a shop-id only to pick the secret their signature is
checked with; nothing else in them is trusted before that check.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from marketbridge.host import DbState, Host
from marketbridge.models import Shop, db

from marketbridge_shopware import settings as keys
from marketbridge_shopware.app.registration import AppCredentials
from marketbridge_shopware.app.signing import ShopSecrets
from marketbridge_shopware.client import TOKEN_STATE
from marketbridge_shopware.queries import parse_time

KIND = "shopware"
DEACTIVATED = ("The Marketbridge app is deactivated in Shopware (Extensions > My extensions). Syncing with this "
               "shop is paused until you activate the app again.")
DELETED = ("The Marketbridge app was removed from Shopware, and with it Marketbridge's access to the shop. Install "
           "the app again (or enter an integration's access key in the shop settings) to resume syncing.")


def normalise_url(url: str) -> str:
    """``HTTPS://Shop.example.com/api/`` → ``https://shop.example.com`` (for comparing addresses)."""
    text = (url or "").strip().rstrip("/")
    if text.endswith("/api"):
        text = text[: -len("/api")]
    parts = urlsplit(text)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}" if parts.netloc else text.lower()


def _shopware_shops() -> list[Shop]:
    return list(db.session.execute(sa.select(Shop).where(Shop.kind == KIND).order_by(Shop.id)).scalars())


def shop_for_app_id(shop_id: str | None) -> Shop | None:
    """The shop registered under Shopware's ``shop_id``."""
    if not shop_id:
        return None
    return next((s for s in _shopware_shops() if (s.settings or {}).get(keys.APP_SHOP_ID) == shop_id), None)


def app_secrets(host: Host, shop: Shop) -> ShopSecrets | None:
    """The shop secret(s) of ``shop``'s registration; ``None`` when it has none (or the app was removed)."""
    sealed = host.open(shop.secrets)
    current = sealed.get(keys.APP_SHOP_SECRET)
    if not current:
        return None
    return ShopSecrets(current=current, previous=sealed.get(keys.APP_PREVIOUS_SECRET) or None,
                       rotated_at=parse_time((shop.settings or {}).get(keys.APP_ROTATED_AT)))


def save_registration(host: Host, credentials: AppCredentials, shop: Shop | None, now: datetime, *,
                      dual_signed: bool) -> Shop:
    """Store a confirmed registration: a new shop row, or the known one with its new keys and secret.

    A first registration adopts a Shopware shop the merchant already added by hand with the same
    address (so its connections and orders stay), else creates a row named after the address.
    """
    if shop is None:
        address = normalise_url(credentials.shop_url)
        shop = next((s for s in _shopware_shops() if not (s.settings or {}).get(keys.APP_SHOP_ID)
                     and normalise_url(str((s.settings or {}).get(keys.SHOP_URL) or "")) == address), None)
    if shop is None:
        shop = Shop(kind=KIND, name=f"Shopware {urlsplit(credentials.shop_url).netloc or credentials.shop_url}",
                    settings={}, created_at=now)
        db.session.add(shop)
    settings: dict[str, Any] = dict(shop.settings or {})
    settings.update({keys.SHOP_URL: credentials.shop_url, keys.CLIENT_ID: credentials.api_key,
                     keys.APP_SHOP_ID: credentials.shop_id, keys.APP_ACTIVE: True,
                     keys.APP_REGISTERED_AT: now.isoformat(),
                     keys.APP_DUAL_SIGNED: bool(settings.get(keys.APP_DUAL_SIGNED)) or dual_signed})
    rotated = credentials.secrets.rotated_at
    settings[keys.APP_ROTATED_AT] = rotated.isoformat() if rotated else None
    sealed = host.open(shop.secrets) if shop.secrets else {}
    sealed.update({keys.CLIENT_SECRET: credentials.secret_key, keys.APP_SHOP_SECRET: credentials.secrets.current})
    if credentials.secrets.previous:
        sealed[keys.APP_PREVIOUS_SECRET] = credentials.secrets.previous
    else:
        sealed.pop(keys.APP_PREVIOUS_SECRET, None)
    shop.settings, shop.secrets, shop.auth_problem = settings, host.seal(sealed), None
    db.session.flush()
    DbState(host.box, "shop", shop.id).delete(TOKEN_STATE)  # the old integration's token is gone
    return shop


def apply_lifecycle(host: Host, shop: Shop, lifecycle: str) -> None:
    """``app.deactivated`` pauses the shop, ``app.activated`` resumes it, ``app.deleted`` forgets the keys."""
    settings: dict[str, Any] = dict(shop.settings or {})
    if lifecycle == "activated":
        settings[keys.APP_ACTIVE] = True
        if shop.auth_problem == DEACTIVATED:
            shop.auth_problem = None
    elif lifecycle == "deactivated":
        settings[keys.APP_ACTIVE] = False
        shop.auth_problem = DEACTIVATED
    elif lifecycle == "deleted":
        settings[keys.APP_ACTIVE] = False
        sealed = host.open(shop.secrets)
        for key in (keys.CLIENT_SECRET, keys.APP_SHOP_SECRET, keys.APP_PREVIOUS_SECRET):
            sealed.pop(key, None)
        shop.secrets = host.seal(sealed)
        shop.auth_problem = DELETED
        DbState(host.box, "shop", shop.id).delete(TOKEN_STATE)
    shop.settings = settings
