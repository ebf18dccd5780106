"""Prime (O5) and stock (P1) settings of a connection, kept in ``connection.settings``.

Keys: ``prime_cutover`` (ISO date, default 2023-11-03), ``prime_to_awaiting_shipment``
(bool), ``prime_pending_status`` (a shop status), ``stock_buffer``, ``stock_max``,
``stock_percent`` (1–100), ``unlimited_quantity``, ``poll_seconds``. An empty
number field removes the key, so the engine's default applies. See
:mod:`marketbridge.policies.prime`, :mod:`marketbridge.policies.stock` and
:mod:`marketbridge.engine.inbox` for how they are used.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketbridge.engine.inbox import DEFAULT_POLL_SECONDS
from marketbridge.models import db
from marketbridge.policies.prime import DEFAULT_CUTOVER
from marketbridge.policies.stock import DEFAULT_UNLIMITED_QUANTITY
from marketbridge.web import forms
from marketbridge.web.setup.common import blueprint, connection_of
from marketbridge.web.setup.statuses import shop_statuses

bp = blueprint("setup_settings")
MIN_POLL_SECONDS = 10
NUMBER_KEYS = ("stock_buffer", "stock_max", "stock_percent", "unlimited_quantity", "poll_seconds")
_NOT_NEGATIVE = _l("Enter a whole number of 0 or more.")


class SyncSettingsForm(FlaskForm):
    prime_cutover = DateField(_l("Prime cut-over date"), validators=[DataRequired()],
                              description=_l("Connections created before this day import Prime orders as pending "
                                             "fulfilment unless the next setting is on."))
    prime_to_awaiting_shipment = BooleanField(
        _l("Import Prime orders to awaiting shipment"),
        description=_l("Imports Prime orders with the usual status for new orders, whenever the connection was "
                       "created."))
    prime_pending_status = StringField(_l("Shop status for Prime orders pending fulfilment"),
                                       validators=[Optional(), Length(max=100)],
                                       description=_l("A view-only shop status used for those Prime orders; without "
                                                      "it they are held until you choose one."))
    stock_buffer = IntegerField(_l("Units kept back"), validators=[Optional(), NumberRange(min=0, message=_NOT_NEGATIVE)],
                                description=_l("This many units of each product are never offered, as a safety "
                                               "margin against overselling."))
    stock_max = IntegerField(_l("Most units offered"), validators=[Optional(), NumberRange(min=0, message=_NOT_NEGATIVE)],
                             description=_l("The marketplace never sees more than this quantity of one product; "
                                            "leave empty for no cap."))
    stock_percent = IntegerField(_l("Share of the stock offered (%)"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("Enter a percentage from 1 to 100."))],
        description=_l("Only this share of the shop's stock is offered, rounded down; leave empty for all of it."))
    unlimited_quantity = IntegerField(_l("Quantity offered for unlimited stock"), validators=[
        Optional(), NumberRange(min=0, message=_NOT_NEGATIVE)],
        description=_l("Products the shop sells without stock tracking are offered with this quantity (%(num)d when "
                       "empty).", num=DEFAULT_UNLIMITED_QUANTITY))
    poll_seconds = IntegerField(_l("Seconds between order fetches"), validators=[
        Optional(), NumberRange(min=MIN_POLL_SECONDS, message=_l("Enter at least %(num)d seconds.",
                                                                 num=MIN_POLL_SECONDS))],
        description=_l("How often new marketplace orders are fetched (every %(num)d seconds when empty).",
                       num=DEFAULT_POLL_SECONDS))
    submit = SubmitField(_l("Save"))


def _form_class(statuses: list[Any] | None, current: str | None) -> type[SyncSettingsForm]:
    class Form(SyncSettingsForm):
        pass

    if statuses:
        pairs = [("", str(_l("— none —")))] + [(s.code, s.label) for s in statuses]
        if current and current not in {s.code for s in statuses}:
            pairs.append((current, current))
        Form.prime_pending_status = SelectField(  # type: ignore[assignment]
            SyncSettingsForm.prime_pending_status.args[0], choices=forms.options(pairs),
            description=SyncSettingsForm.prime_pending_status.kwargs["description"])
    return Form


def _initial(settings: dict[str, Any]) -> dict[str, Any]:
    try:
        cutover = date.fromisoformat(str(settings.get("prime_cutover") or DEFAULT_CUTOVER.isoformat()))
    except ValueError:
        cutover = DEFAULT_CUTOVER
    data: dict[str, Any] = {"prime_cutover": cutover,
                            "prime_to_awaiting_shipment": bool(settings.get("prime_to_awaiting_shipment")),
                            "prime_pending_status": settings.get("prime_pending_status") or ""}
    for key in NUMBER_KEYS:
        value = settings.get(key)
        data[key] = int(value) if value not in (None, "") and str(value).lstrip("-").isdigit() else None
    return data


@bp.route("/connections/<int:connection_id>/sync-settings", methods=["GET", "POST"])
def edit(connection_id: int) -> Any:
    """Prime import and stock rules, each explained in one sentence."""
    connection = connection_of(connection_id)
    settings = dict(connection.settings or {})
    statuses, status_error = shop_statuses(connection)
    form_class = _form_class(statuses, settings.get("prime_pending_status"))
    form = form_class() if request.method == "POST" else form_class(formdata=None, data=_initial(settings))
    if form.validate_on_submit():
        settings["prime_cutover"] = form.prime_cutover.data.isoformat()  # type: ignore[union-attr]
        settings["prime_to_awaiting_shipment"] = bool(form.prime_to_awaiting_shipment.data)
        pending = (form.prime_pending_status.data or "").strip()
        if pending:
            settings["prime_pending_status"] = pending
        else:
            settings.pop("prime_pending_status", None)
        for key in NUMBER_KEYS:
            value = form[key].data
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = int(value)
        connection.settings = settings  # a new dict, so the JSON column is written
        db.session.commit()
        flash(_("The Prime and stock settings were saved."), "success")
        return redirect(url_for("setup_settings.edit", connection_id=connection.id))
    created = connection.created_at.date()
    cutover = form.prime_cutover.data if isinstance(form.prime_cutover.data, date) else DEFAULT_CUTOVER
    before_cutover = created < cutover
    status = 400 if request.method == "POST" else 200
    return render_template("mb/setup/settings.html", connection=connection, form=form, status_error=status_error,
                           before_cutover=before_cutover, created=created), status
