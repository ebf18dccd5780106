"""Statuses a merchant sends by hand (S5, K4, K5), shared by the order page and the pickup overview.

What an order can be sent comes from its channel's ``statuses``: statuses
that travel with a shipment (``needs_tracking``) never; Click & Collect
statuses (``pickup``) only for pickup orders. Orders that are not in the shop
and test orders cannot be changed on the marketplace. The engine's
:func:`~marketbridge.engine.actions.send_status` says the same with an
English :class:`~marketbridge.engine.actions.ActionRefused`; the pages check
first so the merchant reads the reason in their language, and still catch
the refusal (with its English text) should the engine refuse anything else.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketbridge.adapters import MarketplaceStatus
from marketbridge.engine.actions import ActionRefused, send_status
from marketbridge.errors import MarketbridgeError
from marketbridge.host import Host
from marketbridge.models import Connection, Order, OrderState, OutboxMessage, OutboxState, db
from marketbridge.web import i18n

log = logging.getLogger("marketbridge.web")

#: The merchant's words for the statuses channels commonly send.
STATUS_LABELS = {
    "ready_for_pickup": _l("Ready for pickup"),
    "picked_up": _l("Picked up"),
    "refused_pickup": _l("Pickup refused or not collected"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"),
    "shipped": _l("Shipped"),
}
#: What the button on the order page says for a status.
ACTION_LABELS = {
    "cancelled": _l("Cancel on the marketplace"),
    "refunded": _l("Refund"),
    "ready_for_pickup": _l("Mark as ready for pickup"),
    "picked_up": _l("Mark as picked up"),
    "refused_pickup": _l("Mark as refused or not collected"),
}
#: Statuses that need a reason the buyer is told.
NEEDS_REASON = frozenset({"cancelled", "refunded"})
#: Outbox states as merchants read them.
MESSAGE_STATES = {
    OutboxState.PENDING: _l("queued"),
    OutboxState.SENDING: _l("queued"),
    OutboxState.SUBMITTED: _l("queued"),
    OutboxState.DELIVERED: _l("sent"),
    OutboxState.FAILED: _l("failed"),
    OutboxState.SUPERSEDED: _l("replaced"),
}
MESSAGE_STATE_CLASS = {OutboxState.DELIVERED: "ok", OutboxState.FAILED: "bad"}


def channel_class(connection: Connection) -> Any | None:
    """The connection's channel adapter class, or ``None`` when its plugin is not installed."""
    from marketbridge.host import current_host

    try:
        return current_host().registry.channel(connection.account.kind)
    except MarketbridgeError:
        return None


def channel_statuses(connection: Connection) -> tuple[MarketplaceStatus, ...]:
    """Every status the connection's channel can send (empty when its plugin is missing)."""
    cls = channel_class(connection)
    return tuple(getattr(cls, "statuses", ()) or ()) if cls is not None else ()


def status_label(code: str | None, statuses: Iterable[MarketplaceStatus] = (), cls: Any = None) -> str:
    """A status in the merchant's words: ours for common codes, else the channel's label."""
    if not code:
        return ""
    known = STATUS_LABELS.get(code)
    if known is not None:
        return str(known)
    declared = next((s for s in statuses if s.code == code), None)
    return i18n.plugin_text(cls, declared.label) if declared is not None else code


def action_label(status: MarketplaceStatus, cls: Any = None) -> str:
    """The order page's button text for sending ``status``."""
    known = ACTION_LABELS.get(status.code)
    if known is not None:
        return str(known)
    return _("Send \u201c%(status)s\u201d", status=status_label(status.code, (status,), cls))


def sendable(order: Order, statuses: Iterable[MarketplaceStatus]) -> list[MarketplaceStatus]:
    """The statuses this order may be sent by hand: no shipment statuses; pickup ones for pickup orders."""
    return [s for s in statuses if not s.needs_tracking and (order.pickup or not s.pickup)]


def pickup_statuses(statuses: Iterable[MarketplaceStatus]) -> list[MarketplaceStatus]:
    """The channel's Click & Collect statuses (K4)."""
    return [s for s in statuses if s.pickup and not s.needs_tracking]


def order_refusal(order: Order) -> str | None:
    """Why nothing can be sent for this order at all, in plain words; ``None`` when it can."""
    if order.is_test:
        return _("This is a test order: nothing about it is ever sent to the marketplace.")
    if order.state != OrderState.CREATED:
        return _("Only orders that are in the shop can be changed on the marketplace; this one is not (yet).")
    return None


def status_refusal(order: Order, code: str, statuses: Iterable[MarketplaceStatus], cls: Any = None) -> str | None:
    """Why ``code`` cannot be sent for this order, in plain words; ``None`` when it can."""
    refused = order_refusal(order)
    if refused:
        return refused
    statuses = tuple(statuses)
    target = next((s for s in statuses if s.code == code), None)
    label = status_label(code, statuses, cls)
    if target is None:
        return _("This marketplace does not accept \u201c%(status)s\u201d from Marketbridge.", status=label)
    if target.needs_tracking:
        return _("\u201c%(status)s\u201d is sent with a shipment: ship the order in the shop.", status=label)
    if target.pickup and not order.pickup:
        return _("\u201c%(status)s\u201d applies to Click & Collect orders only.", status=label)
    return None


