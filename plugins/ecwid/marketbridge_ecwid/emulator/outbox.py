"""Webhooks of the emulated store: built, signed and queued like Ecwid's, delivered on demand.

``specs/ecwid/APPS.md`` §1: one webhook URL per installed app, sent only for
events whose read scope the app holds (``read_orders`` for ``order.*``,
``read_catalog`` for ``product.*``), ``POST <url>?eventtype=<type>`` with
``X-Ecwid-Webhook-Signature``; delivered when the receiver answers 200, 201,
202, 204 or 209, otherwise kept for a later attempt.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from marketbridge_ecwid.webhooks import SIGNATURE_HEADER, signature

DELIVERED_STATUSES = frozenset({200, 201, 202, 204, 209})
EVENT_SCOPES = {"order": "read_orders", "unfinished_order": "read_orders", "product": "read_catalog"}


@dataclass
class WebhookCall:
    """One webhook as Ecwid sends it; ``attempts`` counts delivery tries."""

    url: str
    event_type: str
    body: dict[str, Any]
    headers: dict[str, str]
    delivered: bool = False
    attempts: int = 0

    @property
    def raw_body(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class InstalledApp:
    """An app installed in the emulated store (client credentials, scopes, addresses)."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: frozenset[str]
    redirect_uri: str | None = None
    webhook_url: str | None = None


class Outbox:
    """Webhooks waiting for delivery, in the order they were raised."""

    def __init__(self) -> None:
        self.calls: list[WebhookCall] = []

    def add(self, app: InstalledApp | None, body: dict[str, Any]) -> None:
        """Queue ``body`` for ``app`` if it has a webhook URL and the event's read scope."""
        if app is None or not app.webhook_url:
            return
        scope = EVENT_SCOPES.get(body["eventType"].split(".", 1)[0])
        if scope is not None and scope not in app.scopes:
            return
        headers = {"Content-Type": "application/json; charset=UTF-8",
                   SIGNATURE_HEADER: signature(app.client_secret, body["eventCreated"], body["eventId"])}
        separator = "&" if "?" in app.webhook_url else "?"
        url = f"{app.webhook_url}{separator}eventtype={body['eventType']}"
        self.calls.append(WebhookCall(url=url, event_type=body["eventType"], body=body, headers=headers))

    def pending(self) -> list[WebhookCall]:
        return [c for c in self.calls if not c.delivered]

    def deliver(self, http: requests.Session | None = None, timeout: float = 10.0) -> list[int | None]:
        """POST every pending webhook; returns each answer's status (``None`` when unreachable)."""
        session = http or requests.Session()
        results: list[int | None] = []
        for call in self.pending():
            call.attempts += 1
            try:
                response = session.post(call.url, data=call.raw_body, headers=call.headers, timeout=timeout,
                                        allow_redirects=False)
            except requests.RequestException:
                results.append(None)
                continue
            call.delivered = response.status_code in DELIVERED_STATUSES
            results.append(response.status_code)
        return results


class AppClientSession:
    """Just enough of ``requests.Session`` for :meth:`Outbox.deliver` to post through a Flask test client.

    Lets tests deliver the emulator's webhooks to Marketbridge's own receiver
    in-process: ``emulator.deliver_webhooks(AppClientSession(app.test_client()))``.
    ``responses`` keeps every answer.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.responses: list[Any] = []

    def post(self, url: str, data: bytes, headers: dict[str, str], **_: Any) -> Any:
        parts = urlsplit(url)
        response = self.client.post(parts.path, query_string=parts.query, data=data, headers=headers)
        self.responses.append(response)
        return response
