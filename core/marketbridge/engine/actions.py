"""Things the merchant sends to the marketplace by hand from the order views (S5, K5).

Cancellations, refunds and Click & Collect statuses go through the same
outbox as mapped status changes, with the same idempotency key, so a status
sent by hand and by the mapping is still sent once.
"""
from __future__ import annotations

from marketbridge.engine import history
from marketbridge.engine.shop_changes import enqueue_status
from marketbridge.errors import MarketbridgeError
from marketbridge.host import Host
from marketbridge.models import Order, OrderState, db


class ActionRefused(MarketbridgeError):
    """The action cannot be sent for this order; the message says why."""

    code = "action_refused"


def send_status(host: Host, order: Order, status: str, *, reason: str | None = None,
                lines: list[dict[str, int | str]] | None = None) -> bool:
    """Queue ``status`` (a code of the channel's ``statuses``) for ``order``; commits.

    Returns ``False`` when the same status was already queued or sent; one the
    marketplace refused is queued again (the merchant asks anew).
    Raises :class:`ActionRefused` for test orders, orders not in the shop, or a
    status the marketplace does not take this way.
    """
    if order.is_test:
        raise ActionRefused("Test orders are never sent to the marketplace.", code="test_order")
    if order.state != OrderState.CREATED:
        raise ActionRefused("Only orders that are in the shop can be changed on the marketplace.", code="not_in_shop")
    channel = host.registry.channel(order.connection.account.kind)
    target = next((s for s in channel.statuses if s.code == status), None)
    if target is None:
        raise ActionRefused(f"{channel.label} does not accept \u201c{status}\u201d from Marketbridge.",
                            code="unknown_status", status=status, channel=channel.label)
    if target.needs_tracking:
        raise ActionRefused(f"\u201c{target.label}\u201d is sent with a shipment: ship the order in the shop.",
                            code="needs_tracking", status=target.label)
    queued = enqueue_status(host.clock.now(), order.connection, order, status, shop_status=None, reason=reason,
                            lines=lines or [], retry_failed=True)
    if queued:
        history.record(order, host.clock.now(), "manual_status", "{status} requested from the order page.",
                       status=target.label)
    db.session.commit()
    return queued
