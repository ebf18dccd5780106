"""A thin SP-API client over ``requests``: tokens, token buckets, error mapping.

Each call names its operation (the model's ``operationId``), takes a token
from that operation's bucket first, sends ``x-amz-access-token`` (an LWA access
token, or a Restricted Data Token for restricted resources), records the call
for the merchant's quota display, retunes the bucket from
``x-amzn-RateLimit-Limit`` and turns every failure into one of the engine's
exceptions:

===========================  ==============================================
Answer                       Raised
===========================  ==============================================
timeout, connection error    ``TemporaryFailure`` (``timeout``/``unreachable``)
401, 403                     ``AuthenticationFailed`` naming the role to add
404                          :class:`AmazonNotFound` (callers decide)
other 4xx                    :class:`AmazonRejected` with Amazon's error codes
429                          ``RateLimited`` (bucket drained first)
5xx, 408                     ``TemporaryFailure``
malformed JSON               ``TemporaryFailure`` (``malformed_response``)
===========================  ==============================================

No SigV4 signing: Amazon dropped the IAM/AWS signature requirement for SP-API
calls in October 2023; the LWA token in ``x-amz-access-token`` is the credential.
"""
from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import quote

import requests

from marketbridge.adapters import AdapterContext
from marketbridge.errors import AdapterError, AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import transport_errors

from marketbridge_amazon.config import AccountConfig
from marketbridge_amazon.lwa import LwaClient
from marketbridge_amazon.quota import RATE_HEADER, BucketStore

USER_AGENT = "Marketbridge/0.1 (Language=Python)"

#: The SP-API role each operation family needs, for "what to fix" messages.
_ROLES = {
    "searchOrders": "Inventory and Order Tracking (and Direct-to-Consumer Shipping for addresses)",
    "getOrder": "Inventory and Order Tracking (and Direct-to-Consumer Shipping for addresses)",
    "confirmShipment": "Inventory and Order Tracking",
    "updateShipmentStatus": "Inventory and Order Tracking",
    "createRestrictedDataToken": "Direct-to-Consumer Shipping (Restricted)",
    "getReportDocument": "Direct-to-Consumer Shipping (Restricted)",
    "patchListingsItem": "Product Listing",
    "createFeed": "Product Listing",
    "createFeedDocument": "Product Listing",
    "getSupplySources": "Selling Partner Insights",
    "createSupplySource": "Selling Partner Insights",
    "updateSupplySource": "Selling Partner Insights",
    "getRates": "Direct-to-Consumer Delivery / Shipping (Restricted)",
    "purchaseShipment": "Direct-to-Consumer Delivery / Shipping (Restricted)",
}


@dataclass(frozen=True)
class AmazonErrorDetail:
    """One entry of an SP-API ``errors`` list."""

    code: str
    message: str
    details: str = ""


class AmazonRejected(AdapterError):
    """Amazon refused a request (a 4xx other than 401/403/404/429); ``errors`` says why."""

    code = "amazon_rejected"

    def __init__(self, message: str, *, operation: str, status: int, errors: tuple[AmazonErrorDetail, ...] = (),
                 request_id: str | None = None) -> None:
        super().__init__(message, operation=operation, status=status, request_id=request_id)
        self.operation = operation
        self.status = status
        self.errors = errors

    def text(self) -> str:
        """Amazon's own words, one sentence per error."""
        return "; ".join(f"{e.code}: {e.message}" + (f" ({e.details})" if e.details else "") for e in self.errors)


class AmazonNotFound(AmazonRejected):
    """HTTP 404: the order, feed, report or supply source does not exist for this seller."""

    code = "amazon_not_found"


