"""Integrations, OAuth2 ``client_credentials`` tokens, ACL privileges and the ``oauth`` rate limiter.

* ``POST /api/oauth/token`` issues Bearer tokens valid 600 s (NOTES.md "Authentication").
* Every other call needs a live token; a missing privilege answers 403
  ``FRAMEWORK__MISSING_PRIVILEGE_ERROR`` listing it.
* The token route is limited per client id with Shopware's ``time_backoff`` defaults:
  10 per 10 s, 15 per 30 s, 20 per 60 s (``guides/hosting/infrastructure/rate-limiter.md``).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marketbridge_shopware.emulator import errors

TOKEN_LIFETIME = 600
OAUTH_LIMITS = ((10, 10), (15, 30), (20, 60))  #: (requests, seconds) of the default ``oauth`` limiter


@dataclass
class Integration:
    """An integration (Settings > System > Integrations) or an app's integration."""

    access_key: str
    secret: str
    label: str
    admin: bool = True
    privileges: frozenset[str] = frozenset()
    id: str = field(default_factory=lambda: secrets.token_hex(16))

    def allows(self, privilege: str) -> bool:
        return self.admin or privilege in self.privileges


@dataclass
class AccessToken:
    value: str
    integration: Integration
    expires_at: datetime


class AuthRegistry:
    """The integrations and live tokens of one emulated shop."""

    def __init__(self) -> None:
        self.integrations: dict[str, Integration] = {}
        self.tokens: dict[str, AccessToken] = {}
        self._token_requests: dict[str, list[datetime]] = {}

    def add_integration(self, label: str, *, admin: bool = True, privileges: frozenset[str] = frozenset(),
                        access_key: str | None = None, secret: str | None = None) -> Integration:
        """Create an integration; keys look like Shopware's (``SWIA…`` and a long secret)."""
        integration = Integration(
            access_key=access_key or "SWIA" + secrets.token_hex(11).upper(),
            secret=secret or secrets.token_urlsafe(40),
            label=label, admin=admin, privileges=privileges,
        )
        self.integrations[integration.access_key] = integration
        return integration

    def remove_integration(self, access_key: str) -> None:
        """Delete an integration; its tokens stop working at once."""
        self.integrations.pop(access_key, None)
        self.tokens = {k: t for k, t in self.tokens.items() if t.integration.access_key != access_key}

    def issue(self, client_id: str, client_secret: str, now: datetime) -> AccessToken:
        """Check the rate limit and the credentials, then issue a token."""
        self._throttle(client_id, now)
        integration = self.integrations.get(client_id)
        if integration is None or not secrets.compare_digest(integration.secret, client_secret):
            raise errors.invalid_client()
        token = AccessToken(secrets.token_urlsafe(48), integration, now + timedelta(seconds=TOKEN_LIFETIME))
        self.tokens[token.value] = token
        return token

    def _throttle(self, client_id: str, now: datetime) -> None:
        seen = [t for t in self._token_requests.get(client_id, []) if now - t < timedelta(seconds=60)]
        for limit, window in OAUTH_LIMITS:
            recent = [t for t in seen if now - t < timedelta(seconds=window)]
            if len(recent) >= limit:
                wait = int((recent[0] + timedelta(seconds=window) - now).total_seconds()) + 1
                self._token_requests[client_id] = seen
                raise errors.rate_limited(wait)
        seen.append(now)
        self._token_requests[client_id] = seen

    def authenticate(self, header: str | None, now: datetime) -> Integration:
        """The integration behind an ``Authorization: Bearer …`` header, or a 401."""
        if not header or not header.startswith("Bearer "):
            raise errors.unauthorized("The resource owner or authorization server denied the request.")
        token = self.tokens.get(header[len("Bearer "):].strip())
        if token is None:
            raise errors.unauthorized("Access token could not be verified.")
        if token.expires_at <= now:
            raise errors.unauthorized("Access token is expired.")
        return token.integration

    @staticmethod
    def require(integration: Integration, *privileges: str) -> None:
        """403 naming every privilege ``integration`` lacks."""
        missing = [p for p in privileges if not integration.allows(p)]
        if missing:
            raise errors.missing_privileges(missing)
