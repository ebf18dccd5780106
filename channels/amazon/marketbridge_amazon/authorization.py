"""Website authorisation workflow (C7) and grant expiry (C8) as pure functions.

Amazon's "Website Authorization Workflow": the merchant's browser is sent to
``{seller_central}/apps/authorize/consent?application_id=…&state=…`` (plus
``version=beta`` while the app is in draft, and optionally ``redirect_uri``);
after consent Amazon redirects back with ``state``, ``selling_partner_id`` and
``spapi_oauth_code``. The code is exchanged within five minutes at the LWA
token endpoint with ``grant_type=authorization_code`` for a refresh token.

``state`` is signed with HMAC-SHA256 and carries its own expiry, so the
callback can verify that it started here, for this account, recently.

Grants expire one year after authorisation (seed 001: reminders from one month
before; an expired grant is disabled, not deleted, and renewal restores access
with the same refresh token). :func:`record_grant` keeps the grant date in the
account's state; :func:`grant_status` answers when it expires and whether the
weekly reminder is due.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlencode

import requests

from marketbridge.adapters import StateStore
from marketbridge.errors import AuthenticationFailed

from marketbridge_amazon.lwa import token_request

CONSENT_PATH = "/apps/authorize/consent"
STATE_LIFETIME = timedelta(minutes=10)
GRANT_LIFETIME = timedelta(days=365)
REMIND_FROM = timedelta(days=30)
GRANT_KEY = "authorization:grant"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_state(key: bytes, account_id: str, now: datetime, lifetime: timedelta = STATE_LIFETIME, *,
               nonce: str | None = None, data: Mapping[str, Any] | None = None) -> str:
    """A signed, expiring ``state`` value naming the Marketbridge account being connected.

    ``nonce`` (random when not given) lets the caller make the state single-use;
    ``data`` carries more JSON values (who started, which marketplace), read back by :func:`read_state`.
    """
    payload = {**dict(data or {}), "account": account_id, "expires": int((now + lifetime).timestamp()),
               "nonce": nonce or secrets.token_urlsafe(12)}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def read_state(key: bytes, state: str, now: datetime) -> dict[str, Any]:
    """Everything a valid ``state`` carries; ``AuthenticationFailed`` (``invalid_state``, ``state_expired``) otherwise."""
    try:
        body, signature = state.split(".", 1)
        expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise ValueError("signature")
        payload: dict[str, Any] = json.loads(_unb64(body))
        expires = int(payload["expires"])
        payload["account"] = str(payload["account"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed("The answer from Amazon's consent page could not be verified. Start the "
                                   "authorisation again from Marketbridge.", code="invalid_state") from exc
    if now.timestamp() > expires:
        raise AuthenticationFailed("The authorisation took too long (more than 10 minutes). Start it again from "
                                   "Marketbridge.", code="state_expired")
    return payload


def verify_state(key: bytes, state: str, now: datetime) -> str:
    """The account id carried by a valid ``state``; ``AuthenticationFailed`` (``invalid_state``) otherwise."""
    return str(read_state(key, state, now)["account"])


def consent_url(seller_central: str, application_id: str, state: str, *, redirect_uri: str | None = None,
                beta: bool = False) -> str:
    """The Seller Central consent page URL to redirect the merchant to."""
    query: dict[str, str] = {"application_id": application_id, "state": state}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    if beta:
        query["version"] = "beta"
    return f"{seller_central.rstrip('/')}{CONSENT_PATH}?{urlencode(query)}"


@dataclass(frozen=True)
class Grant:
    """A seller's authorisation: store ``refresh_token`` as a secret, the rest with :func:`record_grant`."""

    selling_partner_id: str
    granted_at: datetime
    refresh_token: str = field(repr=False)

    @property
    def expires_at(self) -> datetime:
        return self.granted_at + GRANT_LIFETIME


def exchange_code(http: requests.Session, token_url: str, *, code: str, client_id: str, client_secret: str,
                  selling_partner_id: str, now: datetime, redirect_uri: str | None = None,
                  timeout: float = 30.0) -> Grant:
    """Exchange ``spapi_oauth_code`` for a refresh token (LWA ``grant_type=authorization_code``).

    Raises ``AuthenticationFailed`` (an expired or reused code answers
    ``invalid_grant``), ``RateLimited`` or ``TemporaryFailure``.
    """
    form = {"grant_type": "authorization_code", "code": code, "client_id": client_id,
            "client_secret": client_secret}
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    body = token_request(http, token_url, form, timeout)
    refresh_token = body.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise AuthenticationFailed("Amazon confirmed the authorisation but sent no refresh token. Start the "
                                   "authorisation again.", code="no_refresh_token")
    return Grant(selling_partner_id=selling_partner_id, granted_at=now, refresh_token=refresh_token)


def record_grant(state: StateStore, grant: Grant) -> None:
    """Remember who authorised and when (never the token itself: that belongs in the secrets)."""
    state.set(GRANT_KEY, {"selling_partner_id": grant.selling_partner_id,
                          "granted_at": grant.granted_at.astimezone(timezone.utc).isoformat()})


@dataclass(frozen=True)
class GrantStatus:
    granted_at: datetime
    expires_at: datetime
    expired: bool
    reminder_due: bool  #: within the last month before expiry (C8: weekly reminders)


def grant_status(state: StateStore, now: datetime) -> GrantStatus | None:
    """Expiry facts of the recorded grant, or ``None`` when no grant date is known."""
    saved = state.get(GRANT_KEY)
    if not saved:
        return None
    granted = datetime.fromisoformat(saved["granted_at"])
    expires = granted + GRANT_LIFETIME
    return GrantStatus(granted, expires, now >= expires, expires - REMIND_FROM <= now < expires)
