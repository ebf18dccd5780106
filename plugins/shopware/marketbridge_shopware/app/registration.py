"""The registration handshake of a Shopware app (APP-SYSTEM.md §1 and §7).

1. :func:`verify_registration` checks the shop's ``GET <registrationUrl>?shop-id&shop-url&timestamp``:
   ``shopware-app-signature`` = HMAC(app secret, query), and on re-registration also
   ``shopware-shop-signature`` = HMAC(current shop secret, query).
2. :func:`registration_answer` builds ``{"proof", "secret", "confirmation_url"}`` with
   ``proof`` = HMAC(app secret, shop-id + shop-url + app name) and a fresh shop secret.
3. :func:`verify_confirmation` checks the ``POST <confirmation_url>``, signed with the new
   secret (and with the previous one on re-registration), and returns the integration
   credentials the shop hands over (``apiKey``/``secretKey`` → ``client_id``/``client_secret``).

Nothing is trusted before its signature is verified, always over the bytes received.
"""
from __future__ import annotations

import json
import secrets as random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping
from urllib.parse import parse_qs

from marketbridge_shopware.app.signing import ShopSecrets, decoded_form, matches, sign

APP_SIGNATURE = "shopware-app-signature"
SHOP_SIGNATURE = "shopware-shop-signature"
PREVIOUS_SIGNATURE = "shopware-shop-signature-previous"
MAX_CLOCK_SKEW = timedelta(minutes=5)


class RegistrationRejected(Exception):
    """The request or confirmation is not genuine; the message is safe to show and log."""


@dataclass(frozen=True)
class RegistrationRequest:
    shop_id: str
    shop_url: str
    timestamp: int


@dataclass(frozen=True)
class PendingRegistration:
    """What to keep between the answer and the confirmation (the secret is not active yet)."""

    shop_id: str
    shop_url: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class AppCredentials:
    """The result of a confirmed registration: store these encrypted, keyed by ``shop_id``."""

    shop_id: str
    shop_url: str
    api_key: str
    secret_key: str = field(repr=False)
    secrets: ShopSecrets = field(repr=False)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_registration(raw_query: str, headers: Mapping[str, str], app_secret: str, now: datetime, *,
                        known: ShopSecrets | None = None, require_shop_signature: bool = False) -> RegistrationRequest:
    """Check a registration request; ``known`` are the secrets of an already registered shop-id."""
    params = parse_qs(raw_query.lstrip("?"), keep_blank_values=True)
    try:
        shop_id, shop_url, stamp = (params[k][0] for k in ("shop-id", "shop-url", "timestamp"))
        timestamp = int(stamp)
    except (KeyError, IndexError, ValueError):
        raise RegistrationRejected("The registration request lacks shop-id, shop-url or timestamp") from None
    signature = _header(headers, APP_SIGNATURE)
    canonical = f"shop-id={shop_id}&shop-url={shop_url}&timestamp={stamp}"
    raw = raw_query.lstrip("?")
    if not (matches(app_secret, raw, signature) or matches(app_secret, canonical, signature)
            or matches(app_secret, decoded_form(raw), signature)):
        raise RegistrationRejected("The registration request is not signed with this app's secret")
    if abs(now - datetime.fromtimestamp(timestamp, timezone.utc)) > MAX_CLOCK_SKEW:
        raise RegistrationRejected("The registration request is too old (or the shop's clock is wrong)")
    if known is not None:
        shop_signature = _header(headers, SHOP_SIGNATURE)
        if shop_signature is None and require_shop_signature:
            raise RegistrationRejected("Re-registration of a known shop must carry the shop's signature")
        if shop_signature is not None and not any(
                known.accepts(message, shop_signature, now) for message in (raw, canonical)):
            raise RegistrationRejected("The re-registration is not signed with the shop's current secret")
    return RegistrationRequest(shop_id, shop_url, timestamp)


def new_shop_secret() -> str:
    """A fresh shop secret: 64 URL-safe characters, within Shopware's 64..255."""
    return random.token_urlsafe(48)


def registration_answer(request: RegistrationRequest, *, app_name: str, app_secret: str,
                        confirmation_url: str, secret: str | None = None) -> tuple[dict[str, str], PendingRegistration]:
    """The JSON answer to a verified request and the pending registration to keep.

    ``secret`` is the new shop secret (a fresh one when not given); a caller that must
    put it into the confirmation URL generates it first with :func:`new_shop_secret`.
    """
    secret = secret or new_shop_secret()
    body = {"proof": sign(app_secret, f"{request.shop_id}{request.shop_url}{app_name}"), "secret": secret,
            "confirmation_url": confirmation_url}
    return body, PendingRegistration(request.shop_id, request.shop_url, secret)


def verify_confirmation(raw_body: bytes, headers: Mapping[str, str], pending: PendingRegistration, now: datetime, *,
                        previous: ShopSecrets | None = None) -> AppCredentials:
    """Check the confirmation and return the credentials; the new secret becomes current."""
    if not matches(pending.secret, raw_body, _header(headers, SHOP_SIGNATURE)):
        raise RegistrationRejected("The confirmation is not signed with the secret we just issued")
    if previous is not None:
        earlier = _header(headers, PREVIOUS_SIGNATURE)
        if earlier is not None and not matches(previous.current, raw_body, earlier):
            raise RegistrationRejected("The confirmation is not signed with the shop's previous secret")
    try:
        body = json.loads(raw_body)
        api_key, secret_key, shop_id = str(body["apiKey"]), str(body["secretKey"]), str(body["shopId"])
        shop_url = str(body.get("shopUrl") or pending.shop_url)
    except (ValueError, KeyError, TypeError):
        raise RegistrationRejected("The confirmation lacks apiKey, secretKey or shopId") from None
    if shop_id != pending.shop_id:
        raise RegistrationRejected("The confirmation is for another shop")
    rotated = ShopSecrets(current=pending.secret, previous=previous.current if previous else None,
                          rotated_at=now if previous else None)
    return AppCredentials(shop_id, shop_url, api_key, secret_key, rotated)
