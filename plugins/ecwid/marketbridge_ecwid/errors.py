"""Turn Ecwid's error answers into the engine's exceptions, in words a merchant can act on.

Ecwid answers errors with an HTTP status and, usually, a JSON body
``{"errorCode": "...", "errorMessage": "..."}`` (``specs/ecwid/examples.current.json``
"error_shape"; codes from https://docs.ecwid.com/api-reference/rest-api/rest-api-error-codes).
Some answers have an empty body (a bare 403 for a wrong token has been seen), so
every mapping works from the status alone and uses the code when there is one.

:func:`raise_for_account` handles what concerns the whole store (plan, token,
scopes, rate limit, outages); the caller then decides what a remaining 4xx
means for its own call (an unknown order, a refused field).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

import requests

from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import retry_after_seconds

#: The scope each operation of the adapter needs (Ecwid app settings, "Access scopes").
OPERATION_SCOPES: dict[str, str] = {
    "get_profile": "read_store_profile",
    "list_statuses": "read_store_profile",
    "search_orders": "read_orders",
    "get_order": "read_orders",
    "create_order": "create_orders",
    "update_order": "update_orders",
    "search_products": "read_catalog",
    "get_product": "read_catalog",
}

SCOPE_HELP = (
    "Grant it to your Ecwid custom app (Ecwid admin → #develop-apps → your app → access scopes) and paste "
    "the new secret token, or reinstall the Marketbridge app from the Ecwid App Market so it asks again."
)


@dataclass(frozen=True)
class EcwidError:
    """What an error answer said: HTTP status, Ecwid's error code and message (either may be absent)."""

    status: int
    code: str | None
    message: str | None

    def describe(self) -> str:
        """``"PRODUCT_NOT_FOUND: Product with specified ID was not found"`` or ``"HTTP 400"``."""
        parts = [p for p in (self.code, self.message) if p]
        return ": ".join(parts) if parts else f"HTTP {self.status}"


def read_error(response: requests.Response, token: str | None = None) -> EcwidError:
    """Read status, ``errorCode`` and ``errorMessage`` from an error answer; tolerate any body.

    The message is cut to 300 characters and ``token`` is masked in it, so it is
    safe to show and log.
    """
    code = message = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("errorCode") if isinstance(body.get("errorCode"), str) else None
        message = body.get("errorMessage") if isinstance(body.get("errorMessage"), str) else None
    if message is None and response.reason and response.reason.casefold() != _phrase(response.status_code):
        # The 2020 docs put the explanation in the status line: "HTTP/1.1 400 Field OrderItem.quantity is absent".
        message = response.reason
    if message:
        if token:
            message = message.replace(token, "***")
        message = message[:300]
    return EcwidError(response.status_code, code, message)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.casefold()
    except ValueError:
        return ""


def raise_for_account(response: requests.Response, *, operation: str, what: str, token: str | None = None,
                      now: datetime | None = None) -> None:
    """Raise for answers about the store as a whole; return for 2xx and call-specific 4xx.

    * 402 → :class:`AuthenticationFailed` (plan without API access, suspended store)
    * 401, 403 → :class:`AuthenticationFailed` (wrong token, missing scope)
    * 404 ``STORE_NOT_FOUND`` → :class:`AuthenticationFailed` (wrong store id)
    * 429 → :class:`RateLimited` with ``Retry-After``
    * 408, 5xx → :class:`TemporaryFailure`

    ``now`` (the adapter clock's time) resolves a ``Retry-After`` given as an HTTP date.
    """
    status = response.status_code
    if status < 400:
        return
    error = read_error(response, token)
    if status == 402:
        if error.code == "STORE_IS_SUSPENDED":
            raise AuthenticationFailed(
                "Ecwid says this store is suspended, so the API is closed. Reactivate the store in Ecwid admin "
                "(My Profile → Billing & Plans); Marketbridge resumes once it is active.",
                code="ecwid_store_suspended", status=status)
        raise AuthenticationFailed(
            "This Ecwid store's plan does not include API access (the Free plan has none). Upgrade to a paid "
            "Ecwid plan in Ecwid admin → My Profile → Billing & Plans, then check the connection again.",
            code="ecwid_plan", status=status)
    if status in (401, 403):
        if error.code == "INSUFFICIENT_APP_SCOPE":
            scope = OPERATION_SCOPES.get(operation, "the needed")
            raise AuthenticationFailed(
                f"Ecwid refused to {what}: the access token lacks the '{scope}' permission. {SCOPE_HELP}",
                code="ecwid_scope", status=status, scope=scope)
        raise AuthenticationFailed(
            f"Ecwid did not accept the access token (HTTP {status}). Check the store ID and paste the secret "
            "token (it starts with secret_) again from Ecwid admin → #develop-apps; if the Marketbridge app was "
            "uninstalled, install it again.",
            code="ecwid_token", status=status)
    if status == 404 and error.code == "STORE_NOT_FOUND":
        raise AuthenticationFailed(
            "Ecwid knows no store with this store ID. Enter the number shown at the bottom of the Ecwid admin "
            "Dashboard.", code="ecwid_store_not_found", status=status)
    if status == 429:
        raise RateLimited(
            "Ecwid's limit of 600 requests per minute for this token is used up; Marketbridge waits and retries.",
            retry_after=retry_after_seconds(response, default=60.0, now=now), operation=operation)
    if status == 408 or status >= 500:
        raise TemporaryFailure(
            f"Ecwid had a problem while we tried to {what} ({error.describe()}); Marketbridge retries shortly.",
            code="ecwid_unavailable", status=status,
            retry_after=retry_after_seconds(response, default=0, now=now) or None)
