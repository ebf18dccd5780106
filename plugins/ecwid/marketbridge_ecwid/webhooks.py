"""Ecwid webhooks: signature check, replay protection and parsing (``specs/ecwid/APPS.md`` §1).

Ecwid posts ``{"eventId", "eventCreated", "storeId", "entityId", "eventType", "data"}``
to the app's webhook URL with ``?eventtype=…`` and the header::

    X-Ecwid-Webhook-Signature: base64(HMAC-SHA256(client_secret, "{eventCreated}.{eventId}"))

Only ``eventCreated`` and ``eventId`` are signed, so the rest of the body is a
hint: the adapter re-reads the order or product through the REST API with the
stored token (:meth:`~marketbridge_ecwid.adapter.EcwidShopAdapter.events_for_webhook`)
and never trusts ``data``. A call without the header is not from Ecwid and is
rejected; so is a wrong signature, an ``eventCreated`` older than Ecwid's 24 h
retry period, a foreign store, and an ``eventId`` already processed
(:class:`ReplayGuard`, kept for Ecwid's whole retry period).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from marketbridge.adapters import StateStore
from marketbridge.errors import MarketbridgeError

SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"
#: Adapter-state key: when the last verified webhook reached the shop (``pushes_changes``).
WEBHOOK_SEEN_KEY = "webhook_seen_at"
#: Webhooks count as arriving while the last one is at most this old.
WEBHOOKS_ACTIVE_FOR = timedelta(hours=24)
#: Ecwid retries undelivered webhooks for 24 hours; older events are replays.
MAX_AGE = timedelta(hours=25)


class WebhookRejected(MarketbridgeError):
    """The call is not a genuine, fresh Ecwid webhook; ``reason`` says why (for logs, never secrets)."""

    code = "ecwid_webhook_rejected"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class EcwidWebhook:
    """A verified webhook. ``data`` is unsigned: use it to decide what to re-read, nothing more."""

    event_id: str
    event_type: str
    created: datetime
    store_id: str
    entity_id: str | None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def order_id(self) -> str | None:
        """``data.orderId`` of ``order.*`` events: the id ``GET /orders/{orderId}`` takes."""
        value = self.data.get("orderId")
        return str(value) if value else None

    @property
    def is_order_event(self) -> bool:
        return self.event_type.startswith("order.")

    @property
    def is_product_event(self) -> bool:
        return self.event_type.startswith("product.")


def signature(client_secret: str, event_created: int | str, event_id: str) -> str:
    """The ``X-Ecwid-Webhook-Signature`` value Ecwid computes for an event (standard base64, padded)."""
    digest = hmac.new(client_secret.encode("utf-8"), f"{event_created}.{event_id}".encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(client_secret: str, event_created: int | str, event_id: str, header: str | None) -> bool:
    """Whether ``header`` is Ecwid's signature of the event (constant-time comparison)."""
    if not header or not client_secret:
        return False
    return hmac.compare_digest(signature(client_secret, event_created, event_id), header.strip())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def parse_webhook(body: bytes, headers: Mapping[str, str], *, client_secret: str, now: datetime,
                  store_id: str | None = None, max_age: timedelta = MAX_AGE) -> EcwidWebhook:
    """Verify and parse one webhook call.

    ``now`` comes from the host's clock; ``store_id``, when given, must match
    the body's ``storeId``. Raises :class:`WebhookRejected` for an unsigned,
    forged, malformed, stale or foreign call.
    """
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookRejected("The call carries no Ecwid webhook signature.", reason="unsigned")
    try:
        payload = json.loads(body)
        event_id = payload["eventId"]
        created = payload["eventCreated"]
        event_type = payload["eventType"]
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected("The webhook body is not an Ecwid event.", reason="malformed") from None
    if not isinstance(event_id, str) or isinstance(created, bool) or not isinstance(created, int) \
            or not isinstance(event_type, str):
        raise WebhookRejected("The webhook body is not an Ecwid event.", reason="malformed")
    if not verify_signature(client_secret, created, event_id, header):
        raise WebhookRejected("The Ecwid webhook signature does not match the app's client secret.",
                              reason="bad_signature")
    when = datetime.fromtimestamp(created, tz=timezone.utc)
    if now - when > max_age:
        raise WebhookRejected("The Ecwid webhook is older than Ecwid's retry period: a replay.", reason="stale")
    body_store = str(payload.get("storeId", ""))
    if store_id is not None and body_store != str(store_id):
        raise WebhookRejected("The Ecwid webhook is for another store.", reason="wrong_store")
    entity = payload.get("entityId")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    return EcwidWebhook(event_id=event_id, event_type=event_type, created=when, store_id=body_store,
                        entity_id=str(entity) if entity is not None else None, data=data)


class ReplayGuard:
    """Remembers which event ids of a store were processed, for as long as they could be replayed.

    Ecwid retries an unacknowledged webhook with the same ``eventId`` for 24
    hours, and :func:`parse_webhook` refuses anything older than
    :data:`MAX_AGE`. The guard therefore keeps every processed id until its
    ``eventCreated`` (which is signed, so a replay cannot change it) falls out
    of that window: ids live in one state key per hour of ``eventCreated``,
    and hours older than the window are deleted. Nothing is forgotten early,
    however busy the store.

    :meth:`seen` only reads; :meth:`remember` writes into the adapter state,
    which the host commits with the events the webhook produced, so an event
    whose processing failed is not remembered and Ecwid's retry is processed.
    """

    PREFIX = "webhook_ids:"
    INDEX = "webhook_id_hours"

    def __init__(self, state: StateStore, max_age: timedelta = MAX_AGE) -> None:
        self.state = state
        self.max_age = max_age

    @staticmethod
    def _hour(created: datetime) -> int:
        return int(created.timestamp()) // 3600

    def seen(self, event_id: str, created: datetime) -> bool:
        """Whether ``event_id`` (created at ``created``) was processed already."""
        return event_id in (self.state.get(f"{self.PREFIX}{self._hour(created)}") or [])

    def remember(self, event_id: str, created: datetime, now: datetime) -> None:
        """Record ``event_id`` and drop the hours that can no longer be replayed."""
        hour = self._hour(created)
        key = f"{self.PREFIX}{hour}"
        ids = list(self.state.get(key) or [])
        if event_id not in ids:
            ids.append(event_id)
            self.state.set(key, ids)
        oldest = self._hour(now - self.max_age) - 1
        hours = [h for h in (self.state.get(self.INDEX) or []) if isinstance(h, int)]
        for old in [h for h in hours if h < oldest]:
            self.state.delete(f"{self.PREFIX}{old}")
        kept = sorted({h for h in hours if h >= oldest} | {hour})
        if kept != hours:
            self.state.set(self.INDEX, kept)

    def first_time(self, event_id: str, created: datetime, now: datetime) -> bool:
        """:meth:`seen` then :meth:`remember`; ``False`` when it was already seen."""
        if self.seen(event_id, created):
            return False
        self.remember(event_id, created, now)
        return True


def note_webhook(state: StateStore, now: datetime) -> None:
    """Record that a verified webhook reached the shop now."""
    state.set(WEBHOOK_SEEN_KEY, now.isoformat())


def webhooks_active(state: StateStore, now: datetime, within: timedelta = WEBHOOKS_ACTIVE_FOR) -> bool:
    """Whether a verified webhook reached the shop within ``within`` (then polling is a safety net only)."""
    value = state.get(WEBHOOK_SEEN_KEY)
    try:
        seen = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return seen is not None and timedelta(0) <= now - seen < within
