"""Where a label is bought: shipping labels from the marketplace's shipping service (L1, L2).

For connections whose channel ``buys_labels`` (Amazon Buy Shipping), the
merchant asks for rates for the whole order in one parcel and buys one of the
eligible ones. Buying is exactly once: the attempt is written as a ``label``
outbox row with its idempotency key *before* the channel is called, and a
retry after a crash or a timeout repeats the same key, so the marketplace
hands back the label it already sold instead of selling a second. The
purchase itself tells the marketplace about the shipment (L2), so the order's
lines count as shipped and a later shipment reported by the shop is not sent
again.
"""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from marketbridge.adapters import BoughtLabel, LabelQuote, LabelRequest, Money, NoticeLine, Parcel
from marketbridge.engine import history
from marketbridge.engine.checkpoints import checkpoint
from marketbridge.errors import AdapterError, DeliveryRejected
from marketbridge.host import Host
from marketbridge.models import Order, OrderState, OutboxMessage, OutboxState, ShippingLabel, db
from marketbridge.order import OrderStatus

KIND = "label"


class LabelRefused(Exception):
    """Marketbridge will not ask for or buy a label for this order; ``str()`` says why in plain words."""


def offered(host: Host, order: Order) -> bool:
    """Whether the order page offers labels: the channel sells them and the order is merchant-fulfilled."""
    channel = host.registry.channels.get(order.connection.account.kind)
    return bool(channel and channel.buys_labels) and order.connection.fulfilment_channel == "merchant"


#: Why no label can be bought, in English (the pages translate each, see ``marketbridge.web.labels``).
NOT_OFFERED = "This marketplace does not sell shipping labels for this connection."
ALREADY_BOUGHT = "A label was already bought for this order; one parcel per order on this route."
PICKUP = "Click & Collect orders are collected in the store; they need no shipping label."
TEST_ORDER = "Test orders are never sent to the marketplace, so no label can be bought for them."
NOT_OPEN = "Labels are bought for open orders that are in the shop."
PARTLY_SHIPPED = ("Part of this order was already shipped; labels for further parcels are not offered on this route. "
                  "Use the marketplace's own tools.")


def refusal(host: Host, order: Order) -> str | None:
    """Why no label can be bought for ``order`` now (one of the sentences above), or ``None`` when one can."""
    if not offered(host, order):
        return NOT_OFFERED
    if label_bought(order.id):
        return ALREADY_BOUGHT
    if order.pickup:
        return PICKUP
    if order.is_test:
        return TEST_ORDER
    if order.status in (OrderStatus.CANCELLED.value, OrderStatus.SHIPPED.value) or order.state != OrderState.CREATED:
        return NOT_OPEN
    if any(line.quantity_shipped for line in order.lines) or _shipments_sent(order):
        return PARTLY_SHIPPED
    return None


def quote(host: Host, order: Order, parcel: Parcel, ship_from: Mapping[str, str]) -> LabelQuote:
    """Rates for the whole order in one parcel (L1).

    Raises :class:`LabelRefused` when no label can be bought and
    ``AdapterError`` when the marketplace refused or could not be asked.
    """
    reason = refusal(host, order)
    if reason is not None:
        raise LabelRefused(reason)
    payload = order.payload or {}
    total = payload.get("total") or {}
    request = LabelRequest(
        marketplace_order_id=order.marketplace_order_id,
        lines=tuple(NoticeLine(line.line_id, line.quantity) for line in order.lines),
        parcel=parcel, ship_from=dict(ship_from),
        value=Money(order.total_amount or 0, total.get("currency") or order.currency or "EUR"),
        ship_date=host.clock.now())
    return host.channel_adapter(order.connection).label_rates(request)


