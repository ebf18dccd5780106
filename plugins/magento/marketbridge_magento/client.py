"""Authenticated calls to Magento's admin REST API and translation of its failures.

Authentication (specs/magento/NOTES.md, "Authentication"): an *integration*'s
four OAuth 1.0a keys sign every request with HMAC-SHA256 (accepted by default
since 2.4.4), or its access token is sent as ``Authorization: Bearer`` where
the merchant enabled "Allow OAuth Access Tokens to be used as standalone Bearer
tokens". Admin tokens are not used (2FA blocks them).

Errors come as ``{"message": "…%1…", "parameters": [...] | {...}}``; the
client fills the placeholders and raises:

* 401/403 → :class:`~marketbridge.errors.AuthenticationFailed` naming the ACL
  resource and where to grant it,
* 429 → ``RateLimited``, 5xx/408, timeouts, dropped connections and
  non-JSON bodies → ``TemporaryFailure``,
* other 4xx → :class:`ShopRefused`, which each adapter method turns into the
  engine's exception for its context (``OrderRejected`` while creating an order).
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import quote

import requests
from requests_oauthlib import OAuth1

from marketbridge.adapters import AdapterContext
from marketbridge.errors import AdapterError, AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.http import json_body, retry_after_seconds, transport_errors

from marketbridge_magento.settings import AUTH_BEARER, MagentoSettings

INTEGRATIONS_PATH = "System > Extensions > Integrations"
BEARER_SETTING = ("Stores > Configuration > Services > OAuth > Consumer Settings > "
                  "'Allow OAuth Access Tokens to be used as standalone Bearer tokens'")


class ShopRefused(AdapterError):
    """Magento answered a 4xx other than 401/403/429 (validation, unknown entity).

    ``text`` is Magento's message with its placeholders filled; ``status`` the HTTP code.
    Never leaves the plugin: adapter methods translate it.
    """

    code = "shop_refused"

    def __init__(self, text: str, *, status: int, template: str) -> None:
        super().__init__(text, status=status)
        self.text = text
        self.status = status
        self.template = template


def render_message(body: Any) -> tuple[str, str]:
    """Fill Magento's ``%1`` / ``%name`` placeholders; return ``(text, template)``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("message"), str):
        return "", ""
    template: str = body["message"]
    params = body.get("parameters")
    text = template
    if isinstance(params, list):
        for i, value in reversed(list(enumerate(params, start=1))):
            text = text.replace(f"%{i}", str(value))
    elif isinstance(params, Mapping):
        for name in sorted(params, key=len, reverse=True):
            text = text.replace(f"%{name}", str(params[name]))
    return text, template


class MagentoClient:
    """One store's REST endpoint, called through the context's HTTP session."""

    def __init__(self, context: AdapterContext, settings: MagentoSettings) -> None:
        self.context = context
        self.settings = settings
        self.what = f"Magento at {settings.host}"
        secrets = context.secrets
        self._auth: OAuth1 | None = None
        self._headers = {"Accept": "application/json"}
        if settings.auth_mode == AUTH_BEARER:
            self._headers["Authorization"] = f"Bearer {secrets.get('access_token', '')}"
        else:
            self._auth = OAuth1(
                secrets.get("consumer_key", ""), secrets.get("consumer_secret", ""),
                secrets.get("access_token", ""), secrets.get("access_token_secret", ""),
                signature_method="HMAC-SHA256",
            )

    def __repr__(self) -> str:  # never show credentials
        return f"MagentoClient({self.settings.api_base!r}, auth={self.settings.auth_mode})"

    # -- verbs ----------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body=body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, body=body)

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: Any = None) -> Any:
        """Call ``<api_base><path>`` and return the decoded JSON answer (see module docstring for errors)."""
        url = self.settings.api_base + path
        operation = f"{method} {_template(path)}"
        with transport_errors(self.what):
            response = self.context.http.request(
                method, url, params=dict(params or {}), json=body, auth=self._auth,
                headers=self._headers, timeout=self.context.timeout,
            )
        self.context.quota.record(operation, throttled=response.status_code == 429)
        self._raise_for_error(response, operation)
        return json_body(response, self.what)

    # -- errors ---------------------------------------------------------------
    def _raise_for_error(self, response: requests.Response, operation: str) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = None
        text, template = render_message(body)
        if status in (401, 403):
            raise AuthenticationFailed(self.auth_problem(text), status=status)
        if status == 429:  # Retry-After as seconds or an HTTP date, measured on the adapter's clock
            wait = retry_after_seconds(response, default=60.0, now=self.context.clock.now())
            raise RateLimited(f"{self.what} asked Marketbridge to slow down (HTTP 429); retrying in {wait:.0f} s.",
                              retry_after=wait, operation=operation)
        if status >= 500 or status == 408:
            hint = retry_after_seconds(response, default=0.0, now=self.context.clock.now())
            raise TemporaryFailure(f"{self.what} had an internal error (HTTP {status}){': ' + text if text else ''}",
                                   status=status, retry_after=hint or None)
        raise ShopRefused(text or f"HTTP {status} without explanation", status=status, template=template)

    def auth_problem(self, text: str) -> str:
        """A plain-language sentence telling the merchant what to fix for a 401/403."""
        match = re.search(r"access (.+?)\.?$", text)
        resources = match.group(1) if match else "this part of the API"
        message = (f"Magento refused Marketbridge access to {resources}. Check in {INTEGRATIONS_PATH} that the "
                   f"Marketbridge integration is active and that API > Resource Access includes {resources}; "
                   f"after changing it, click 'Reauthorize' and enter the new keys here.")
        return message + self._mode_hint()

    def keys_problem(self) -> str:
        """The sentence for "Magento refused every call": the keys, not a permission, are wrong."""
        return (f"Magento refused every call: the keys entered here do not belong to an active integration. Copy "
                f"them again from {INTEGRATIONS_PATH} > Marketbridge (click 'Reauthorize' if you changed it)."
                + (self._mode_hint() if self.settings.auth_mode == AUTH_BEARER else ""))

    def _mode_hint(self) -> str:
        if self.settings.auth_mode == AUTH_BEARER:
            return (f" You send the access token as a bearer token: Magento 2.4.4+ refuses that unless "
                    f"{BEARER_SETTING} is set to Yes; otherwise switch to OAuth 1.0a and enter all four keys.")
        return " If every call fails, the four integration keys entered here do not match Magento's."


def sku_path(sku: str) -> str:
    """A SKU as one URL path segment (SKUs may contain '/', spaces, '+')."""
    return quote(sku, safe="")


def _template(path: str) -> str:
    """``/orders/42/comments`` → ``/orders/{id}/comments`` for quota display."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path.split("?")[0])