@dataclass
class ApiResponse:
    """A successful answer: status, decoded JSON body (``None`` when empty) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def segment(value: str) -> str:
    """Quote one path segment (SKUs may hold ``/``, spaces, ``#`` …)."""
    return quote(value, safe="")


def _query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Lists become comma-separated values (Swagger 2 ``collectionFormat: csv``); ``None`` is dropped."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def parse_errors(body: Any) -> tuple[AmazonErrorDetail, ...]:
    """Read ``{"errors": [...]}`` (or a bare list) into :class:`AmazonErrorDetail` values."""
    entries: Iterable[Any] = ()
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        entries = body["errors"]
    elif isinstance(body, list):
        entries = body
    found = []
    for entry in entries:
        if isinstance(entry, dict):
            found.append(AmazonErrorDetail(str(entry.get("code", "")), str(entry.get("message", "")),
                                           str(entry.get("details", "") or "")))
    return tuple(found)


class SpApiClient:
    """Calls SP-API operations for one seller account (see the module docstring)."""

    def __init__(self, context: AdapterContext, config: AccountConfig) -> None:
        self.context = context
        self.config = config
        self.http: requests.Session = context.http
        self.buckets = BucketStore(context.state, context.clock, context.quota, config.selling_partner_id)
        self.lwa = LwaClient(context.http, context.clock, context.state, config, context.timeout)

    def call(self, operation: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Any = None, token: str | None = None, headers: Mapping[str, str] | None = None) -> ApiResponse:
        """Send one request of ``operation`` and return its successful answer (see module docstring).

        ``headers`` are the operation's own header parameters (e.g. Shipping v2's
        ``x-amzn-shipping-business-id`` and ``x-amzn-IdempotencyKey``).
        """
        self.buckets.take(operation)
        response = self._send(operation, method, path, params, json, token, headers)
        if response.status_code == 403 and token is None and not self.lwa.fresh:
            # A cached LWA token may have expired early or been revoked: ask LWA once more, which
            # either yields a working token or says invalid_grant (re-authorisation needed).
            self.lwa.invalidate()
            self.buckets.settle(operation, response.headers.get(RATE_HEADER))
            self.buckets.take(operation)
            response = self._send(operation, method, path, params, json, None, headers)
        return self._settle(operation, response)

    def _send(self, operation: str, method: str, path: str, params: Mapping[str, Any] | None, json: Any,
              token: str | None, extra: Mapping[str, str] | None = None) -> requests.Response:
        headers = {**(extra or {}),
            "x-amz-access-token": token or self.lwa.access_token(),
            "x-amz-date": self.context.clock.now().strftime("%Y%m%dT%H%M%SZ"),
            "user-agent": USER_AGENT,
            "accept": "application/json",
        }
        data = None
        if json is not None:
            headers["content-type"] = "application/json"
            data = jsonlib.dumps(json)
        with transport_errors(f"Amazon ({operation})"):
            return self.http.request(method, self.config.endpoint + path, params=_query(params), data=data,
                                     headers=headers, timeout=self.context.timeout)

    def _settle(self, operation: str, response: requests.Response) -> ApiResponse:
        status = response.status_code
        request_id = response.headers.get("x-amzn-RequestId")
        if status == 429:
            wait = self.buckets.settle(operation, response.headers.get(RATE_HEADER), throttled=True)
            raise RateLimited(f"Amazon throttled {operation} (HTTP 429); continuing in {wait:.0f} s",
                              retry_after=wait, operation=operation)
        self.buckets.settle(operation, response.headers.get(RATE_HEADER))
        if 200 <= status < 300:
            return ApiResponse(status, self._decode(operation, response), dict(response.headers))
        if status >= 500 or status == 408:
            raise TemporaryFailure(f"Amazon had an internal error in {operation} (HTTP {status}); retrying later",
                                   status=status, request_id=request_id)
        errors = parse_errors(_lenient_json(response))
        if status in (401, 403):
            role = _ROLES.get(operation, "the role this operation needs")
            said = "; ".join(e.message for e in errors if e.message) or "access denied"
            raise AuthenticationFailed(
                f"Amazon refused {operation} (HTTP {status}: {said}). Make sure your SP-API app has the {role} "
                "role and that the seller authorised the app after the role was added; then authorise again.",
                code="access_denied", operation=operation, status=status, request_id=request_id)
        cls = AmazonNotFound if status == 404 else AmazonRejected
        summary = "; ".join(f"{e.code}: {e.message}" for e in errors) or f"HTTP {status}"
        raise cls(f"Amazon rejected {operation}: {summary}", operation=operation, status=status, errors=errors,
                  request_id=request_id)

    @staticmethod
    def _decode(operation: str, response: requests.Response) -> Any:
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise TemporaryFailure(f"Amazon sent a malformed answer to {operation} (not JSON, HTTP "
                                   f"{response.status_code})", code="malformed_response") from exc


def _lenient_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


