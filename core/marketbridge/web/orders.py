"""Orders: lists with filters and pages, one order with lines, holds and history; retry, hold, release.

Lists never load everything: they are filtered in SQL and paginated
(:data:`PER_PAGE` rows a page). Personal data (buyer, addresses) is shown
only while it has not been erased (D1).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketbridge.engine import history, labels
from marketbridge.host import current_host
from marketbridge.models import Connection, Order, OrderEvent, OrderState, ShippingLabel, SyncProblem, db
from marketbridge.web.auth import require_login
from marketbridge.web.connections import run_soon
from marketbridge.web import labels as label_pages
from marketbridge.web.forms import OrderFilterForm, PostForm
from marketbridge.web.pickup import actions as marketplace_actions
from marketbridge.web.scope import current_scope

bp = Blueprint("orders", __name__)
bp.before_request(require_login)

PER_PAGE = 50
#: Order states as merchants read them.
STATE_LABELS = {
    OrderState.NEW: _l("New"),
    OrderState.WAITING: _l("Waiting for the marketplace"),
    OrderState.HELD: _l("Held"),
    OrderState.CREATING: _l("Being created in the shop"),
    OrderState.CREATED: _l("In the shop"),
    OrderState.SKIPPED: _l("Cancelled before import"),
    OrderState.DUPLICATE: _l("Duplicate (imported by another connection)"),
}
#: States a merchant may put on hold: nothing has reached the shop yet.
HOLDABLE = (OrderState.NEW, OrderState.WAITING, OrderState.HELD)


def state_label(state: str) -> str:
    """The merchant's words for an order state."""
    label = STATE_LABELS.get(state)  # type: ignore[call-overload]
    return str(label) if label is not None else state


def _flag(query: sa.Select[Any], column: Any, value: str | None) -> sa.Select[Any]:
    if value == "yes":
        return query.where(column.is_(True))
    if value == "no":
        return query.where(column.is_(False))
    return query


def filtered(query: sa.Select[Any], form: OrderFilterForm) -> sa.Select[Any]:
    """Apply the list filters (state, held, Prime, pickup, test, order number) in SQL."""
    if form.state.data in {s.value for s in OrderState}:
        query = query.where(Order.state == form.state.data)
    if form.held.data == "yes":
        query = query.where(sa.or_(Order.state == OrderState.HELD, Order.held_by_merchant.is_(True)))
    elif form.held.data == "no":
        query = query.where(Order.state != OrderState.HELD, Order.held_by_merchant.is_(False))
    query = _flag(query, Order.prime, form.prime.data)
    query = _flag(query, Order.pickup, form.pickup.data)
    query = _flag(query, Order.is_test, form.test.data)
    number = (form.q.data or "").strip()
    if number:
        like = f"%{number.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(Order.marketplace_order_id.ilike(like), Order.shop_order_number.ilike(like)))
    return query


def _list(connection: Connection | None) -> Any:
    form = OrderFilterForm(request.args, states=[(s.value, state_label(s)) for s in OrderState])
    form.validate()
    query = current_scope().orders()
    if connection is not None:
        query = query.where(Order.connection_id == connection.id)
    query = filtered(query, form).order_by(Order.purchased_at.desc().nulls_last(), Order.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False,
                       max_per_page=PER_PAGE)
    names = dict(db.session.execute(sa.select(Connection.id, Connection.name)).all()) if connection is None else {}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("mb/orders/list.html", page=page, form=form, connection=connection, names=names,
                           args=args, state_label=state_label)


@bp.get("/orders")
def index() -> Any:
    """Every order the session may see, newest first."""
    return _list(None)


@bp.get("/connections/<int:connection_id>/orders")
def of_connection(connection_id: int) -> Any:
    """The orders of one connection."""
    return _list(current_scope().connection(connection_id))


@bp.get("/orders/<int:order_id>")
def detail(order_id: int) -> Any:
    """One order: lines, holds with their reasons, shop order, personal data while kept, whole history."""
    return _detail(current_scope().order(order_id))


