"""Signed webhooks from the shop (APP-SYSTEM.md §3): verification, replay protection, parsing.

A webhook is accepted only when ``shopware-shop-signature`` = HMAC(shop secret, raw body),
its ``timestamp`` (covered by the signature) is recent, and its ``source.eventId``
(stable across Shopware's retries) was not seen before. Parsing turns the body into a
:class:`WebhookCall` naming the orders or products it concerns; the adapter then reads
those orders' events (:meth:`~marketbridge_shopware.adapter.ShopwareShop.events_for_orders`),
so a webhook and the polling fallback report each change with the same event id.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from marketbridge.adapters import StateStore

from marketbridge_shopware.app.signing import ShopSecrets

SIGNATURE_HEADER = "shopware-shop-signature"
#: How old a webhook may be. Shopware retries failed deliveries for seconds to minutes
#: (Messenger: 1 s, 2 s, 4 s; with a busy queue later), polling catches anything older.
MAX_AGE = timedelta(minutes=15)
REPLAY_STATE = "shopware.webhook_events"
#: Product fields whose change is offered to the listings at once (P1, P2).
STOCK_FIELDS = frozenset({"stock", "price"})


class WebhookRejected(Exception):
    """Unsigned, wrongly signed, stale or unreadable: answer 401/400 and do nothing."""


@dataclass(frozen=True)
class WebhookCall:
    """A verified webhook, reduced to what the sync needs."""

    event: str
    shop_id: str
    shop_url: str
    event_id: str | None
    sent_at: datetime
    order_ids: tuple[str, ...] = ()  #: orders whose status, delivery or payment changed
    stock_product_ids: tuple[str, ...] = ()  #: products written with ``stock`` or ``price`` (P2) among the changed fields

    @property
    def lifecycle(self) -> str | None:
        """``installed``/``activated``/``deactivated``/``deleted``/``updated`` for app lifecycle events."""
        name = self.event.replace("_", ".")
        return name.split(".", 1)[1] if name.startswith("app.") else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def verify_webhook(raw_body: bytes, headers: Mapping[str, str], secrets: ShopSecrets, now: datetime) -> WebhookCall:
    """Verify and parse one webhook; raises :class:`WebhookRejected`."""
    if not secrets.accepts(raw_body, _header(headers, SIGNATURE_HEADER), now):
        raise WebhookRejected("The webhook is unsigned or not signed with this shop's secret")
    try:
        body = json.loads(raw_body)
    except ValueError:
        raise WebhookRejected("The webhook body is not JSON") from None
    call = parse_webhook(body)
    if now - call.sent_at > MAX_AGE or call.sent_at - now > timedelta(minutes=5):
        raise WebhookRejected("The webhook is too old (or the shop's clock is wrong); polling picks the change up")
    return call


def _touches_stock(fields: Any) -> bool:
    return isinstance(fields, list) and any(isinstance(f, str) and f in STOCK_FIELDS for f in fields)


def parse_webhook(body: Any) -> WebhookCall:
    """The orders and products a (verified) webhook body concerns."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict) or not isinstance(body.get("source"), dict):
        raise WebhookRejected("The webhook body lacks data or source")
    data, source = body["data"], body["source"]
    event = str(data.get("event") or "")
    stamp = body.get("timestamp")
    if not event or not isinstance(stamp, (int, float)):
        raise WebhookRejected("The webhook body lacks its event name or timestamp")
    payload = data.get("payload")
    orders: list[str] = []
    products: list[str] = []
    if isinstance(payload, dict):
        order = payload.get("order")
        if isinstance(order, dict) and isinstance(order.get("id"), str):
            orders.append(order["id"])
    elif isinstance(payload, list):
        for entry in payload:
            if not isinstance(entry, dict) or not isinstance(entry.get("primaryKey"), str):
                continue
            if entry.get("entity") == "order":
                orders.append(entry["primaryKey"])
            elif entry.get("entity") == "product" and _touches_stock(entry.get("updatedFields")):
                products.append(entry["primaryKey"])
    return WebhookCall(event=event, shop_id=str(source.get("shopId") or ""), shop_url=str(source.get("url") or ""),
                       event_id=str(source["eventId"]) if source.get("eventId") else None,
                       sent_at=datetime.fromtimestamp(float(stamp), timezone.utc),
                       order_ids=tuple(dict.fromkeys(orders)), stock_product_ids=tuple(dict.fromkeys(products)))


class ReplayGuard:
    """Remembers the ``eventId`` of accepted webhooks for :data:`MAX_AGE` in a state store."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def _recent(self, now: datetime) -> dict[str, str]:
        seen = self.state.get(REPLAY_STATE, {})
        return {k: v for k, v in (seen if isinstance(seen, dict) else {}).items()
                if isinstance(v, str) and now - datetime.fromisoformat(v) <= MAX_AGE * 2}

    def seen(self, call: WebhookCall, now: datetime) -> bool:
        """Whether this event id was accepted before (a replay, or a retry of a processed call)."""
        return call.event_id is not None and call.event_id in self._recent(now)

    def remember(self, call: WebhookCall, now: datetime) -> None:
        """Record the event id as processed (joins the caller's transaction with a database store)."""
        if call.event_id is None:
            return
        recent = self._recent(now)
        recent.setdefault(call.event_id, now.isoformat())
        self.state.set(REPLAY_STATE, recent)

    def first_time(self, call: WebhookCall, now: datetime) -> bool:
        """``True`` the first time an event id is seen (and remember it); ``False`` for a replay."""
        if self.seen(call, now):
            return False
        self.remember(call, now)
        return True
