# marketbridge_acme/client.py
"""Every call to Acme Market goes through :class:`AcmeClient`: auth, pacing and error translation.

* The API token comes from ``context.secrets`` and goes into the
  ``Authorization`` header only: never into a message or a log line.
* Calls are paced by a token bucket kept in ``context.state``, which all
  connections of the account share, just as Acme counts per token. An empty
  bucket raises ``RateLimited`` *before* calling; a 429 empties it and raises
  ``RateLimited`` with Acme's ``Retry-After``. Nothing ever sleeps.
* Timeouts, dropped connections, 5xx and malformed bodies become
  ``TemporaryFailure``; 401/403 ``AuthenticationFailed``. Other refusals are
  ``AdapterError`` for reads and ``DeliveryRejected`` for writes, with Acme's
  own reason.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping
from urllib.parse import quote

import requests

from marketbridge.adapters import AdapterContext
from marketbridge.errors import AdapterError, AuthenticationFailed, DeliveryRejected, RateLimited, TemporaryFailure
from marketbridge.http import json_body, raise_for_status, retry_after_seconds, transport_errors
from marketbridge.ratelimit import TokenBucket

from marketbridge_acme.facts import API_URL, BURST, RATE

WHAT = "Acme Market"
AUTH_HINT = ("Create a new API token in Acme Seller Hub → Settings → API (scopes orders:read, orders:write, "
             "stock:write) and paste it into the account's settings.")
BUCKET_KEY = "rate_bucket"


class AcmeClient:
    """Acme's REST API as seen by one adapter instance."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        saved = context.state.get(BUCKET_KEY)
        self.bucket = TokenBucket.from_state(saved, context.clock) if saved else TokenBucket(RATE, BURST, context.clock)

    def read(self, operation: str, path: str, params: Mapping[str, Any] | None = None, *,
             missing_ok: bool = False) -> Any:
        """GET ``path`` and return the JSON body (``None`` for a 404 when ``missing_ok``).

        Raises ``RateLimited``, ``TemporaryFailure``, ``AuthenticationFailed``,
        and ``AdapterError`` when Acme refuses the request itself.
        """
        response = self._call(operation, "GET", path, params=params)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise AdapterError(f"{WHAT} refused {operation}: {_reason(response)}", code="acme_refused")
        return json_body(response, WHAT)

    def write(self, operation: str, method: str, path: str, body: Mapping[str, Any], *,
              key: str | None = None) -> Any:
        """Send ``body`` and return Acme's JSON answer.

        ``key`` goes into the ``Idempotency-Key`` header: Acme answers a repeat
        with the first result instead of acting twice. Raises
        ``DeliveryRejected`` (with Acme's reason) when Acme refuses for good,
        and ``RateLimited``, ``TemporaryFailure``, ``AuthenticationFailed``.
        """
        headers = {"Idempotency-Key": key} if key else {}
        response = self._call(operation, method, path, json=body, headers=headers)
        if response.status_code >= 400:
            raise DeliveryRejected(f"{WHAT} refused {operation}: {_reason(response)}", code="acme_refused")
        return json_body(response, WHAT)

    def _call(self, operation: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              json: Any = None, headers: Mapping[str, str] | None = None) -> requests.Response:
        token = self.context.secrets.get("api_token")
        if not token:
            raise AuthenticationFailed(f"No {WHAT} API token is saved. {AUTH_HINT}")
        wait = self.bucket.take()
        if wait:
            raise RateLimited(f"{WHAT}'s request quota is used up for now", retry_after=wait, operation=operation)
        self._save_bucket()
        url = (self.context.settings.get("api_url") or API_URL).rstrip("/") + path
        with transport_errors(WHAT):
            response = self.context.http.request(method, url, params=params, json=json,
                                                 headers={**(headers or {}), "Authorization": f"Bearer {token}"})
        self.context.log.debug("%s %s %s: HTTP %s", operation, method, path, response.status_code)
        throttled = response.status_code == 429
        self.context.quota.record(operation, limit=RATE, remaining=self.bucket.available(), throttled=throttled)
        if throttled:
            self.bucket.drain()
            self._save_bucket()
            raise RateLimited(f"{WHAT} asked us to slow down (HTTP 429)", operation=operation,
                              retry_after=retry_after_seconds(response, default=1.0, now=self.context.clock.now()))
        raise_for_status(response, WHAT, auth_hint=AUTH_HINT)
        return response

    def _save_bucket(self) -> None:
        """Keep the bucket's level for the account's next job (and its other connections)."""
        self.context.state.set(BUCKET_KEY, self.bucket.to_state())


def order_path(order_id: str, rest: str = "") -> str:
    """``/v1/orders/<id>`` plus ``rest``, with the id escaped for the URL."""
    return f"/v1/orders/{quote(order_id, safe='')}{rest}"


@contextmanager
def answer_of(operation: str) -> Iterator[None]:
    """Turn a missing or mistyped field in Acme's answer into ``TemporaryFailure``, never a ``KeyError``."""
    try:
        yield
    except (KeyError, TypeError, ValueError) as exc:
        raise TemporaryFailure(f"{WHAT} answered {operation} in an unexpected shape ({type(exc).__name__}: {exc})",
                               code="malformed_response") from exc


def _reason(response: requests.Response) -> str:
    """Acme's own words for a refusal, or the bare status code."""
    try:
        error = response.json()["error"]
        return f"{error['message']} ({error['code']})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"