def buy(host: Host, order: Order, token: str, rate_id: str) -> ShippingLabel:
    """Buy the label of rate ``rate_id`` from the quote ``token`` once (L2); commits.

    An attempt left unfinished by a crash or a timeout is resumed with its
    own key and choice (the ``token`` and ``rate_id`` given now are then
    not used). Raises :class:`LabelRefused`, ``DeliveryRejected``
    (the marketplace refused: the attempt is closed, a new quote can be
    bought) or another ``AdapterError`` (unknown outcome: the attempt stays
    open and the next try resumes it).
    """
    attempt = _open_attempt(order)
    if attempt is None:
        reason = refusal(host, order)
        if reason is not None:
            raise LabelRefused(reason)
        attempt = _start(host, order, token, rate_id)
    channel = host.channel_adapter(order.connection)
    checkpoint("labels.before_purchase")
    try:
        bought = channel.buy_label(attempt.payload["token"], attempt.payload["rate_id"], attempt.idempotency_key)
    except DeliveryRejected as exc:
        attempt.state, attempt.last_error = OutboxState.FAILED, exc.message
        history.record(order, host.clock.now(), "label_refused", "The marketplace did not sell the label: {error}",
                       error=exc.message)
        db.session.commit()
        raise
    except AdapterError as exc:
        attempt.attempts += 1
        attempt.last_error = exc.message
        db.session.commit()
        raise
    checkpoint("labels.after_purchase")
    return _record(host, order, attempt, bought)


def label_bought(order_id: int) -> bool:
    """Whether a label was bought for the order (its shipment is known to the marketplace already)."""
    return db.session.execute(sa.select(ShippingLabel.id).filter_by(order_id=order_id)).first() is not None


def _shipments_sent(order: Order) -> bool:
    return db.session.execute(sa.select(OutboxMessage.id).where(
        OutboxMessage.order_id == order.id, OutboxMessage.kind == "shipment",
        OutboxMessage.state.in_((OutboxState.SENDING, OutboxState.DELIVERED)))).first() is not None


def _open_attempt(order: Order) -> OutboxMessage | None:
    return db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.order_id == order.id, OutboxMessage.kind == KIND,
        OutboxMessage.state == OutboxState.SENDING)).scalars().first()


def _start(host: Host, order: Order, token: str, rate_id: str) -> OutboxMessage:
    """Write the attempt with a fresh idempotency key before anything is bought; commits."""
    tries = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.order_id == order.id, OutboxMessage.kind == KIND)).scalar_one()
    now = host.clock.now()
    attempt = OutboxMessage(
        connection_id=order.connection_id, order_id=order.id, kind=KIND,
        idempotency_key=f"label:{order.connection_id}:{order.id}:{int(tries) + 1}",
        payload={"marketplace_order_id": order.marketplace_order_id, "token": token, "rate_id": rate_id},
        state=OutboxState.SENDING, attempts=1, next_attempt_at=now, created_at=now)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def _record(host: Host, order: Order, attempt: OutboxMessage, bought: BoughtLabel) -> ShippingLabel:
    now = host.clock.now()
    label = ShippingLabel(order_id=order.id, label_id=bought.label_id, tracking_number=bought.tracking_number,
                          carrier=bought.carrier, service=bought.service, media_type=bought.media_type,
                          document=bought.document, bought_at=now,
                          price_amount=bought.price.amount if bought.price else None,
                          price_currency=bought.price.currency if bought.price else None)
    db.session.add(label)
    attempt.state, attempt.delivered_at, attempt.last_error = OutboxState.DELIVERED, now, None
    attempt.payload = {**attempt.payload, "tracking_number": bought.tracking_number, "label_id": bought.label_id}
    for line in order.lines:
        line.quantity_shipped = line.quantity
    order.shipped_at = now
    history.record(order, now, "label_bought",
                   "Label {tracking} bought ({carrier}, {service}); the marketplace knows the shipment from the "
                   "purchase.", tracking=bought.tracking_number, carrier=bought.carrier, service=bought.service)
    checkpoint("labels.before_commit")
    db.session.commit()
    return label
