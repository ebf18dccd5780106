"""The Admin API client: OAuth2 token handling, requests, and error translation.

* ``POST /api/oauth/token`` (``client_credentials``) gives a Bearer token living
  600 s without a refresh token; it is cached in the adapter's encrypted state and
  renewed 60 s before it expires (NOTES.md "Authentication").
* The token route has its own limiter (``oauth``: 10 per 10 s, 15 per 30 s, 20 per
  60 s); a local token bucket keeps us below it and a 429 reschedules the job.
* Every answer passes through :meth:`AdminApi.call`, which turns 401/403/429/5xx,
  timeouts and garbled bodies into the engine's exceptions with plain-language
  messages. Secrets and tokens never appear in messages or logs.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping
from urllib.parse import urlparse

import requests

from marketbridge.adapters import AdapterContext
from marketbridge.errors import AdapterError, AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import json_body, raise_for_status, retry_after_seconds, transport_errors
from marketbridge.ratelimit import TokenBucket

from marketbridge_shopware import errors as sw_errors
from marketbridge_shopware import settings as keys

TOKEN_STATE = "shopware.oauth_token"
BUCKET_STATE = "shopware.oauth_bucket"
RENEW_BEFORE = timedelta(seconds=60)
#: Our own pace for the token route: 20 per minute long-run, bursts of 10 (Shopware's ``oauth`` limiter).
TOKEN_RATE, TOKEN_BURST = 20 / 60, 10.0

CREDENTIALS_HINT = (
    f"In the Shopware Administration open {sw_errors.INTEGRATIONS_PAGE}, check that the Marketbridge integration "
    "still exists, create a new secret access key for it, and enter the access key ID and the new secret here "
    "(or reinstall the Marketbridge app, which hands them over by itself)."
)


def privileges_hint(missing: list[str]) -> str:
    """What the merchant must tick when the integration lacks ``missing``."""
    return (f"The Shopware integration lacks the permission(s) {', '.join(missing)}. In {sw_errors.INTEGRATIONS_PAGE}, "
            "edit the Marketbridge integration and give it these permissions (or tick \"Administrator\"); "
            "with the Marketbridge app, update the app so the shop grants the permissions its manifest asks for.")


class AdminApi:
    """One shop's Admin API, used through the adapter context's HTTP session."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        url = str(context.settings.get(keys.SHOP_URL) or "").strip().rstrip("/")
        if url.endswith("/api"):
            url = url[: -len("/api")]
        self.base = f"{url}/api"
        self.what = f"Shopware at {urlparse(url).netloc or url or '(no shop address set)'}"
        self._token: tuple[str, datetime] | None = None

    # -- tokens ----------------------------------------------------------------
    def _credentials(self) -> tuple[str, str]:
        client_id = str(self.context.settings.get(keys.CLIENT_ID) or self.context.secrets.get(keys.CLIENT_ID) or "")
        secret = str(self.context.secrets.get(keys.CLIENT_SECRET) or "")
        if not client_id or not secret or not self.context.settings.get(keys.SHOP_URL):
            raise AuthenticationFailed(
                "The shop address, access key ID or secret access key is missing. " + CREDENTIALS_HINT,
                code="credentials_missing")
        return client_id, secret

    def _bucket(self) -> TokenBucket:
        saved = self.context.state.get(BUCKET_STATE)
        if isinstance(saved, dict):
            try:
                return TokenBucket.from_state(saved, self.context.clock)
            except (KeyError, TypeError, ValueError):
                pass
        return TokenBucket(rate=TOKEN_RATE, burst=TOKEN_BURST, clock=self.context.clock)

    def token(self) -> str:
        """A valid access token: held by this instance, else from the encrypted state, else fetched."""
        now = self.context.clock.now()
        if self._token is not None and self._token[1] - RENEW_BEFORE > now:
            return self._token[0]
        cached = self.context.state.get(TOKEN_STATE)
        if isinstance(cached, dict) and isinstance(cached.get("access_token"), str):
            try:
                expires = datetime.fromisoformat(str(cached.get("expires_at")))
            except ValueError:
                expires = now
            if expires - RENEW_BEFORE > now:
                self._token = (cached["access_token"], expires)
                return cached["access_token"]
        return self._fetch_token(now)

    def forget_token(self) -> None:
        self._token = None
        self.context.state.delete(TOKEN_STATE)

    def _fetch_token(self, now: datetime) -> str:
        client_id, secret = self._credentials()
        bucket = self._bucket()
        wait = bucket.take()
        self.context.state.set(BUCKET_STATE, bucket.to_state())
        if wait:
            self.context.quota.record("oauth_token", limit=TOKEN_RATE, remaining=0, throttled=True)
            raise RateLimited(f"{self.what}: too many token requests; waiting before asking for a new one",
                              retry_after=wait, operation="token")
        with transport_errors(self.what):
            response = self.context.http.post(
                f"{self.base}/oauth/token", timeout=self.context.timeout,
                json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
                headers={"Accept": "application/json"})
        self.context.quota.record("oauth_token", limit=TOKEN_RATE, remaining=bucket.available(),
                                  throttled=response.status_code == 429)
        if response.status_code in (400, 401):
            raise AuthenticationFailed(
                f"{self.what} did not accept the access key ID and secret access key "
                f"(HTTP {response.status_code}). {CREDENTIALS_HINT}", code="credentials_rejected",
                status=response.status_code)
        self._raise_common(response, "token")
        body = json_body(response, self.what)
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(lifetime, int):
            raise TemporaryFailure(f"{self.what} sent a token answer without a token", code="malformed_response")
        expires = now + timedelta(seconds=lifetime)
        self.context.state.set(TOKEN_STATE, {"access_token": token, "expires_at": expires.isoformat()})
        self._token = (token, expires)
        return token

    # -- calls -----------------------------------------------------------------
    def _raise_common(self, response: requests.Response, operation: str) -> None:
        status = response.status_code
        if status == 403:
            missing = sw_errors.missing_privileges(sw_errors.parse_errors(response))
            message = privileges_hint(missing) if missing else (
                f"{self.what} refused access (HTTP 403). {CREDENTIALS_HINT}")
            raise AuthenticationFailed(message, code="missing_privileges", privileges=missing)
        if status == 429:
            wait = sw_errors.retry_seconds(sw_errors.parse_errors(response))
            self.context.quota.record(operation, throttled=True)
            raise RateLimited(f"{self.what} asked us to slow down (HTTP 429)",
                              retry_after=wait if wait is not None else retry_after_seconds(
                                  response, now=self.context.clock.now()),
                              operation=operation)
        raise_for_status(response, self.what, auth_hint=CREDENTIALS_HINT)

    def call(self, method: str, path: str, operation: str, *, json: Any = None,
             params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
             pass_server_errors: bool = False) -> requests.Response:
        """Send one request; return the answer when it is 2xx or a 4xx the caller interprets.

        Raises ``AuthenticationFailed`` (401 after one token renewal, 403 with the missing
        privileges), ``RateLimited`` (429), ``TemporaryFailure`` (5xx unless
        ``pass_server_errors``, timeouts, dropped connections).
        """
        for attempt in (1, 2):
            sent = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json", **(headers or {})}
            with transport_errors(self.what):
                response = self.context.http.request(method, f"{self.base}{path}", json=json, params=params,
                                                     headers=sent, timeout=self.context.timeout)
            self.context.quota.record(operation)
            if response.status_code == 401 and attempt == 1:
                self.forget_token()  # revoked or expired early: one fresh token, then give up
                continue
            if response.status_code >= 500 and pass_server_errors:
                return response
            self._raise_common(response, operation)
            return response
        raise AssertionError("unreachable")

    def body(self, response: requests.Response) -> Any:
        """The decoded JSON body; garbled bodies are a ``TemporaryFailure``."""
        return json_body(response, self.what)

    def search(self, entity: str, criteria: dict[str, Any], operation: str, *, inherit: bool = False) -> list[dict[str, Any]]:
        """``POST /api/search/{entity}`` and return ``data`` (simple JSON format)."""
        headers = {"sw-inheritance": "1"} if inherit else None
        response = self.call("POST", f"/search/{entity}", operation, json=criteria, headers=headers)
        if response.status_code >= 400:
            raise AdapterError(f"{self.what} refused a search on {entity}: "
                               f"{sw_errors.summary(sw_errors.parse_errors(response))}", code="search_refused")
        body = self.body(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise TemporaryFailure(f"{self.what} sent a search answer without a list of {entity} records",
                                   code="malformed_response")
        return data
