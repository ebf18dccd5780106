"""The Click & Collect overview (K5, K6): pickup orders, their marketplace status, and changing it.

Each row shows the latest status sent for the order (the last status message
in the outbox, with whether it is queued, sent or failed), its store, and
whether the store's hold period is over (an open ``pickup_overdue`` problem,
K6). A status is changed for one order (the row's button) or for the selected
orders at once; either way it is confirmed before it is sent: in a dialog
when JavaScript runs, else on a confirmation page (the same endpoint without
``confirm=yes``). The results are shown per order. A partial pickup sends a
status for some quantities of one order's lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketbridge.adapters import MarketplaceStatus
from marketbridge.host import current_host
from marketbridge.models import Connection, Order, OutboxMessage, OutboxState, Store, SyncProblem, db
from marketbridge.web.auth import safe_next
from marketbridge.web.forms import options
from marketbridge.web.pickup import bp
from marketbridge.web.pickup.actions import (
    MESSAGE_STATE_CLASS,
    Outcome,
    channel_class,
    channel_statuses,
    deliver_soon,
    message_state,
    order_refusal,
    pickup_statuses,
    send,
    status_label,
    status_messages,
)
from marketbridge.web.pickup.forms import OverviewFilterForm
from marketbridge.web.scope import current_scope

PER_PAGE = 50
MAX_SELECTED = 200
NOTHING_SENT = "none"


# -- reading ------------------------------------------------------------------------------------------------------

def _latest_status() -> Any:
    """Correlated: the status code of the order's latest status message."""
    mine = sa.orm.aliased(OutboxMessage)
    latest_id = (sa.select(sa.func.max(mine.id))
                 .where(mine.order_id == Order.id, mine.kind == "status", mine.state != OutboxState.SUPERSEDED)
                 .correlate(Order).scalar_subquery())
    return (sa.select(OutboxMessage.payload["status"].as_string()).where(OutboxMessage.id == latest_id)
            .correlate(Order).scalar_subquery())


def _overdue() -> Any:
    return sa.exists(sa.select(SyncProblem.id).where(
        SyncProblem.order_id == Order.id, SyncProblem.code == "pickup_overdue", SyncProblem.resolved_at.is_(None)))


def _store_code() -> Any:
    return Order.payload["pickup_store_code"].as_string()


@dataclass
class Choices:
    """What the session's connections offer: their stores and their channels' pickup statuses."""

    connections: dict[int, Connection]
    stores: dict[tuple[int, str], Store]
    statuses: dict[int, list[MarketplaceStatus]]  #: pickup statuses per connection
    all_statuses: dict[int, tuple[MarketplaceStatus, ...]]
    classes: dict[int, Any]

    def union(self) -> list[MarketplaceStatus]:
        seen: dict[str, MarketplaceStatus] = {}
        for statuses in self.statuses.values():
            for status in statuses:
                seen.setdefault(status.code, status)
        return list(seen.values())

    def label(self, connection_id: int | None, code: str | None) -> str:
        if connection_id is None:
            return status_label(code, self.union())
        return status_label(code, self.all_statuses.get(connection_id, ()), self.classes.get(connection_id))


def load_choices() -> Choices:
    connections = {c.id: c for c in db.session.execute(current_scope().connections()).scalars()}
    stores = {(s.connection_id, s.code): s for s in db.session.execute(
        sa.select(Store).where(Store.connection_id.in_(list(connections))).order_by(Store.name)).scalars()}
    all_statuses = {cid: channel_statuses(c) for cid, c in connections.items()}
    return Choices(connections, stores, {cid: pickup_statuses(s) for cid, s in all_statuses.items()}, all_statuses,
                   {cid: channel_class(c) for cid, c in connections.items()})


