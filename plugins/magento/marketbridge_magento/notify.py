"""Change notifications from an optional Magento observer module, signed with a per-shop secret.

Magento Open Source sends no webhooks, so Marketbridge polls (see :mod:`.changes`).
An integrator who wants changes to reach the marketplaces within seconds adds a
small observer module (README, section 8) that, after an order, shipment or
track is saved, POSTs to ``/magento/notify/<shop id>``::

    X-Marketbridge-Timestamp: 1793610000
    X-Marketbridge-Signature: sha256=<hex HMAC-SHA256(notify secret, "<timestamp>." + raw body)>
    Content-Type: application/json

    {"orders": [42], "shipments": [7]}

The body only *names* entity ids. Marketbridge reads those orders and
shipments back over REST (:meth:`MagentoShopAdapter.events_for`), so a leaked
secret can at worst make Marketbridge look at Magento sooner; it can never
invent a shipment. A notification older than :data:`MAX_AGE_SECONDS`, from the
future, or seen before (same signature) is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Mapping

from marketbridge.clock import Clock

HEADER_TIMESTAMP = "X-Marketbridge-Timestamp"
HEADER_SIGNATURE = "X-Marketbridge-Signature"
MAX_AGE_SECONDS = 300
MAX_CLOCK_SKEW_SECONDS = 60
MAX_IDS = 100
MAX_BODY_BYTES = 64 * 1024


class RefusedNotification(Exception):
    """A notification that must not be acted on; ``status`` is the HTTP answer (401 or 403), ``reason`` safe to show."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class MalformedNotification(ValueError):
    """A correctly signed notification whose body is not ``{"orders": [...], "shipments": [...]}``."""


@dataclass(frozen=True)
class Notification:
    """A verified notification: the ids it names and its signature (the replay key)."""

    timestamp: int
    signature: str
    order_ids: tuple[int, ...]
    shipment_ids: tuple[int, ...]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Marketbridge-Signature`` value for ``body`` sent at ``timestamp`` (PHP: ``'sha256=' . hash_hmac(…)``)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, clock: Clock, body: bytes) -> dict[str, str]:
    """The headers a module sends with ``body`` now (tests and the README's example)."""
    timestamp = int(clock.now().timestamp())
    return {HEADER_TIMESTAMP: str(timestamp), HEADER_SIGNATURE: sign(secret, timestamp, body),
            "Content-Type": "application/json"}


def is_signed(headers: Mapping[str, str]) -> bool:
    """Whether the request carries the two signature headers at all."""
    return bool(headers.get(HEADER_TIMESTAMP)) and bool(headers.get(HEADER_SIGNATURE))


def verify(headers: Mapping[str, str], body: bytes, secret: str, clock: Clock) -> Notification:
    """Check signature and age; return the notification or raise :class:`RefusedNotification`.

    Raises :class:`MalformedNotification` for a correctly signed body that does not parse.
    """
    if not is_signed(headers):
        raise RefusedNotification(401, "The notification is not signed.")
    if not secret:
        raise RefusedNotification(403, "This shop accepts no change notifications (no notification secret is set).")
    try:
        timestamp = int(headers[HEADER_TIMESTAMP])
    except ValueError:
        raise RefusedNotification(401, "The notification's timestamp is not a number.") from None
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), str(headers[HEADER_SIGNATURE]).strip().lower().encode()):
        raise RefusedNotification(401, "The notification's signature is wrong.")
    now = int(clock.now().timestamp())
    if timestamp > now + MAX_CLOCK_SKEW_SECONDS:
        raise RefusedNotification(403, "The notification comes from the future: check the Magento server's clock.")
    if now - timestamp > MAX_AGE_SECONDS:
        raise RefusedNotification(403, "The notification is too old.")
    orders, shipments = parse_body(body)
    return Notification(timestamp, expected, orders, shipments)


def parse_body(body: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The order and shipment entity ids a notification names."""
    try:
        data: Any = json.loads(body or b"{}")
    except ValueError:
        raise MalformedNotification("The notification is not JSON.") from None
    if not isinstance(data, dict):
        raise MalformedNotification("The notification must be a JSON object.")
    out: list[tuple[int, ...]] = []
    for key in ("orders", "shipments"):
        values = data.get(key) or []
        if not isinstance(values, list) or len(values) > MAX_IDS:
            raise MalformedNotification(f"'{key}' must be a list of at most {MAX_IDS} entity ids.")
        try:
            ids = tuple(int(v) for v in values if not isinstance(v, bool))
        except (TypeError, ValueError):
            raise MalformedNotification(f"'{key}' must hold entity ids.") from None
        if len(ids) != len(values) or any(i <= 0 for i in ids):
            raise MalformedNotification(f"'{key}' must hold entity ids.")
        out.append(ids)
    return out[0], out[1]
