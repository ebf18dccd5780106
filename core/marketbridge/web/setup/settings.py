"""Prime (O5), stock (P1) and price (P2) settings of a connection, kept in ``connection.settings``.

Keys: ``prime_cutover`` (ISO date, default 2023-11-03), ``prime_to_awaiting_shipment``
(bool), ``prime_pending_status`` (a shop status), ``stock_buffer``, ``stock_max``,
``stock_percent`` (1–100), ``unlimited_quantity``, ``poll_seconds``, and the selling
policy's ``price_*`` keys. An empty number field removes the key, so the engine's
default applies. See :mod:`marketbridge.policies.prime`,
:mod:`marketbridge.policies.stock`, :mod:`marketbridge.pricing` and
:mod:`marketbridge.engine.inbox` for how they are used.

Saving a changed selling policy makes the next stock poll read every listing,
so the new prices reach the marketplace without waiting for a stock change.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketbridge.engine.inbox import DEFAULT_POLL_SECONDS
from marketbridge.engine.stock import read_all_listings_soon
from marketbridge.errors import MarketbridgeError
from marketbridge.host import current_host
from marketbridge.models import Connection, db
from marketbridge.pricing import SellingPolicy
from marketbridge.policies.prime import DEFAULT_CUTOVER
from marketbridge.policies.stock import DEFAULT_UNLIMITED_QUANTITY
from marketbridge.web import forms
from marketbridge.web.setup.common import blueprint, connection_of, failure_text
from marketbridge.web.setup.statuses import shop_statuses

bp = blueprint("setup_settings")
MIN_POLL_SECONDS = 10
NUMBER_KEYS = ("stock_buffer", "stock_max", "stock_percent", "unlimited_quantity", "poll_seconds")
#: The selling policy's amounts, stored as strings so no precision is lost (see :mod:`marketbridge.pricing`).
AMOUNT_KEYS = ("price_percent", "price_fixed", "price_minimum")
PRICE_KEYS = ("price_sync", "price_ending", "price_currency", *AMOUNT_KEYS)
_NOT_NEGATIVE = _l("Enter a whole number of 0 or more.")
ENDING_CHOICES = (("", _l("Round to the cent")), ("99", _l("End in .99")), ("95", _l("End in .95")),
                  ("90", _l("End in .90")), ("00", _l("Round up to a whole amount")))


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
    price_sync = BooleanField(
        _l("Send prices to the marketplace"),
        description=_l("Off: prices are managed on the marketplace. On: the shop's price, adjusted as below, is "
                       "sent with every stock update and whenever it changes."))
    price_percent = DecimalField(_l("Price adjustment (%)"), places=None, validators=[
        Optional(), NumberRange(min=-90, max=500, message=_l("Enter a percentage from -90 to 500."))],
        description=_l("For example 10 offers the product 10 % above the shop price; -5 offers it 5 % below."))
    price_fixed = DecimalField(_l("Amount added"), places=None, validators=[
        Optional(), NumberRange(min=-10000, max=10000, message=_l("Enter an amount from -10000 to 10000."))],
        description=_l("Added after the percentage, for example 1.50 to cover a marketplace fee."))
    price_ending = SelectField(_l("Rounding"), choices=ENDING_CHOICES, default="",
                               description=_l("Prices are only ever rounded up, so the adjustment is kept."))
    price_minimum = DecimalField(_l("Lowest price offered"), places=None, validators=[
        Optional(), NumberRange(min=0, message=_l("Enter an amount of 0 or more."))],
        description=_l("Never offer below this amount, whatever the shop says; leave empty for no floor."))
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
    policy = SellingPolicy.from_settings(settings)
    data.update(price_sync=policy.enabled, price_ending=policy.ending, price_minimum=policy.minimum,
                price_percent=policy.percent or None, price_fixed=policy.fixed or None)
    return data


def _save_prices(form: SyncSettingsForm, connection: Connection, settings: dict[str, Any]) -> str | None:
    """Write the selling policy into ``settings``; returns an error for the page when the currency is unknown.

    Switching price sync on records the marketplace's currency, asked from the
    channel, so a shop price in another currency is never sent.
    """
    for key, value in (("price_sync", bool(form.price_sync.data)), ("price_ending", form.price_ending.data or "")):
        if value:
            settings[key] = value
        else:
            settings.pop(key, None)
    for key in AMOUNT_KEYS:
        value = form[key].data
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = format(value.normalize(), "f")
    if not settings.get("price_sync") or settings.get("price_currency"):
        return None
    try:
        choices = current_host().channel_adapter(connection).marketplaces()
    except MarketbridgeError as exc:
        return failure_text(exc, "asking the marketplace for its currency")
    currency = next((c.currency for c in choices if c.id == connection.marketplace), None)
    if currency is None:
        return _("The marketplace account no longer offers this connection's marketplace.")
    settings["price_currency"] = currency
    return None


@bp.route("/connections/<int:connection_id>/sync-settings", methods=["GET", "POST"])
def edit(connection_id: int) -> Any:
    """Prime import and stock rules, each explained in one sentence."""
    connection = connection_of(connection_id)
    settings = dict(connection.settings or {})
    statuses, status_error = shop_statuses(connection)
    channel = current_host().registry.channels.get(connection.account.kind)
    price_capable = bool(channel and channel.syncs_prices)
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
        before = {key: (connection.settings or {}).get(key) for key in PRICE_KEYS}
        price_error = _save_prices(form, connection, settings) if price_capable else None
        if price_error is None:
            connection.settings = settings  # a new dict, so the JSON column is written
            if any(settings.get(key) != value for key, value in before.items()):
                read_all_listings_soon(connection.shop_id)
            db.session.commit()
            flash(_("The Prime, stock and price settings were saved."), "success")
            return redirect(url_for("setup_settings.edit", connection_id=connection.id))
        form.price_sync.errors = [*form.price_sync.errors, _("Prices cannot be sent yet: %(error)s", error=price_error)]
    created = connection.created_at.date()
    cutover = form.prime_cutover.data if isinstance(form.prime_cutover.data, date) else DEFAULT_CUTOVER
    before_cutover = created < cutover
    status = 400 if request.method == "POST" else 200
    return render_template("mb/setup/settings.html", connection=connection, form=form, status_error=status_error,
                           before_cutover=before_cutover, created=created, price_capable=price_capable,
                           price_currency=settings.get("price_currency")), status
