"""Forms of the Click & Collect pages; labels translated lazily."""
from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from marketbridge.web.forms import options

#: Weekdays as the channels take them (``Store.opening_hours`` keys).
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_LABELS = {"monday": _l("Monday"), "tuesday": _l("Tuesday"), "wednesday": _l("Wednesday"),
              "thursday": _l("Thursday"), "friday": _l("Friday"), "saturday": _l("Saturday"),
              "sunday": _l("Sunday")}
#: A sensible time zone for a store in these countries (the merchant can pick any other).
COUNTRY_ZONES = {"DE": "Europe/Berlin", "FR": "Europe/Paris", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
                 "GB": "Europe/London", "IT": "Europe/Rome", "ES": "Europe/Madrid", "NL": "Europe/Amsterdam",
                 "BE": "Europe/Brussels", "PL": "Europe/Warsaw", "SE": "Europe/Stockholm", "US": "America/New_York"}
MAX_HANDLING_MINUTES = 14 * 24 * 60
HOLD_DAYS = (1, 30)
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})$")


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def parse_spans(text: str | None) -> list[list[str]]:
    """``"09:00-13:00, 14:00-18:30"`` → ``[["09:00", "13:00"], ["14:00", "18:30"]]``; ``ValueError`` in plain words."""
    spans: list[list[str]] = []
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _SPAN.match(part)
        if not match:
            raise ValueError(str(_l("\u201c%(span)s\u201d is not a time span; write it like 09:00-18:00.", span=part)))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(str(_l("\u201c%(span)s\u201d is not a valid time of day.", span=part)))
        start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
        if start >= end:
            raise ValueError(str(_l("In \u201c%(span)s\u201d the opening time must come before the closing time.",
                                    span=part)))
        spans.append([start, end])
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError(str(_l("The time spans overlap; write each span once.")))
    return spans


def format_spans(spans: Any) -> str:
    """The text form of stored spans."""
    return ", ".join(f"{start}-{end}" for start, end in (spans or ()))


def _valid_spans(form: FlaskForm, field: Field) -> None:
    try:
        parse_spans(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class StoreForm(FlaskForm):
    """A pickup store (K1, K2). The opening-hours fields ``hours_<day>`` are added below."""

    name = StringField(_l("Store name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Shown to buyers on the marketplace."))
    code = StringField(_l("Supply source code"), validators=[
        DataRequired(), Length(max=100),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("Use letters, digits, dots, hyphens and underscores "
                                                            "only."))],
        description=_l("Your own unique code for this store, e.g. BERLIN-01. It cannot be changed once the store "
                       "reached the marketplace."))
    line1 = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=200)])
    line2 = StringField(_l("Address line 2"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    region = StringField(_l("State or region"), validators=[DataRequired(), Length(max=100)],
                         description=_l("For example Berlin or \u00cele-de-France; the marketplace requires it."))
    country_code = StringField(_l("Country"), validators=[
        DataRequired(), Regexp(r"^[A-Za-z]{2}$", message=_l("Enter a two-letter country code such as DE or FR."))],
        description=_l("Two letters, e.g. DE."))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail address"), validators=[
        Optional(), Length(max=255), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an e-mail address."))])
    timezone = SelectField(_l("Time zone"), choices=[],
                           description=_l("The opening hours are read in this time zone."))
    handling_value = IntegerField(_l("Order handling time"), validators=[
        InputRequired(message=_l("Enter how long the store needs.")),
        NumberRange(min=1, message=_l("Enter a whole number of at least 1."))],
        description=_l("How long the store needs to get an order ready for pickup."))
    handling_unit = SelectField(_l("Unit"), choices=[], default="hours")
    hold_days = IntegerField(_l("Hold period in days"), default=7, validators=[
        InputRequired(message=_l("Enter the number of days.")),
        NumberRange(min=HOLD_DAYS[0], max=HOLD_DAYS[1], message=_l("Enter a number of days from 1 to 30."))],
        description=_l("How long a ready order waits in the store for the buyer; 5 to 7 days is typical. After "
                       "that, Marketbridge reminds you to cancel or refund it."))
    stock_mode = RadioField(_l("Stock offered in this store"), choices=[], default="shop")
    active = BooleanField(_l("Active: buyers can choose this store"), default=True)
    submit = SubmitField(_l("Save and send to the marketplace"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = options([("", _l("Not set")), *((z, z) for z in _zones())])
        self.handling_unit.choices = options([("minutes", _l("minutes")), ("hours", _l("hours"))])
        self.stock_mode.choices = options([("shop", _l("The shop's stock of the product")),
                                           ("own", _l("A stock figure of its own, entered here for this store"))])

    def hour_fields(self) -> list[tuple[str, Field]]:
        return [(day, self[f"hours_{day}"]) for day in DAYS]

    def validate_handling_value(self, field: Field) -> None:
        if field.data is not None and self.minutes() > MAX_HANDLING_MINUTES:
            raise ValidationError(str(_l("At most 14 days.")))

    def minutes(self) -> int:
        value = int(self.handling_value.data or 0)
        return value * 60 if self.handling_unit.data == "hours" else value

    def opening_hours(self) -> dict[str, list[list[str]]]:
        """The stored form of the opening hours (closed days left out)."""
        hours = {day: parse_spans(field.data) for day, field in self.hour_fields()}
        return {day: spans for day, spans in hours.items() if spans}


for _day in DAYS:
    setattr(StoreForm, f"hours_{_day}", StringField(DAY_LABELS[_day], validators=[Optional(), Length(max=200),
                                                                                  _valid_spans]))


class PickupProductsForm(FlaskForm):
    """Products to enable for pickup in one store, one identifier value a line (K3)."""

    values = TextAreaField(_l("Products"), validators=[DataRequired(message=_l("Enter at least one product."))],
                           render_kw={"rows": 6})
    submit = SubmitField(_l("Enable for pickup in this store"))


class OverviewFilterForm(FlaskForm):
    """Filters of the Click & Collect overview (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    store = SelectField(_l("Store"), choices=[], default="")
    status = SelectField(_l("Marketplace status"), choices=[], default="")
    overdue = SelectField(_l("Hold period over"), choices=[], default="")
    q = StringField(_l("Order number"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Filter"))
