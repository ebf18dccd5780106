"""Login with Amazon (LWA): exchange the refresh token for access tokens, cached until expiry.

Operation: ``POST https://api.amazon.com/auth/o2/token`` (form-encoded,
``grant_type=refresh_token``), Amazon's "Connecting to the Selling Partner API
→ Step 1. Request a Login with Amazon access token". The answer is
``{access_token, refresh_token, token_type, expires_in}``; errors are OAuth 2.0
bodies ``{error, error_description}``. A revoked or expired grant answers
``invalid_grant``, which becomes ``AuthenticationFailed`` with the code
``reauthorization_required`` (the engine pauses the account and asks the
merchant to authorise again; nothing is deleted).

Access tokens are cached in ``context.state`` (encrypted at rest by the host)
together with a fingerprint of the refresh token they came from, so a new
authorisation never reuses an old grant's token.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

import requests

from marketbridge.adapters import StateStore
from marketbridge.clock import Clock
from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import json_body, retry_after_seconds, transport_errors

from marketbridge_amazon.config import AccountConfig

STATE_KEY = "lwa:access_token"
EXPIRY_MARGIN = 120.0  #: seconds before expiry at which a cached token is renewed

REAUTHORIZE = ("Amazon no longer accepts Marketbridge's authorisation for this seller account (it was revoked in "
               "Seller Central or has expired). Authorise Marketbridge again under Amazon account → Authorise; "
               "your orders, settings and history are kept.")


def fingerprint(refresh_token: str) -> str:
    """A short, non-reversible tag of a refresh token (to tell grants apart in the cache)."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


def token_request(http: requests.Session, url: str, form: Mapping[str, str], timeout: float) -> dict[str, Any]:
    """POST an OAuth form to the LWA token endpoint and return the JSON answer.

    Raises ``AuthenticationFailed`` (``reauthorization_required`` for
    ``invalid_grant``, ``invalid_client`` for wrong app credentials),
    ``RateLimited`` on 429 and ``TemporaryFailure`` for 5xx, timeouts and
    malformed answers. The form (which holds secrets) never reaches a message.
    """
    with transport_errors("Amazon's login service (LWA)"):
        response = http.post(url, data=dict(form), timeout=timeout,
                             headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
    if response.status_code == 429:
        raise RateLimited("Amazon's login service asked us to slow down (HTTP 429)",
                          retry_after=retry_after_seconds(response, 60.0), operation="lwaToken")
    if response.status_code >= 500:
        raise TemporaryFailure(f"Amazon's login service had an internal error (HTTP {response.status_code})",
                               status=response.status_code)
    body = json_body(response, "Amazon's login service (LWA)")
    if not isinstance(body, dict):
        raise TemporaryFailure("Amazon's login service sent an answer that is not a JSON object",
                               code="malformed_response")
    if response.status_code >= 400:
        error = str(body.get("error") or "")
        if error == "invalid_grant":
            raise AuthenticationFailed(REAUTHORIZE, code="reauthorization_required")
        if error in ("invalid_client", "unauthorized_client"):
            raise AuthenticationFailed(
                "Amazon rejected the LWA client identifier or secret. Copy both again from the Solution Provider "
                "Portal (Develop Apps → your app → LWA credentials).", code="invalid_client")
        raise AuthenticationFailed(
            f"Amazon's login service refused the request ({error or 'HTTP ' + str(response.status_code)}). "
            "Authorise Marketbridge again in Seller Central.", code="lwa_refused")
    if not isinstance(body.get("access_token"), str):
        raise TemporaryFailure("Amazon's login service answered without an access token", code="malformed_response")
    return body


class LwaClient:
    """Hands out a valid access token for one seller account, refreshing it when needed."""

    def __init__(self, http: requests.Session, clock: Clock, state: StateStore, config: AccountConfig,
                 timeout: float) -> None:
        self.http = http
        self.clock = clock
        self.state = state
        self.config = config
        self.timeout = timeout
        self.fresh = False  #: whether the last token handed out came straight from LWA

    def access_token(self) -> str:
        """A cached token valid for at least two more minutes, or a fresh one from LWA."""
        cached = self.state.get(STATE_KEY)
        now = self.clock.now().timestamp()
        if (cached and cached.get("grant") == fingerprint(self.config.refresh_token)
                and float(cached.get("expires_at", 0)) - EXPIRY_MARGIN > now):
            self.fresh = False
            return str(cached["token"])
        body = token_request(self.http, self.config.lwa_token_url, {
            "grant_type": "refresh_token",
            "refresh_token": self.config.refresh_token,
            "client_id": self.config.lwa_client_id,
            "client_secret": self.config.lwa_client_secret,
        }, self.timeout)
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        self.state.set(STATE_KEY, {"grant": fingerprint(self.config.refresh_token), "token": body["access_token"],
                                   "expires_at": now + lifetime})
        self.fresh = True
        return str(body["access_token"])

    def invalidate(self) -> None:
        """Forget the cached token (Amazon refused it: expired or revoked)."""
        self.state.delete(STATE_KEY)