def _filter_form(choices: Choices) -> OverviewFilterForm:
    form = OverviewFilterForm(request.args)
    many = len({cid for cid, _ in choices.stores}) > 1
    stores = [(f"{cid}:{code}", f"{s.name} ({choices.connections[cid].name})" if many else s.name)
              for (cid, code), s in choices.stores.items()]
    form.store.choices = options([("", _l("Any")), *stores])
    statuses = [(s.code, choices.label(None, s.code)) for s in choices.union()]
    form.status.choices = options([("", _l("Any")), (NOTHING_SENT, _l("Nothing sent yet")), *statuses])
    form.overdue.choices = options([("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))])
    form.validate()
    return form


def _filtered(query: sa.Select[Any], form: OverviewFilterForm) -> sa.Select[Any]:
    store = form.store.data or ""
    if ":" in store:
        cid, code = store.split(":", 1)
        if cid.isdigit():
            query = query.where(Order.connection_id == int(cid), _store_code() == code)
    status = form.status.data or ""
    if status == NOTHING_SENT:
        query = query.where(_latest_status().is_(None))
    elif status:
        query = query.where(_latest_status() == status)
    if form.overdue.data == "yes":
        query = query.where(_overdue())
    elif form.overdue.data == "no":
        query = query.where(~_overdue())
    number = (form.q.data or "").strip()
    if number:
        like = f"%{number.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(Order.marketplace_order_id.ilike(like), Order.shop_order_number.ilike(like)))
    return query


@bp.get("/")
def overview() -> Any:
    """Every pickup order the session may see, newest first, with filters."""
    choices = load_choices()
    form = _filter_form(choices)
    base = current_scope().orders().where(Order.pickup.is_(True))
    query = _filtered(base, form).order_by(Order.purchased_at.desc().nulls_last(), Order.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False,
                       max_per_page=PER_PAGE)
    ids = [o.id for o in page.items]
    messages = status_messages(ids)
    overdue = {p.order_id: p for p in db.session.execute(sa.select(SyncProblem).where(
        SyncProblem.order_id.in_(ids), SyncProblem.code == "pickup_overdue", SyncProblem.resolved_at.is_(None)))
        .scalars()} if ids else {}
    overdue_total = db.session.execute(base.where(_overdue()).with_only_columns(sa.func.count())).scalar_one()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("mb/pickup/overview.html", page=page, form=form, choices=choices, messages=messages,
                           overdue=overdue, overdue_total=overdue_total, args=args, refusal=order_refusal,
                           message_state=message_state, state_class=MESSAGE_STATE_CLASS)


# -- changing -----------------------------------------------------------------------------------------------------

def _back() -> str:
    return safe_next(request.form.get("next"), url_for("pickup.overview"))


def _selection() -> tuple[list[int], str]:
    """``(order ids, status code)`` of the posted change: one row's button, or the selected orders."""
    single = request.form.get("apply", "")
    if single.isdigit():
        return [int(single)], request.form.get(f"status_{single}", "")
    ids = [int(v) for v in request.form.getlist("order") if v.isdigit()][:MAX_SELECTED]
    return list(dict.fromkeys(ids)), request.form.get("status") or request.form.get("bulk_status", "")


@bp.post("/status")
def change_status() -> Any:
    """Change the marketplace status of one or more pickup orders: confirm first, then send."""
    ids, code = _selection()
    if not ids:
        flash(_("Select at least one order."), "error")
        return redirect(_back())
    choices = load_choices()
    known = {s.code for s in choices.union()}
    if code not in known:
        flash(_("Choose the status to send."), "error")
        return redirect(_back())
    orders = list(db.session.execute(current_scope().orders().where(Order.id.in_(ids), Order.pickup.is_(True))
                                     .order_by(Order.purchased_at.desc().nulls_last(), Order.id.desc())).scalars())
    if not orders:
        abort(404)
    label = choices.label(None, code)
    if request.form.get("confirm") != "yes":
        return render_template("mb/pickup/confirm_status.html", orders=orders, code=code, label=label,
                               choices=choices, next=_back())
    outcomes: list[Outcome] = []
    host = current_host()
    for order in orders:
        outcomes.append(send(host, order, code))
    deliver_soon(o.order.connection_id for o in outcomes if o.result == "queued")
    return render_template("mb/pickup/results.html", outcomes=outcomes, label=label, choices=choices,
                           messages=status_messages(o.order.id for o in outcomes), message_state=message_state,
                           state_class=MESSAGE_STATE_CLASS, next=_back())


# -- partial pickup -----------------------------------------------------------------------------------------------

@bp.route("/orders/<int:order_id>/lines", methods=["GET", "POST"])
def partial(order_id: int) -> Any:
    """Send a pickup status for some quantities of one order's lines."""
    order = current_scope().order(order_id)
    if not order.pickup:
        abort(404)
    statuses = pickup_statuses(channel_statuses(order.connection))
    cls = channel_class(order.connection)
    refused = order_refusal(order)
    errors: dict[str, str] = {}
    values = {line.line_id: str(line.quantity) for line in order.lines}
    code = request.form.get("status") or next((s.code for s in statuses if s.code == "picked_up"),
                                              statuses[0].code if statuses else "")
    reason = (request.form.get("reason") or "").strip()[:500]
    general: list[str] = []
    if request.method == "POST":
        if refused:
            abort(409)
        if code not in {s.code for s in statuses}:
            general.append(_("Choose the status to send."))
        lines = []
        for line in order.lines:
            text = (request.form.get(f"qty-{line.line_id}") or "").strip()
            values[line.line_id] = text
            if not text.isdigit() or int(text) > line.quantity:
                errors[line.line_id] = _("Enter a whole number from 0 to %(num)d.", num=line.quantity)
            elif int(text):
                lines.append({"line_id": line.line_id, "quantity": int(text)})
        if not errors and not lines:
            general.append(_("Enter a quantity for at least one line."))
        if not errors and not general:
            whole = {q["line_id"]: q["quantity"] for q in lines} == {l.line_id: l.quantity for l in order.lines}
            label = status_label(code, statuses, cls)
            if request.form.get("confirm") != "yes":
                return render_template("mb/pickup/confirm_lines.html", order=order, code=code, label=label,
                                       lines=lines, whole=whole, reason=reason,
                                       titles={line.line_id: line.title for line in order.lines})
            outcome = send(current_host(), order, code, reason=reason, lines=None if whole else lines)
            if outcome.result == "queued":
                deliver_soon([order.connection_id])
            flash(outcome.text, "success" if outcome.ok else "error")
            return redirect(url_for("orders.detail", order_id=order.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mb/pickup/partial.html", order=order, statuses=statuses, cls=cls, refused=refused,
                           values=values, errors=errors, general=general, code=code, reason=reason,
                           label=lambda c: status_label(c, statuses, cls)), status
