"""Installing the Marketbridge Ecwid app with OAuth: the token arrives without copy-paste.

``specs/ecwid/APPS.md`` §3: the merchant is sent to
``https://my.ecwid.com/api/oauth/authorize?client_id=…&redirect_uri=…&response_type=code&scope=…``,
comes back to ``redirect_uri?code=…`` (or ``?error=access_denied``), and the
code is exchanged once with
``GET https://my.ecwid.com/api/oauth/token?client_id=…&client_secret=…&code=…&redirect_uri=…&grant_type=authorization_code``
for ``{"access_token": "secret_…", "scope": "…", "store_id": 1003, …}``.
Tokens do not expire. Exchanging the same code twice disables the first token,
so a code is exchanged exactly once.

Ecwid documents no ``state`` parameter; the web layer protects the round trip
by putting a signed, short-lived value (:mod:`marketbridge_ecwid.signing`) in
the ``redirect_uri`` path, which Ecwid allows below the registered address.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from marketbridge.errors import AuthenticationFailed, TemporaryFailure
from marketbridge.http import transport_errors

from marketbridge_ecwid.settings import DEFAULT_OAUTH_URL

#: What the adapter needs (read_store_profile is always granted).
REQUIRED_SCOPES: tuple[str, ...] = ("read_store_profile", "read_catalog", "read_orders", "update_orders",
                                    "create_orders")
#: What the app asks for: the adapter's needs plus the app page in the Ecwid admin.
APP_SCOPES: tuple[str, ...] = (*REQUIRED_SCOPES, "add_to_cp")


@dataclass(frozen=True)
class TokenGrant:
    """The answer of the token exchange. Tokens never appear in the repr."""

    access_token: str = field(repr=False)
    store_id: int
    scopes: frozenset[str]
    email: str | None = None
    public_token: str | None = field(default=None, repr=False)

    def missing_scopes(self) -> list[str]:
        """Scopes Marketbridge needs that the merchant did not grant."""
        return [s for s in REQUIRED_SCOPES if s not in self.scopes]


def authorize_url(client_id: str, redirect_uri: str, scopes: tuple[str, ...] = APP_SCOPES,
                  oauth_url: str = DEFAULT_OAUTH_URL) -> str:
    """The address to send the merchant to for consent."""
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": " ".join(scopes)})
    return f"{oauth_url.rstrip('/')}/authorize?{query}"


def exchange_code(http: requests.Session, *, client_id: str, client_secret: str, code: str, redirect_uri: str,
                  oauth_url: str = DEFAULT_OAUTH_URL, timeout: float = 30.0) -> TokenGrant:
    """Exchange the one-time ``code`` for the store's token.

    Raises ``AuthenticationFailed`` when Ecwid refuses the code (expired, used,
    wrong redirect address) with what to do, ``TemporaryFailure`` when Ecwid
    cannot be reached or fails.
    """
    params = {"client_id": client_id, "client_secret": client_secret, "code": code,
              "redirect_uri": redirect_uri, "grant_type": "authorization_code"}
    with transport_errors("Ecwid's authorisation service"):
        response = http.get(f"{oauth_url.rstrip('/')}/token", params=params, timeout=timeout)
    if response.status_code >= 500:
        raise TemporaryFailure(f"Ecwid's authorisation service failed (HTTP {response.status_code}); "
                               "try connecting again in a minute.", code="ecwid_oauth_unavailable")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str) \
            or not isinstance(body.get("store_id"), int):
        raise AuthenticationFailed(
            "Ecwid did not accept the authorisation (the link may have expired or been used already). "
            "Start the connection again from the Ecwid admin or the Marketbridge shop page.",
            code="ecwid_oauth_refused", status=response.status_code)
    return TokenGrant(
        access_token=body["access_token"], store_id=body["store_id"],
        scopes=frozenset(str(body.get("scope") or "").split()), email=body.get("email"),
        public_token=body.get("public_token"),
    )