def _detail(order: Order, *, action_errors: dict[str, str] | None = None, action_values: dict[str, str] | None = None,
            status: int = 200) -> Any:
    events = db.session.execute(sa.select(OrderEvent).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.at, OrderEvent.id)).scalars().all()
    problems = db.session.execute(sa.select(SyncProblem).where(
        SyncProblem.order_id == order.id, SyncProblem.resolved_at.is_(None))).scalars().all()
    payload = order.payload or {}
    label = db.session.execute(sa.select(ShippingLabel).filter_by(order_id=order.id)).scalar_one_or_none()
    personal = None if order.personal_data_purged_at is not None else {
        "buyer": payload.get("buyer") or {}, "shipping_address": payload.get("shipping_address") or {},
        "billing_address": payload.get("billing_address") or {}}
    return render_template("mb/orders/detail.html", order=order, events=events, problems=problems, personal=personal,
                           payload=payload, state_label=state_label, action=PostForm(), holdable=HOLDABLE,
                           marketplace=marketplace_actions.order_panel(order), action_errors=action_errors or {},
                           action_values=action_values or {}, marketplace_state=marketplace_actions.message_state,
                           labels_offered=labels.offered(current_host(), order), label=label,
                           label_refusal=None if label else label_pages.refusal_text(order)), status


def _back(order: Order) -> Any:
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/retry")
def retry(order_id: int) -> Any:
    """Check a held order again now instead of waiting for the next scheduled check."""
    order = current_scope().order(order_id)
    if order.state != OrderState.HELD or order.held_by_merchant:
        flash(_("Only held orders can be retried; release the order first if you held it."), "error")
        return _back(order)
    now = current_host().clock.now()
    order.next_attempt_at = now
    history.record(order, now, "retry_requested", "The merchant asked to try again now.")
    db.session.commit()
    run_soon(order.connection_id)
    flash(_("The order is checked again now."), "success")
    return _back(order)


@bp.post("/orders/<int:order_id>/hold")
def hold(order_id: int) -> Any:
    """Keep the order out of the shop until the merchant releases it."""
    order = current_scope().order(order_id)
    now = current_host().clock.now()
    updated = db.session.execute(
        sa.update(Order).where(Order.id == order.id, Order.state.in_(HOLDABLE), Order.held_by_merchant.is_(False))
        .values(state=OrderState.HELD, held_by_merchant=True, changed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not updated:
        db.session.rollback()
        flash(_("This order can no longer be held: it is already in the shop or was never imported."), "error")
        return _back(order)
    history.record(order, now, "held_by_merchant", "Held by the merchant.")
    db.session.commit()
    flash(_("The order is held. It is not imported until you release it."), "success")
    return _back(order)


@bp.post("/orders/<int:order_id>/release")
def release(order_id: int) -> Any:
    """Release a merchant hold: the order goes through the import checks again right away."""
    order = current_scope().order(order_id)
    if not order.held_by_merchant:
        abort(409)
    now = current_host().clock.now()
    order.held_by_merchant = False
    order.next_attempt_at = now
    history.record(order, now, "released_by_merchant", "Released by the merchant.")
    db.session.commit()
    run_soon(order.connection_id)
    flash(_("The order was released and is checked again now."), "success")
    return _back(order)


@bp.post("/orders/<int:order_id>/marketplace-status")
def send_marketplace_status(order_id: int) -> Any:
    """Cancel, refund or set a pickup status on the marketplace (S5, K5): confirm first, then send."""
    order = current_scope().order(order_id)
    panel = marketplace_actions.order_panel(order)
    if panel.refusal:
        flash(panel.refusal, "error")
        return _back(order)
    code = request.form.get("status", "")
    reason = (request.form.get("reason") or "").strip()
    errors = marketplace_actions.check_request(panel, code, reason)
    if errors:
        return _detail(order, action_errors=errors, action_values={"status": code, "reason": reason}, status=400)
    if request.form.get("confirm") != "yes":
        return render_template("mb/pickup/confirm_order.html", order=order, code=code, reason=reason,
                               label=dict(panel.offered)[code], status_label=panel.labels.get(code, code))
    outcome = marketplace_actions.send(current_host(), order, code, reason=reason)
    if outcome.result == "queued":
        marketplace_actions.deliver_soon([order.connection_id])
    flash(outcome.text, "success" if outcome.ok else "error")
    return _back(order)
