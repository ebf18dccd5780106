"""Connections (C1–C5): list, create, edit, activate and deactivate.

A connection links one shop to one marketplace account + marketplace. It is
created inactive (C2); activating it starts the import of open orders placed
since its activation date (C3). Only one *active* connection may serve the
same shop + account + marketplace + fulfilment channel: the pages refuse a
second one naming the first, and the database's partial unique index
(``uq_connections_active_route``) backs that up against concurrent requests.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField
from wtforms.validators import DataRequired

from marketbridge.adapters.channel import MarketplaceChoice
from marketbridge.adapters.shop import ShopStatus
from marketbridge.engine.inbox import restart_from
from marketbridge.errors import MarketbridgeError
from marketbridge.host import current_host
from marketbridge.models import Connection, MarketplaceAccount, Order, OrderState, Shop, SyncProblem, db
from marketbridge.web.auth import require_login
from marketbridge.web import forms
from marketbridge.web.forms import ChooseEndsForm, ConnectionForm, PostForm
from marketbridge.web.scope import current_scope

bp = Blueprint("connections", __name__, url_prefix="/connections")
bp.before_request(require_login)
log = logging.getLogger("marketbridge.web")


# -- what the two ends offer -------------------------------------------------------------------------------------

@dataclass
class EndOptions:
    """Choices read live from the account and the shop; ``None`` where they could not be read."""

    marketplaces: list[MarketplaceChoice] | None = None
    marketplace_error: str | None = None
    statuses: list[ShopStatus] | None = None
    status_error: str | None = None
    carriers: frozenset[str] | None = None


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, MarketbridgeError):
        return exc.message
    log.exception("an adapter failed while the connection form was built")
    return _("The plugin failed unexpectedly; the details are in the server log.")


def load_options(shop: Shop, account: MarketplaceAccount) -> EndOptions:
    """Ask the account for its marketplaces and carrier codes and the shop for its statuses (O3, S1, S4)."""
    host = current_host()
    options = EndOptions()
    try:
        channel = host.account_adapter(account)
        options.marketplaces = list(channel.marketplaces())
        options.carriers = channel.carrier_codes()
    except Exception as exc:  # unreachable, refused, or plugin missing: fall back to text fields
        options.marketplace_error = _problem_text(exc)
    try:
        options.statuses = list(host.shop_adapter(shop).list_statuses())
    except Exception as exc:
        options.status_error = _problem_text(exc)
    try:
        db.session.commit()  # adapters may have cached tokens
    except Exception:
        db.session.rollback()
    return options


def connection_form(options: EndOptions, *, current: Connection | None = None, **kwargs: Any) -> ConnectionForm:
    """A :class:`ConnectionForm` whose marketplace and initial status are select fields when possible."""

    class Form(ConnectionForm):
        pass

    if options.marketplaces:
        pairs = [(m.id, f"{m.label} ({m.country_code}, {m.currency})") for m in options.marketplaces]
        if current is not None and current.marketplace not in {m.id for m in options.marketplaces}:
            pairs.append((current.marketplace, current.marketplace))
        Form.marketplace = SelectField(_l("Marketplace"), choices=forms.options(pairs),  # type: ignore[assignment]
                                       validators=[DataRequired()])
    if options.statuses:
        groups: dict[str, list[tuple[str, str]]] = {"": [("", str(_l("The shop's default")))]}
        for status in options.statuses:
            if status.initial:
                groups.setdefault(status.group or "", []).append((status.code, status.label))
        known = {s.code for s in options.statuses if s.initial}
        if current is not None and current.initial_status and current.initial_status not in known:
            groups[""].append((current.initial_status, current.initial_status))
        Form.initial_status = SelectField(  # type: ignore[assignment]
            _l("Status of new orders in the shop"), choices=forms.grouped_options(groups),
            description=_l("The status a freshly imported order gets in the shop."))
    return Form(**kwargs)


def _validate_extra(form: ConnectionForm, options: EndOptions) -> bool:
    """Checks that need the live options: the country and the carrier code."""
    ok = True
    country = (form.country.data or "").strip().upper()
    if not country and options.marketplaces:
        chosen = next((m for m in options.marketplaces if m.id == form.marketplace.data), None)
        country = chosen.country_code.upper() if chosen else ""
    if not country:
        form.country.errors = [*form.country.errors, _("Enter the country, for example DE.")]
        ok = False
    form.country.data = country
    carrier = (form.default_carrier.data or "").strip()
    if carrier and options.carriers is not None and carrier not in options.carriers:
        form.default_carrier.errors = [*form.default_carrier.errors,
                                       _("The marketplace does not know the carrier code \u201c%(code)s\u201d.",
                                         code=carrier)]
        ok = False
    return ok


def _submitted_and_valid(form: ConnectionForm, options: EndOptions) -> bool:
    """Validate a POSTed form, reporting every field error at once."""
    if request.method != "POST":
        return False
    valid = form.validate_on_submit()
    return _validate_extra(form, options) and valid


def _apply(form: ConnectionForm, connection: Connection) -> None:
    connection.name = (form.name.data or "").strip()
    connection.marketplace = (form.marketplace.data or "").strip()
    connection.country = (form.country.data or "").strip().upper()
    connection.fulfilment_channel = form.fulfilment_channel.data or "merchant"
    connection.product_identifier = form.product_identifier.data or "sku"
    connection.require_weights = bool(form.require_weights.data)
    connection.initial_status = (form.initial_status.data or "").strip() or None
    connection.default_carrier = (form.default_carrier.data or "").strip() or None
    day: date = form.activation_date.data  # type: ignore[assignment]
    since = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    if connection.id is not None and since < connection.activation_date:
        restart_from(connection, since)  # C3: a date moved back fetches the older open orders
    else:
        connection.activation_date = since


# -- one active connection per route -------------------------------------------------------------------------------

def _find_rival(connection_id: int | None, shop_id: int, account_id: int, marketplace: str,
                fulfilment_channel: str) -> Connection | None:
    with db.session.no_autoflush:
        return db.session.execute(sa.select(Connection).where(
            Connection.active.is_(True), Connection.id != (connection_id or -1), Connection.shop_id == shop_id,
            Connection.account_id == account_id, Connection.marketplace == marketplace,
            Connection.fulfilment_channel == fulfilment_channel).order_by(Connection.id)).scalars().first()


def _route(connection: Connection) -> dict[str, Any]:
    return {"connection_id": connection.id, "shop_id": connection.shop_id, "account_id": connection.account_id,
            "marketplace": connection.marketplace, "fulfilment_channel": connection.fulfilment_channel}


def active_rival(connection: Connection) -> Connection | None:
    """Another active connection for the same shop + account + marketplace + fulfilment channel."""
    return _find_rival(**_route(connection))


def refusal(rival: Connection) -> str:
    """Why a connection cannot be active next to ``rival``."""
    return _("The connection \u201c%(name)s\u201d is already active for the same shop, marketplace account, "
             "marketplace and fulfilment channel. Deactivate it first: two active connections would import the "
             "same orders twice.", name=rival.name)


def commit_guarded(connection: Connection) -> str | None:
    """Commit; when the active-route index objects (a concurrent request won), roll back and say why."""
    route = _route(connection)
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        rival = _find_rival(**route)
        if rival is None:
            raise
        return refusal(rival)


# -- views ---------------------------------------------------------------------------------------------------------

def _counts(column: Any, query: sa.Select[Any]) -> dict[int, int]:
    return dict(db.session.execute(query.with_only_columns(column, sa.func.count()).group_by(column)).all())


@bp.get("/")
def index() -> Any:
    """All connections with their state, open problems and held orders."""
    scope = current_scope()
    connections = db.session.execute(scope.connections()).scalars().all()
    problems = _counts(SyncProblem.connection_id, sa.select(SyncProblem).where(SyncProblem.resolved_at.is_(None)))
    held = _counts(Order.connection_id, sa.select(Order).where(Order.state == OrderState.HELD))
    return render_template("mb/connections/list.html", connections=connections, problems=problems, held=held)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Step one picks the shop and the account; step two is the connection form."""
    scope = current_scope()
    shops = db.session.execute(scope.shops()).scalars().all()
    accounts = db.session.execute(scope.accounts()).scalars().all()
    chooser = ChooseEndsForm(request.args, meta={"csrf": False})
    chooser.shop.choices = forms.options((s.id, s.name) for s in shops)
    chooser.account.choices = forms.options((a.id, a.name) for a in accounts)
    if not shops or not accounts:
        return render_template("mb/connections/new.html", chooser=None, form=None, shops=shops, accounts=accounts)
    shop_id = request.args.get("shop", type=int) or (shops[0].id if len(shops) == 1 else None)
    account_id = request.args.get("account", type=int) or (accounts[0].id if len(accounts) == 1 else None)
    if shop_id is None or account_id is None:
        return render_template("mb/connections/new.html", chooser=chooser, form=None, shops=shops, accounts=accounts)
    shop, account = scope.shop(shop_id), scope.account(account_id)
    chooser.shop.data, chooser.account.data = shop.id, account.id
    options = load_options(shop, account)
    now = current_host().clock.now()
    form = connection_form(options, name=f"{account.name} \u2192 {shop.name}", activation_date=now.date())
    if _submitted_and_valid(form, options):
        connection = Connection(shop_id=shop.id, account_id=account.id, active=False, created_at=now, settings={})
        _apply(form, connection)
        db.session.add(connection)
        db.session.commit()
        flash(_("The connection was created. It stays inactive until you activate it."), "success")
        return redirect(url_for("connections.detail", connection_id=connection.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mb/connections/new.html", chooser=chooser, form=form, options=options, shop=shop,
                           account=account, shops=shops, accounts=accounts), status


@bp.get("/<int:connection_id>")
def detail(connection_id: int) -> Any:
    """A connection's summary: state, warnings, open problems, held orders."""
    connection = current_scope().connection(connection_id)
    problems = db.session.execute(sa.select(SyncProblem).where(
        SyncProblem.connection_id == connection.id, SyncProblem.resolved_at.is_(None))
        .order_by(SyncProblem.last_seen.desc()).limit(10)).scalars().all()
    problem_total = db.session.execute(sa.select(sa.func.count()).select_from(SyncProblem).where(
        SyncProblem.connection_id == connection.id, SyncProblem.resolved_at.is_(None))).scalar_one()
    held = db.session.execute(sa.select(sa.func.count()).select_from(Order).where(
        Order.connection_id == connection.id, Order.state == OrderState.HELD)).scalar_one()
    orders = db.session.execute(sa.select(sa.func.count()).select_from(Order).where(
        Order.connection_id == connection.id)).scalar_one()
    rival = active_rival(connection) if not connection.active else None
    return render_template("mb/connections/detail.html", connection=connection, problems=problems,
                           problem_total=problem_total, held=held, orders=orders, rival=rival, action=PostForm())


@bp.route("/<int:connection_id>/edit", methods=["GET", "POST"])
def edit(connection_id: int) -> Any:
    """Change a connection's settings (its shop and account stay; create a new connection for others)."""
    connection = current_scope().connection(connection_id)
    options = load_options(connection.shop, connection.account)
    form = connection_form(options, current=connection, obj=connection,
                           activation_date=connection.activation_date.date())
    if request.method == "GET":
        form.activation_date.data = connection.activation_date.date()
    if _submitted_and_valid(form, options):
        _apply(form, connection)
        rival = active_rival(connection) if connection.active else None
        refused = refusal(rival) if rival is not None else commit_guarded(connection)
        if refused is None:
            flash(_("The connection was saved."), "success")
            return redirect(url_for("connections.detail", connection_id=connection.id))
        db.session.rollback()
        form.marketplace.errors = [*form.marketplace.errors, refused]
    status = 400 if request.method == "POST" else 200
    return render_template("mb/connections/edit.html", connection=connection, form=form, options=options), status


@bp.post("/<int:connection_id>/activate")
def activate(connection_id: int) -> Any:
    """Activate (C3): open orders placed since the activation date are imported from now on."""
    connection = current_scope().connection(connection_id)
    if connection.active:
        return redirect(url_for("connections.detail", connection_id=connection.id))
    rival = active_rival(connection)
    refused = refusal(rival) if rival is not None else None
    if refused is None:
        connection.active = True
        connection.activated_at = current_host().clock.now()
        refused = commit_guarded(connection)
    if refused is not None:
        db.session.rollback()
        flash(refused, "error")
        return redirect(url_for("connections.detail", connection_id=connection.id))
    run_soon(connection.id)
    flash(_("The connection is active. Open orders placed since %(day)s are being imported.",
            day=connection.activation_date.date().isoformat()), "success")
    return redirect(url_for("connections.detail", connection_id=connection.id))


@bp.post("/<int:connection_id>/deactivate")
def deactivate(connection_id: int) -> Any:
    """Deactivate: nothing more is fetched or sent for this connection (C9: a route can be set inactive)."""
    connection = current_scope().connection(connection_id)
    connection.active = False
    db.session.commit()
    flash(_("The connection is inactive. Nothing is fetched until you activate it again."), "success")
    return redirect(url_for("connections.detail", connection_id=connection.id))


def run_soon(connection_id: int) -> None:
    """Ask the workers to run the connection now; the scheduler picks it up anyway if this fails."""
    from marketbridge.jobs import enqueue_connection

    try:
        enqueue_connection(connection_id)
    except Exception:
        log.exception("could not enqueue the first run of connection %s", connection_id)
