"""Before and after activation (C2, C3, C6): the checklist, the backfill and its progress, test orders.

* :func:`checklist` – what is missing before a connection is activated, each
  item with a link to fix it; the shop's and the marketplace's own
  ``check_connection()`` findings included. Activation stays possible with
  warnings; the list says what will not work.
* Backfill – moving the activation date back restarts the fetch window
  (:func:`marketbridge.engine.inbox.restart_from`); :func:`progress` reads the
  orders cursor for the progress bar, and ``progress.json`` serves it to the
  page's poll.
* Test orders – :func:`marketbridge.engine.testorders.create_test_order`, then
  a connection cycle; test orders are never sent to the marketplace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from marketbridge.engine.inbox import restart_from
from marketbridge.engine.testorders import TestOrderError, create_test_order
from marketbridge.host import current_host
from marketbridge.models import Connection, Order, StatusMapping, SyncCursor, db
from marketbridge.web.setup.common import blueprint, connection_of, failure_text, quoted

bp = blueprint("setup_activation")

IDENTIFIER_LABELS = {"sku": _l("SKU / product number"), "ean": _l("EAN / GTIN"), "product_id": _l("Shop product ID")}


# -- checklist -----------------------------------------------------------------------------------------------------

@dataclass
class Item:
    """One line of the checklist: ``level`` is ok, warn (works partly) or bad (will not work)."""

    level: str
    text: str
    link: str | None = None
    link_text: str | None = None
    details: list[str] = field(default_factory=list)


def checklist(connection: Connection) -> list[Item]:
    """What is set up and what is missing; asks the shop and the marketplace (never raises)."""
    items = [_carrier_item(connection), _mapping_item(connection), _identifier_item(connection),
             _shop_item(connection), _marketplace_item(connection)]
    try:
        db.session.commit()  # adapters may have cached tokens
    except Exception:
        db.session.rollback()
    return items


def _carrier_item(connection: Connection) -> Item:
    link = url_for("setup_carriers.index", connection_id=connection.id)
    if connection.default_carrier:
        return Item("ok", _("Default carrier: %(code)s.", code=quoted(connection.default_carrier)), link,
                    _("Carriers"))
    return Item("bad", _("No default carrier: tracking numbers that no carrier rule or built-in format recognises "
                         "will not be sent to the marketplace."), link, _("Set the default carrier"))


def _mapping_item(connection: Connection) -> Item:
    link = url_for("setup_statuses.edit", connection_id=connection.id)
    try:
        statuses = list(current_host().registry.channel(connection.account.kind).statuses)
    except Exception as exc:
        return Item("bad", _("The marketplace's statuses are not available: %(error)s", error=failure_text(exc)))
    mapped = set(db.session.execute(sa.select(StatusMapping.marketplace_status)
                                    .filter_by(connection_id=connection.id)).scalars())
    missing = [s for s in statuses if s.code not in mapped]
    if not statuses or not missing:
        return Item("ok", _("Every marketplace status is mapped to a shop status."), link, _("Status mapping"))
    details = []
    for status in missing:
        if status.needs_tracking:
            details.append(_("%(status)s: shipments made in the shop are not confirmed to the marketplace.",
                             status=quoted(status.label)))
        elif status.pickup:
            details.append(_("%(status)s: this Click & Collect step does not reach the marketplace.",
                             status=quoted(status.label)))
        else:
            details.append(_("%(status)s: this status change is not sent to the marketplace.",
                             status=quoted(status.label)))
    level = "bad" if len(missing) == len(statuses) else "warn"
    text = ngettext("%(num)d marketplace status is not mapped:", "%(num)d marketplace statuses are not mapped:",
                    len(missing))
    return Item(level, text, link, _("Map the statuses"), details)


def _identifier_item(connection: Connection) -> Item:
    label = IDENTIFIER_LABELS.get(connection.product_identifier, connection.product_identifier)
    return Item("ok", _("Products are matched by %(identifier)s; order lines without a match are held.",
                        identifier=str(label)), url_for("connections.edit", connection_id=connection.id),
                _("Change"))


def _shop_item(connection: Connection) -> Item:
    link = url_for("shops.edit", row_id=connection.shop_id)
    try:
        result = current_host().shop_adapter(connection.shop).check_connection()
    except Exception as exc:
        db.session.rollback()
        return Item("bad", _("The shop could not be checked: %(error)s", error=failure_text(exc, "checking the shop")),
                    link, _("Check the shop's access details"))
    if result.ok and not connection.shop.auth_problem:
        return Item("ok", _("The shop accepts Marketbridge's access details."))
    problems = list(result.problems) or [connection.shop.auth_problem or ""]
    return Item("bad", _("The shop's access details do not work yet:"), link, _("Correct the shop's access details"),
                problems)


def _marketplace_item(connection: Connection) -> Item:
    link = url_for("accounts.detail", row_id=connection.account_id)
    account = connection.account
    now = current_host().clock.now()
    if account.expires_at is not None and account.expires_at <= now:
        return Item("bad", _("The marketplace authorisation expired on %(day)s. Renew it before activating.",
                             day=account.expires_at.date().isoformat()), link, _("Open the marketplace account"))
    try:
        result = current_host().channel_adapter(connection).check_connection()
    except Exception as exc:
        db.session.rollback()
        return Item("bad", _("The marketplace authorisation could not be checked: %(error)s",
                             error=failure_text(exc, "checking the marketplace")), link,
                    _("Open the marketplace account"))
    if result.ok and not account.auth_problem:
        return Item("ok", _("The marketplace authorisation is valid."))
    problems = list(result.problems) or [account.auth_problem or ""]
    return Item("bad", _("The marketplace authorisation does not work yet:"), link, _("Open the marketplace account"),
                problems)


# -- backfill ------------------------------------------------------------------------------------------------------

def _orders_cursor(connection_id: int) -> SyncCursor | None:
    return db.session.execute(sa.select(SyncCursor).filter_by(
        scope="connection", scope_id=connection_id, stream="orders")).scalar_one_or_none()


def progress(connection: Connection) -> dict[str, Any]:
    """The orders cursor as the progress bar shows it (also served as JSON)."""
    cursor = _orders_cursor(connection.id)
    done = cursor.progress_done if cursor is not None else None
    total = cursor.progress_total if cursor is not None else None
    started = cursor is not None and cursor.value is not None
    running = connection.active and (not started or (total is not None and (done or 0) < total))
    percent = min(100, int(100 * (done or 0) / total)) if total else (100 if started else 0)
    last = cursor.last_success_at if cursor is not None else None
    return {"done": done or 0, "total": total, "percent": percent, "running": bool(running),
            "started": started, "since": connection.activation_date.date().isoformat(),
            "last_success_at": last.isoformat() if last else None, "last_success": last,
            "last_error": cursor.last_error if cursor is not None and cursor.failures else None}


@bp.get("/connections/<int:connection_id>/progress.json")
def progress_json(connection_id: int) -> Any:
    """The backfill's progress for the page's poll."""
    connection = connection_of(connection_id)
    data = progress(connection)
    data.pop("last_success")
    data["text"] = progress_text(connection, data)
    return jsonify(data)


def progress_text(connection: Connection, data: dict[str, Any]) -> str:
    if not connection.active:
        return _("Inactive: open orders placed since %(day)s are fetched once the connection is activated.",
                 day=data["since"])
    if not data["started"]:
        return _("Fetching open orders placed since %(day)s is about to start.", day=data["since"])
    if data["total"] is None:
        return _("Open orders placed since %(day)s are fetched.", day=data["since"])
    if data["running"]:
        return _("%(done)d of %(total)d orders fetched since %(day)s.", done=data["done"], total=data["total"],
                 day=data["since"])
    return _("All %(total)d orders since %(day)s were fetched.", total=data["total"], day=data["since"])


class BackfillForm(FlaskForm):
    since = DateField(_l("Fetch open orders placed since"), validators=[DataRequired()],
                      description=_l("An earlier day than the current one fetches the older open orders too; "
                                     "orders already received are only updated, never imported twice."))
    submit = SubmitField(_l("Fetch older orders"))


@bp.route("/connections/<int:connection_id>/backfill", methods=["GET", "POST"])
def backfill(connection_id: int) -> Any:
    """Move the activation date back and fetch again from it (C3)."""
    connection = connection_of(connection_id)
    form = BackfillForm()
    if form.is_submitted() and form.validate():
        day: date = form.since.data  # type: ignore[assignment]
        since = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
        if since >= connection.activation_date:
            form.since.errors = [*form.since.errors, _("Choose a day before %(day)s: orders since then are already "
                                                       "fetched.", day=connection.activation_date.date().isoformat())]
        else:
            restart_from(connection, since)
            db.session.commit()
            _run_soon(connection.id)
            flash(_("Open orders placed since %(day)s are being fetched. The progress is shown below.",
                    day=day.isoformat()), "success")
            return redirect(url_for("connections.detail", connection_id=connection.id) + "#backfill")
    elif not form.is_submitted():
        form.since.data = connection.activation_date.date()
    status = 400 if form.is_submitted() else 200
    return render_template("mb/setup/backfill.html", connection=connection, form=form), status


# -- test orders -----------------------------------------------------------------------------------------------------

class TestOrderForm(FlaskForm):
    __test__ = False  # not a pytest test class

    value = StringField(_l("Product"), validators=[DataRequired(), Length(max=200)],
                        description=_l("The product's identifier as this connection matches products."))
    country = StringField(_l("Shipping country"), validators=[
        DataRequired(), Regexp(r"^[A-Za-z]{2}$", message=_l("Enter a two-letter country code such as DE or FR."))])
    submit = SubmitField(_l("Create a test order"))


def recent_test_orders(connection: Connection, limit: int = 5) -> list[Order]:
    return list(db.session.execute(sa.select(Order).where(Order.connection_id == connection.id, Order.is_test.is_(True))
                                   .order_by(Order.id.desc()).limit(limit)).scalars())


def _refusal(exc: TestOrderError) -> str:
    params = exc.params or {}
    if "stock" in params:
        return _("%(name)s has %(stock)s in stock; a test order needs at least 4, because it orders 1 to 4 pieces.",
                 name=quoted(params.get("name", "")), stock=params["stock"])
    if "value" in params:
        label = IDENTIFIER_LABELS.get(str(params.get("identifier")), params.get("identifier"))
        return _("No shop product has the %(identifier)s %(value)s.", identifier=str(label),
                 value=quoted(params["value"]))
    return exc.message


def _run_soon(connection_id: int) -> None:
    from marketbridge.web.connections import run_soon

    run_soon(connection_id)


@bp.route("/connections/<int:connection_id>/test-order", methods=["GET", "POST"])
def test_order(connection_id: int) -> Any:
    """Create a test order (C6) through the real import path; it is never sent to the marketplace."""
    connection = connection_of(connection_id)
    form = TestOrderForm()
    if not form.is_submitted():
        form.country.data = connection.country
    if form.validate_on_submit():
        try:
            order = create_test_order(current_host(), connection, (form.value.data or "").strip(),
                                      (form.country.data or "").upper())
        except TestOrderError as exc:
            db.session.rollback()
            form.value.errors = [*form.value.errors, _refusal(exc)]
        except Exception as exc:
            db.session.rollback()
            form.value.errors = [*form.value.errors, _("The shop could not be asked about the product: %(error)s",
                                                       error=failure_text(exc, "creating a test order"))]
        else:
            _run_soon(connection.id)
            flash(_("Test order %(number)s was created and goes into the shop like a real order. It is never sent "
                    "to the marketplace.", number=order.marketplace_order_id), "success")
            return redirect(url_for("connections.detail", connection_id=connection.id) + "#test-orders")
    status = 400 if form.is_submitted() else 200
    return render_template("mb/setup/test_order.html", connection=connection, form=form,
                           identifier=IDENTIFIER_LABELS.get(connection.product_identifier),
                           recent=recent_test_orders(connection)), status