@dataclass
class Outcome:
    """What happened to one order when a status was sent."""

    order: Order
    result: str  #: ``queued``, ``already`` or ``refused``
    text: str

    @property
    def ok(self) -> bool:
        return self.result != "refused"


def send(host: Host, order: Order, code: str, *, reason: str | None = None,
         lines: list[dict[str, int | str]] | None = None) -> Outcome:
    """Send ``code`` for ``order`` through the engine; never raises for a refusal."""
    cls = channel_class(order.connection)
    statuses = channel_statuses(order.connection)
    label = status_label(code, statuses, cls)
    refused = status_refusal(order, code, statuses, cls)
    if refused is not None:
        return Outcome(order, "refused", refused)
    try:
        queued = send_status(host, order, code, reason=reason or None, lines=lines or None)
    except ActionRefused as exc:
        db.session.rollback()
        return Outcome(order, "refused", exc.message)
    except MarketbridgeError as exc:
        db.session.rollback()
        return Outcome(order, "refused", exc.message)
    except Exception:
        db.session.rollback()
        log.exception("sending status %s for order %s failed", code, order.id)
        return Outcome(order, "refused", _("Marketbridge failed unexpectedly; the details are in the server log."))
    if queued:
        return Outcome(order, "queued", _("\u201c%(status)s\u201d is being sent to the marketplace.", status=label))
    return Outcome(order, "already", _("\u201c%(status)s\u201d was already sent for this order; it is not sent twice.",
                                       status=label))


def deliver_soon(connection_ids: Iterable[int]) -> None:
    """Ask the workers to deliver these connections' outboxes now; the scheduler does it anyway if this fails."""
    from marketbridge.jobs import enqueue_delivery

    for connection_id in sorted(set(connection_ids)):
        try:
            enqueue_delivery(connection_id)
        except Exception:
            log.exception("could not enqueue the delivery of connection %s", connection_id)


def status_messages(order_ids: Iterable[int]) -> dict[int, list[OutboxMessage]]:
    """Every status message per order, oldest first (superseded ones left out)."""
    ids = list(set(order_ids))
    found: dict[int, list[OutboxMessage]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.order_id.in_(ids), OutboxMessage.kind == "status",
        OutboxMessage.state != OutboxState.SUPERSEDED).order_by(OutboxMessage.id)).scalars()
    for message in rows:
        found[message.order_id].append(message)  # type: ignore[index]
    return found


def message_state(message: OutboxMessage) -> str:
    """``queued``/``sent``/``failed`` in the merchant's words."""
    label = MESSAGE_STATES.get(message.state)  # type: ignore[call-overload]
    return str(label) if label is not None else message.state


@dataclass
class OrderPanel:
    """What the order page offers to send for one order (S5)."""

    order: Order
    offered: list[tuple[str, str]]  #: ``(status code, button text)``
    refusal: str | None  #: why nothing can be sent, when nothing can
    sent: list[OutboxMessage]
    labels: dict[str, str]  #: status code → the merchant's words
    overdue: list[Any]  #: open ``pickup_overdue`` problems

    def needs_reason(self, code: str) -> bool:
        return code in NEEDS_REASON


def order_panel(order: Order) -> OrderPanel:
    """The order page's "send to the marketplace" card."""
    from marketbridge.models import SyncProblem

    cls = channel_class(order.connection)
    statuses = channel_statuses(order.connection)
    sent = status_messages([order.id])[order.id]
    requested = {(m.payload or {}).get("status") for m in sent}
    offered = [(s.code, action_label(s, cls)) for s in sendable(order, statuses) if s.code not in requested]
    codes = {s.code for s in statuses} | {str((m.payload or {}).get("status")) for m in sent}
    overdue = list(db.session.execute(sa.select(SyncProblem).where(
        SyncProblem.order_id == order.id, SyncProblem.code == "pickup_overdue", SyncProblem.resolved_at.is_(None)))
        .scalars())
    return OrderPanel(order, offered, order_refusal(order), sent,
                      {code: status_label(code, statuses, cls) for code in codes}, overdue)


def check_request(panel: OrderPanel, code: str, reason: str) -> dict[str, str]:
    """Field errors of a posted order action (``status``/``reason``); empty when it may be sent."""
    errors: dict[str, str] = {}
    if code not in {c for c, _label in panel.offered}:
        errors["status"] = _("Choose what to send.")
    elif panel.needs_reason(code) and not reason:
        errors["reason"] = _("Enter the reason; the marketplace passes it on to the buyer.")
    if len(reason) > 500:
        errors["reason"] = _("At most 500 characters.")
    return errors
