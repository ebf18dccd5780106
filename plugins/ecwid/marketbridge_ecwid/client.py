"""HTTP access to one Ecwid store: bearer auth, client-side pacing, pagination, error mapping.

Every call goes through :meth:`EcwidClient.call`, which

* sends ``Authorization: Bearer secret_…`` (``specs/ecwid/NOTES.md`` "Base URL, format, auth"),
* paces itself with a token bucket of Ecwid's documented 600 requests per minute
  per token, kept in the adapter's state so several jobs share it, and raises
  :class:`~marketbridge.errors.RateLimited` instead of sleeping,
* reports quota use to ``context.quota``,
* turns transport failures, store-wide errors and malformed bodies into the
  engine's exceptions (:mod:`marketbridge_ecwid.errors`).

Call-specific 4xx answers come back as an :class:`Answer` for the caller to judge.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from marketbridge.adapters import AdapterContext
from marketbridge.errors import RateLimited, TemporaryFailure
from marketbridge.http import json_body, transport_errors
from marketbridge.ratelimit import TokenBucket

from marketbridge_ecwid.errors import EcwidError, raise_for_account, read_error
from marketbridge_ecwid.settings import EcwidConfig

#: Documented limit: 600 requests per minute per token (NOTES.md "Rate limits").
RATE_PER_SECOND = 10.0
#: Burst kept well under the minute's allowance so parallel jobs rarely meet a 429.
BURST = 300.0
#: Ecwid's page size: the maximum and the default of ``limit`` (NOTES.md "Pagination").
PAGE_SIZE = 100

_BUCKET_KEY = "ratelimit"


@dataclass(frozen=True)
class Answer:
    """A 2xx body, or the error of a call-specific 4xx answer."""

    status: int
    body: Any = None
    error: EcwidError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class EcwidClient:
    """Calls one Ecwid store's REST API v3 with the adapter's context."""

    def __init__(self, context: AdapterContext, config: EcwidConfig) -> None:
        self.context = context
        self.config = config
        self.what = f"Ecwid store {config.store_id}"

    # -- pacing -------------------------------------------------------------
    def _bucket(self) -> TokenBucket:
        clock = self.context.clock
        saved = self.context.state.get(_BUCKET_KEY)
        if isinstance(saved, dict):
            try:  # saved with wall-clock time, so another worker process refills it correctly
                return TokenBucket.from_state(saved, clock)
            except (KeyError, TypeError, ValueError):
                pass
        return TokenBucket(rate=RATE_PER_SECOND, burst=BURST, clock=clock)

    def _take(self, operation: str) -> TokenBucket:
        bucket = self._bucket()
        wait = bucket.take()
        self.context.state.set(_BUCKET_KEY, bucket.to_state())
        if wait > 0:
            self.context.quota.record(operation, limit=RATE_PER_SECOND, remaining=0, throttled=True)
            raise RateLimited(
                "Marketbridge paces itself to Ecwid's 600 requests per minute; this job continues shortly.",
                retry_after=wait, operation=operation)
        return bucket

    # -- calls ----------------------------------------------------------------
    def call(self, method: str, path: str, *, operation: str, what: str,
             params: Mapping[str, Any] | None = None, body: Any = None) -> Answer:
        """Send one request to ``{api_url}/{storeId}{path}``.

        Returns an :class:`Answer`: the decoded body of a 2xx answer, or the
        :class:`~marketbridge_ecwid.errors.EcwidError` of a 400/404/409/422.
        Raises ``AuthenticationFailed`` (402, 401/403, unknown store),
        ``RateLimited`` (429 or our own pacing), ``TemporaryFailure``
        (timeouts, dropped connections, 5xx, malformed bodies). ``what`` completes
        "while we tried to …" in messages.
        """
        bucket = self._take(operation)
        headers = {"Authorization": f"Bearer {self.config.access_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        with transport_errors(self.what):
            response = self.context.http.request(
                method, f"{self.config.store_url}{path}", params=dict(params or {}), data=data,
                headers=headers, timeout=self.context.timeout)
        self.context.quota.record(operation, limit=RATE_PER_SECOND, remaining=bucket.available(),
                                  throttled=response.status_code == 429)
        if response.status_code == 429:
            bucket.drain()
            self.context.state.set(_BUCKET_KEY, bucket.to_state())
        raise_for_account(response, operation=operation, what=what, token=self.config.access_token,
                          now=self.context.clock.now())
        if response.status_code >= 400:
            return Answer(response.status_code, error=read_error(response, self.config.access_token))
        return Answer(response.status_code, body=json_body(response, self.what))

    def get(self, path: str, *, operation: str, what: str, params: Mapping[str, Any] | None = None) -> Answer:
        """``GET`` shorthand for :meth:`call`."""
        return self.call("GET", path, operation=operation, what=what, params=params)

    def read(self, path: str, *, operation: str, what: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET`` a JSON object, treating any call-specific error as unexpected.

        Raises ``TemporaryFailure`` (the job is retried and the problem shown)
        when Ecwid refuses a read the adapter builds itself or the body is not
        an object.
        """
        answer = self.get(path, operation=operation, what=what, params=params)
        if answer.error is not None:
            raise TemporaryFailure(
                f"Ecwid refused to {what} ({answer.error.describe()}); Marketbridge retries and reports it "
                "if it keeps happening.", code="ecwid_unexpected_answer", status=answer.status)
        return expect_object(answer.body, self.what)

    def pages(self, path: str, *, operation: str, what: str,
              params: Mapping[str, Any] | None = None, max_pages: int = 1000) -> Iterator[dict[str, Any]]:
        """Yield every item of a search, page by page (``offset`` += 100 until ``offset >= total``)."""
        offset = 0
        for _ in range(max_pages):
            page = self.read(path, operation=operation, what=what,
                             params={**(params or {}), "offset": offset, "limit": PAGE_SIZE})
            items = page_items(page, self.what)
            yield from items
            offset += len(items)
            if not items or offset >= int_field(page, "total", self.what):
                return


def expect_object(body: Any, what: str) -> dict[str, Any]:
    """``body`` if it is a JSON object, else a ``TemporaryFailure`` naming the source."""
    if not isinstance(body, dict):
        raise TemporaryFailure(f"{what} sent an answer of an unexpected shape (not a JSON object)",
                               code="malformed_response")
    return body


def page_items(page: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    """The ``items`` of a search answer; a missing or malformed list is a ``TemporaryFailure``."""
    items = page.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise TemporaryFailure(f"{what} sent a search answer without a valid 'items' list",
                               code="malformed_response")
    return items


def int_field(body: Mapping[str, Any], name: str, what: str) -> int:
    """An integer field of an answer; missing or non-numeric is a ``TemporaryFailure``."""
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemporaryFailure(f"{what} sent an answer without a numeric '{name}'", code="malformed_response")
    return int(value)


__all__ = ["Answer", "EcwidClient", "PAGE_SIZE", "expect_object", "int_field", "page_items"]
