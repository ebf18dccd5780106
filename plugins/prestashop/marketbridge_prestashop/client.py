"""The Webservice client: authentication, requests, paging and error translation.

Authentication is HTTP Basic with the Webservice key as user name and an
empty password; the multistore shop context is the ``id_shop`` parameter
(``specs/prestashop/NOTES.md`` "Authentication"). Bodies are XML both ways.
Every failure leaves here as one of :mod:`marketbridge.errors`:

=====================================================  ===============================
Shop answer                                            Exception
=====================================================  ===============================
401 (key unknown/inactive), 403 (key not on shop),     ``AuthenticationFailed`` naming
401 code 26 / 405 code 25 (resource/method not ticked),  the setting or permission
503 code 22 (Webservice switched off)
429 (a proxy or WAF in front of the shop)              ``RateLimited`` after ``Retry-After``
                                                       (seconds or an HTTP date, against
                                                       the adapter's clock)
5xx, 408, timeouts, dropped connections, non-XML body  ``TemporaryFailure``
400 or 404 on a write (a field refused, id vanished)   ``OrderRejected``
=====================================================  ===============================
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from marketbridge.adapters import AdapterContext
from marketbridge.errors import AuthenticationFailed, OrderRejected, RateLimited, TemporaryFailure
from marketbridge.http import retry_after_seconds, transport_errors
from marketbridge_prestashop import xmlcodec
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.spec import resources

_VERB_LABEL = {"GET": "View (GET)", "POST": "Add (POST)", "PUT": "Modify (PUT)", "PATCH": "Modify (PATCH)",
               "DELETE": "Delete (DELETE)", "HEAD": "Fast view (HEAD)"}
_KEY_HELP = ("Check the key in Advanced Parameters > Webservice (it must exist and be enabled) and copy it again "
             "into the connection settings. If the key is right, the web server may drop the Authorization "
             "header (Apache with CGI/FastCGI needs 'CGIPassAuth On'; see the README).")


class Webservice:
    """One shop's Webservice, used by the adapter's parts. Never logs or shows the key."""

    def __init__(self, context: AdapterContext, settings: ShopSettings) -> None:
        self.context = context
        self.settings = settings
        self.what = f"PrestaShop at {urlsplit(settings.api_url).netloc or settings.api_url}"
        #: The shop server's clock at its last answer (``Access-Time`` header), for polling windows.
        self.server_time: datetime | None = None

    # -- reading ------------------------------------------------------------
    def index(self) -> ET.Element:
        """``GET /api/``: the resources and methods the key may use (``examples/api-root.xml``)."""
        root: ET.Element = self._call("GET", "", None)
        return root

    def get(self, resource: str, object_id: int | str) -> dict[str, Any] | None:
        """``GET /api/<resource>/<id>``: the full object, or ``None`` when the shop answers 404."""
        root = self._call("GET", f"{resource}/{object_id}", None, allow_404=True)
        if root is None:
            return None
        return self._entity(root, resource)

    def select(self, resource: str, *, display: str = "full", filters: Mapping[str, str] | None = None,
             sort: str | None = None, limit: tuple[int, int] | None = None, dates: bool = False,
             extra: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """``GET /api/<resource>?display=…&filter[…]=…&sort=…&limit=offset,n`` (one page).

        ``extra`` adds further query parameters as they are (``price[<alias>][use_tax]=1``).
        """
        params: dict[str, str] = {"display": display, **(extra or {})}
        for field, value in (filters or {}).items():
            params[f"filter[{field}]"] = value
        if sort:
            params["sort"] = sort
        if limit:
            params["limit"] = f"{limit[0]},{limit[1]}"
        if dates:
            params["date"] = "1"
        root = self._call("GET", resource, params)
        try:
            return xmlcodec.list_items(root, resource)
        except xmlcodec.MalformedDocument as exc:
            raise self._malformed(str(exc)) from None

    def select_all(self, resource: str, *, page_size: int = 100, **kwargs: Any) -> list[dict[str, Any]]:
        """Every row of a listing. The Webservice gives no total, so pages are read until a short one."""
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.select(resource, limit=(offset, page_size), **kwargs)
            rows.extend(page)
            if len(page) < page_size:
                return rows
            offset += page_size

    # -- writing ------------------------------------------------------------
    def create(self, resource: str, fields: Mapping[str, xmlcodec.FieldValue],
               associations: xmlcodec.Associations | None = None,
               params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``POST /api/<resource>`` with an XML body; returns the created object (HTTP 201)."""
        body = xmlcodec.entity_document(resources()[resource].node, fields, associations)
        return self._entity(self._call("POST", resource, dict(params or {}), body=body), resource)

    def update(self, resource: str, object_id: int | str, fields: Mapping[str, xmlcodec.FieldValue], *,
               method: str = "PATCH", associations: xmlcodec.Associations | None = None,
               params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``PATCH`` (partial) or ``PUT`` (full) ``/api/<resource>/<id>``; returns the saved object."""
        payload = {"id": str(object_id), **{k: v for k, v in fields.items() if k != "id"}}
        body = xmlcodec.entity_document(resources()[resource].node, payload, associations)
        return self._entity(self._call(method, f"{resource}/{object_id}", dict(params or {}), body=body), resource)

    # -- plumbing -----------------------------------------------------------
    def _entity(self, root: ET.Element, resource: str) -> dict[str, Any]:
        try:
            return xmlcodec.record(xmlcodec.entity(root))
        except xmlcodec.MalformedDocument as exc:
            raise self._malformed(f"{resource}: {exc}") from None

    def _malformed(self, detail: str) -> TemporaryFailure:
        return TemporaryFailure(f"{self.what} sent a malformed answer ({detail}); the job is retried.",
                                code="malformed_response")

    def _call(self, method: str, path: str, params: dict[str, str] | None, *, body: bytes | None = None,
              allow_404: bool = False) -> Any:
        query = dict(params or {})
        if self.settings.shop_id is not None:
            query["id_shop"] = str(self.settings.shop_id)
        resource = path.split("/", 1)[0]
        url = f"{self.settings.api_url}/{path}"
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        with transport_errors(self.what):
            response = self.context.http.request(method, url, params=query, data=body, headers=headers,
                                                 auth=(self.settings.key, ""), timeout=self.context.timeout)
        self.context.quota.record(f"{method} {resource or 'api'}")
        access_time = response.headers.get("Access-Time", "")
        if access_time.isdigit():
            self.server_time = datetime.fromtimestamp(int(access_time), timezone.utc)
        self.context.log.debug("PrestaShop %s /api/%s -> %s", method, path, response.status_code)
        if allow_404 and response.status_code == 404:
            return None
        if response.status_code >= 300:
            self._raise_for(response, method, resource)
        try:
            return xmlcodec.parse_document(response.content)
        except xmlcodec.MalformedDocument as exc:
            excerpt = response.text[:120].strip()
            detail = f"{exc}: {excerpt!r}" if excerpt else str(exc)
            raise self._malformed(f"{method} {resource or 'api'}: {detail}") from None

    def _raise_for(self, response: requests.Response, method: str, resource: str) -> None:
        status = response.status_code
        try:
            shop_errors = xmlcodec.errors(xmlcodec.parse_document(response.content))
        except xmlcodec.MalformedDocument:
            shop_errors = []
        codes = {code for code, _ in shop_errors}
        message = "; ".join(text for _, text in shop_errors if text)
        said = f": {message}" if message else ""
        if status in (401, 405) and ("26" in codes or "25" in codes):
            verb = method if "25" in codes else "GET"
            raise AuthenticationFailed(
                f"The Webservice key may not use {verb} on '{resource}'. In Advanced Parameters > Webservice, "
                f"edit the key and tick {_VERB_LABEL.get(verb, verb)} for '{resource}'.",
                code="permission_missing", resource=resource, method=verb)
        if status == 401:
            raise AuthenticationFailed(f"{self.what} refused the Webservice key (HTTP 401{said}). {_KEY_HELP}",
                                       code="key_refused", status=status)
        if status == 403:
            shop = self.settings.shop_id
            hint = (f"Edit the key in Advanced Parameters > Webservice and tick shop {shop} under 'Shop association'."
                    if shop else "Edit the key in Advanced Parameters > Webservice and tick your shop under "
                                 "'Shop association'.")
            raise AuthenticationFailed(f"{self.what} does not let this key work in the shop (HTTP 403{said}). {hint}",
                                       code="shop_not_allowed", status=status)
        if status == 503 and "22" in codes:
            raise AuthenticationFailed(
                "The PrestaShop Webservice is switched off. Enable it in Advanced Parameters > Webservice "
                "('Enable PrestaShop's webservice': Yes).", code="webservice_disabled")
        now = self.context.clock.now()
        if status == 429:
            raise RateLimited(f"{self.what} asked Marketbridge to slow down (HTTP 429); the job waits and retries.",
                              retry_after=retry_after_seconds(response, 60.0, now=now), status=status)
        if status >= 500 or status == 408:
            raise TemporaryFailure(f"{self.what} had an internal error (HTTP {status}{said}); the job is retried.",
                                   code="shop_error", status=status, shop_errors=shop_errors,
                                   retry_after=retry_after_seconds(response, 0.0, now=now) or None)
        if method in ("POST", "PUT", "PATCH") and status in (400, 404):
            raise OrderRejected(f"PrestaShop refused to save the {resource.replace('_', ' ')}{said}.",
                                code="field_rejected", status=status, resource=resource, shop_errors=shop_errors)
        raise TemporaryFailure(f"{self.what} answered HTTP {status} to {method} {resource}{said}.",
                               code="unexpected_status", status=status, shop_errors=shop_errors)
