"""Buying a shipping label for an order from the marketplace (L1, L2).

Three steps on one page: the parcel and the address it leaves from (kept per
connection for next time), the rates with the refused ones and why, then one
purchase confirmed in a dialog. The label can be downloaded until the
buyer's personal data is erased (D1).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from marketbridge.adapters import Parcel
from marketbridge.engine import labels
from marketbridge.errors import MarketbridgeError
from marketbridge.host import current_host
from marketbridge.models import Order, ShippingLabel, db
from marketbridge.web.auth import require_login
from marketbridge.web.scope import current_scope
from marketbridge.web.setup.common import failure_text

bp = Blueprint("labels", __name__)
bp.before_request(require_login)

#: The address fields kept in ``connection.settings["ship_from"]``.
ADDRESS_KEYS = ("name", "line1", "line2", "city", "postal_code", "region", "country_code", "phone")
#: Label formats served as themselves (ZPL is plain text for the printer).
LABEL_TYPES = {"application/pdf": ("application/pdf", "pdf"), "image/png": ("image/png", "png"),
               "text/plain": ("text/plain", "zpl")}
_SIZE = [InputRequired(), NumberRange(min=1, max=300, message=_l("Enter a size from 1 to 300 cm."))]


class ParcelForm(FlaskForm):
    weight_grams = IntegerField(_l("Weight (g)"), validators=[
        InputRequired(), NumberRange(min=1, max=70000, message=_l("Enter a weight from 1 to 70000 g."))])
    length_cm = DecimalField(_l("Length (cm)"), places=None, validators=_SIZE)
    width_cm = DecimalField(_l("Width (cm)"), places=None, validators=_SIZE)
    height_cm = DecimalField(_l("Height (cm)"), places=None, validators=_SIZE)
    name = StringField(_l("Sender name"), validators=[DataRequired(), Length(max=100)])
    line1 = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=200)])
    line2 = StringField(_l("Address line 2"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    region = StringField(_l("State or region"), validators=[Optional(), Length(max=100)],
                         description=_l("Some marketplaces need it to sell a label, e.g. Amazon."))
    country_code = StringField(_l("Country code"), validators=[
        DataRequired(), Regexp(r"^[A-Z]{2}$", message=_l("Enter a two-letter country code such as DE."))])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


class BuyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=2000)])
    rate_id = HiddenField(validators=[DataRequired(), Length(max=500)])


def _order(order_id: int) -> Order:
    order = current_scope().order(order_id)
    if not labels.offered(current_host(), order):
        abort(404)
    return order


def refusal_text(order: Order) -> str | None:
    """Why no label can be bought for ``order`` now, in the merchant's language; ``None`` when one can."""
    reason = labels.refusal(current_host(), order)
    return _explain(reason) if reason else None


def _page(order: Order, form: ParcelForm, *, quote: Any = None, error: str | None = None, status: int = 200) -> Any:
    label = db.session.execute(sa.select(ShippingLabel).filter_by(order_id=order.id)).scalar_one_or_none()
    refusal = None if label else refusal_text(order)
    return render_template("mb/orders/label.html", order=order, form=form, quote=quote, error=error, label=label,
                           refusal=refusal, buy=BuyForm()), status


@bp.route("/orders/<int:order_id>/label", methods=["GET", "POST"])
def rates(order_id: int) -> Any:
    """The parcel form; sent, the marketplace's rates for it (L1)."""
    order = _order(order_id)
    saved = dict((order.connection.settings or {}).get("ship_from") or {})
    sent = request.method == "POST"
    form = ParcelForm() if sent else ParcelForm(formdata=None, data=saved)
    if not form.validate_on_submit():
        return _page(order, form, status=400 if sent else 200)
    ship_from = {key: (form[key].data or "").strip() for key in ADDRESS_KEYS if (form[key].data or "").strip()}
    order.connection.settings = {**(order.connection.settings or {}), "ship_from": ship_from}
    db.session.commit()
    parcel = Parcel(form.weight_grams.data, form.length_cm.data, form.width_cm.data, form.height_cm.data)
    try:
        quote = labels.quote(current_host(), order, parcel, ship_from)
    except labels.LabelRefused as exc:
        return _page(order, form, error=_explain(str(exc)), status=409)
    except MarketbridgeError as exc:
        return _page(order, form, error=failure_text(exc, "asking for shipping rates"), status=502)
    return _page(order, form, quote=quote)


@bp.post("/orders/<int:order_id>/label/buy")
def buy(order_id: int) -> Any:
    """Buy the chosen rate's label once (L2); the marketplace learns of the shipment from the purchase."""
    order = _order(order_id)
    form = BuyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        label = labels.buy(current_host(), order, form.token.data, form.rate_id.data)
    except labels.LabelRefused as exc:
        flash(_explain(str(exc)), "error")
        return redirect(url_for("labels.rates", order_id=order.id))
    except MarketbridgeError as exc:
        flash(_("The label was not bought: %(error)s", error=failure_text(exc, "buying a shipping label")), "error")
        return redirect(url_for("labels.rates", order_id=order.id))
    flash(_("Label %(tracking)s bought. The marketplace knows the shipment already.", tracking=label.tracking_number),
          "success")
    return redirect(url_for("labels.rates", order_id=order.id))


@bp.get("/orders/<int:order_id>/label/document")
def document(order_id: int) -> Response:
    """The printable label, while the buyer's personal data is kept."""
    order = _order(order_id)
    label = db.session.execute(sa.select(ShippingLabel).filter_by(order_id=order.id)).scalar_one_or_none()
    if label is None or label.document is None:
        abort(404)
    # the type comes from the marketplace: anything but a label format is served as bytes, never rendered
    mimetype, extension = LABEL_TYPES.get(label.media_type, ("application/octet-stream", "bin"))
    return Response(label.document, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="label-{order.marketplace_order_id}.{extension}"',
        "X-Content-Type-Options": "nosniff"})


#: The engine's refusals in the merchant's language.
REFUSALS = {
    labels.NOT_OFFERED: _l("This marketplace does not sell shipping labels for this connection."),
    labels.ALREADY_BOUGHT: _l("A label was already bought for this order; one parcel per order on this route."),
    labels.PICKUP: _l("Click & Collect orders are collected in the store; they need no shipping label."),
    labels.TEST_ORDER: _l("Test orders are never sent to the marketplace, so no label can be bought for them."),
    labels.NOT_OPEN: _l("Labels are bought for open orders that are in the shop."),
    labels.PARTLY_SHIPPED: _l(
        "Part of this order was already shipped; labels for further parcels are not offered on this route. "
        "Use the marketplace's own tools."),
}


def _explain(reason: str) -> str:
    return str(REFUSALS.get(reason, reason))
