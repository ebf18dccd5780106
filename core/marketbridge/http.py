"""HTTP plumbing shared by adapters: sessions with timeouts and error translation.

Adapters call remote APIs through ``AdapterContext.http`` (made by
:func:`make_session`) and pass every response through
:func:`raise_for_status`, so each platform's failures arrive at the engine as
the exceptions of :mod:`marketbridge.errors`.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Iterator

import requests

from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure

DEFAULT_TIMEOUT = 30.0


class TimeoutSession(requests.Session):
    """A ``requests.Session`` that applies a default timeout to every request."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(timeout: float = DEFAULT_TIMEOUT, user_agent: str = "Marketbridge") -> TimeoutSession:
    """Return a session for one adapter instance."""
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    return session


@contextmanager
def transport_errors(what: str) -> Iterator[None]:
    """Turn connection errors and timeouts inside the block into ``TemporaryFailure``.

    ``what`` names the remote in the message ("Shopware at shop.example").
    """
    try:
        yield
    except requests.Timeout as exc:
        raise TemporaryFailure(f"{what} did not answer in time", code="timeout") from exc
    except requests.ConnectionError as exc:
        raise TemporaryFailure(f"{what} could not be reached", code="unreachable") from exc
    except requests.RequestException as exc:
        raise TemporaryFailure(f"{what}: request failed ({type(exc).__name__})", code="request_failed") from exc


def retry_after_seconds(response: requests.Response, default: float = 60.0, *, now: datetime | None = None) -> float:
    """Seconds a ``Retry-After`` header asks for (number or HTTP date relative to ``now``), else ``default``.

    Pass ``now`` from the adapter's clock; without it an HTTP-date header is
    compared with the response's own ``Date`` header, else treated as ``default``.
    """
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        reference = now or (parsedate_to_datetime(response.headers["Date"]) if "Date" in response.headers else None)
    except (TypeError, ValueError):
        return default
    if reference is None:
        return default
    return max((when - reference).total_seconds(), 0.0)


def raise_for_status(response: requests.Response, what: str, *, auth_hint: str = "",
                     now: datetime | None = None) -> None:
    """Raise the engine's exception for a failed response; return for 2xx/3xx/4xx-the-adapter-handles.

    * 401, 403 → :class:`AuthenticationFailed` (with ``auth_hint`` telling what to fix)
    * 429 → :class:`RateLimited` with ``Retry-After``
    * 5xx, 408 → :class:`TemporaryFailure`

    Other 4xx are left to the adapter, which knows what they mean for the call.
    Pass ``now`` (the adapter clock's time) so an HTTP-date ``Retry-After`` is
    measured on it.
    """
    status = response.status_code
    if status in (401, 403):
        hint = f" {auth_hint}" if auth_hint else ""
        raise AuthenticationFailed(f"{what} refused the credentials (HTTP {status}).{hint}", status=status)
    if status == 429:
        raise RateLimited(f"{what} asked us to slow down (HTTP 429)", retry_after=retry_after_seconds(response, now=now))
    if status >= 500 or status == 408:
        raise TemporaryFailure(f"{what} had an internal error (HTTP {status})", status=status,
                               retry_after=retry_after_seconds(response, default=0, now=now) or None)


def json_body(response: requests.Response, what: str) -> Any:
    """Parse a JSON body; a malformed one is a ``TemporaryFailure`` (retry), never a crash."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise TemporaryFailure(f"{what} sent a malformed answer (not JSON, HTTP {response.status_code})",
                               code="malformed_response") from exc
