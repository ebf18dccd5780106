"""Carriers (S4): the default carrier, the merchant's carrier rules, and a dry run for one tracking number.

The marketplace needs an exact carrier code with every tracking number. The
``detect_carrier`` policy tries the rules in order (tracking-number pattern
and/or the shop's carrier name), then the built-in library
(:func:`marketbridge.carriers.suggest.suggest`), then the default carrier;
without a default carrier an unrecognised tracking number is not sent. A
rule's pattern is checked with :func:`marketbridge.carriers.patterns.check_pattern`
against sample numbers before it is saved: invalid or runaway patterns are
refused, and every sample must match.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketbridge.carriers.patterns import check_pattern
from marketbridge.carriers.suggest import suggest
from marketbridge.engine.shop_changes import release_held_shipments
from marketbridge.host import current_host
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import CarrierRule, Connection, db
from marketbridge.web.setup.common import blueprint, connection_of, failure_text, quoted

bp = blueprint("setup_carriers")


class DefaultCarrierForm(FlaskForm):
    default_carrier = StringField(_l("Default carrier"), validators=[Optional(), Length(max=100)],
                                  description=_l("The marketplace's carrier code used when no rule and no built-in "
                                                 "format recognises a tracking number."))
    submit = SubmitField(_l("Save the default carrier"))


class CarrierRuleForm(FlaskForm):
    pattern = StringField(_l("Tracking number pattern"), validators=[Optional(), Length(max=300)],
                          description=_l("A regular expression the whole tracking number must match, spaces "
                                         "removed, e.g. JJD\\d{13}. Leave empty to match by carrier name only."))
    shop_carrier = StringField(_l("Carrier name in the shop"), validators=[Optional(), Length(max=200)],
                               description=_l("Matches when the shop names this carrier (upper and lower case "
                                              "ignored). Leave empty to match by pattern only."))
    carrier_code = StringField(_l("Marketplace carrier code"), validators=[DataRequired(), Length(max=100)])
    carrier_name = StringField(_l("Carrier name sent along"), validators=[Optional(), Length(max=200)],
                               description=_l("Needed with the code \u201cOther\u201d: the carrier's name as the "
                                              "buyer should see it."))
    samples = TextAreaField(_l("Sample tracking numbers"), validators=[Optional(), Length(max=2000)],
                            description=_l("One per line. The pattern is tested against them before the rule is "
                                           "saved; each must match."))
    submit = SubmitField(_l("Save the rule"))


class TryForm(FlaskForm):
    """The dry run (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    tracking = StringField(_l("Tracking number"), validators=[Optional(), Length(max=100)])
    shop_carrier = StringField(_l("Carrier name in the shop"), validators=[Optional(), Length(max=200)])
    country = StringField(_l("Shipping country"), validators=[
        Optional(), Regexp(r"^[A-Za-z]{2}$", message=_l("Enter a two-letter country code such as DE or FR."))])
    submit = SubmitField(_l("Show what would be sent"))


@dataclass
class Trial:
    """What the policy would send for one shipment."""

    code: str | None
    name: str | None
    source: str  #: rule | library | default | none
    rule_number: int | None = None
    note: str | None = None


def carrier_codes(connection: Connection) -> tuple[frozenset[str] | None, str | None]:
    """The marketplace's exact codes (``None``: free text), and why they could not be read."""
    try:
        codes = current_host().account_adapter(connection.account).carrier_codes()
        db.session.commit()
        return codes, None
    except Exception as exc:
        db.session.rollback()
        return None, failure_text(exc, "listing carrier codes")


def ordered_rules(connection_id: int) -> list[CarrierRule]:
    return list(db.session.execute(sa.select(CarrierRule).filter_by(connection_id=connection_id)
                                   .order_by(CarrierRule.position, CarrierRule.id)).scalars())


def trial(connection: Connection, rules: list[CarrierRule], codes: frozenset[str] | None, tracking: str,
          shop_carrier: str, country: str | None) -> Trial:
    """Rules, then the built-in library, then the default carrier, as the ``detect_carrier`` policy does."""
    number = tracking.replace(" ", "")
    for position, rule in enumerate(rules, start=1):
        if not rule.pattern and not rule.shop_carrier:
            continue
        if rule.pattern:
            try:
                if not re.fullmatch(rule.pattern, number):
                    continue
            except re.error:
                continue
        if rule.shop_carrier and rule.shop_carrier.strip().casefold() != shop_carrier.strip().casefold():
            continue
        return Trial(rule.carrier_code, rule.carrier_name, "rule", position)
    suggestion = suggest(tracking, shop_carrier or None, country, codes)
    if suggestion.code is not None and suggestion.carrier is not None:
        return Trial(suggestion.code, suggestion.carrier.carrier_name, "library")
    if connection.default_carrier:
        return Trial(connection.default_carrier, shop_carrier or None, "default", note=suggestion.problem)
    return Trial(None, None, "none", note=suggestion.problem)


def _validate_code(field: Any, codes: frozenset[str] | None) -> bool:
    code = (field.data or "").strip()
    field.data = code
    if code and codes is not None and code not in codes:
        field.errors = [*field.errors, _("The marketplace does not know the carrier code %(code)s. Choose one from "
                                         "the list.", code=quoted(code))]
        return False
    return True


def _samples(form: CarrierRuleForm) -> list[str]:
    return [line.strip() for line in (form.samples.data or "").splitlines() if line.strip()]


def check_rule(form: CarrierRuleForm, codes: frozenset[str] | None) -> tuple[bool, list[str]]:
    """Validate a submitted rule; returns ``(ok, findings)`` with the pattern checker's sentences."""
    ok = form.validate_on_submit()
    ok = _validate_code(form.carrier_code, codes) and ok
    pattern = (form.pattern.data or "").strip()
    shop_carrier = (form.shop_carrier.data or "").strip()
    form.pattern.data, form.shop_carrier.data = pattern, shop_carrier
    if not pattern and not shop_carrier:
        form.pattern.errors = [*form.pattern.errors, _("Enter a tracking number pattern, a carrier name in the "
                                                       "shop, or both: a rule without either never matches.")]
        ok = False
    if form.carrier_code.data == "Other" and not (form.carrier_name.data or "").strip():
        form.carrier_name.errors = [*form.carrier_name.errors, _("With the code \u201cOther\u201d, name the carrier "
                                                                 "so the buyer knows who delivers.")]
        ok = False
    findings: list[str] = []
    if pattern:
        samples = _samples(form)
        report = check_pattern(pattern, samples)
        findings = report.messages()
        if not report.ok:
            form.pattern.errors = [*form.pattern.errors, _("The pattern cannot be saved; see the findings below.")]
            ok = False
        elif not samples:
            form.samples.errors = [*form.samples.errors, _("Enter at least one tracking number the rule is meant "
                                                           "for, so the pattern can be tested.")]
            ok = False
        elif report.not_matching:
            form.samples.errors = [*form.samples.errors, _("Some samples do not match the pattern: %(samples)s. "
                                                           "Correct the pattern or the samples.",
                                                           samples=", ".join(report.not_matching))]
            ok = False
    return ok, findings


def _apply(form: CarrierRuleForm, rule: CarrierRule) -> None:
    rule.pattern = form.pattern.data or None
    rule.shop_carrier = form.shop_carrier.data or None
    rule.carrier_code = form.carrier_code.data or ""
    rule.carrier_name = (form.carrier_name.data or "").strip() or None


def _page(connection: Connection, *, rule_form: CarrierRuleForm | None = None, default_form: DefaultCarrierForm | None = None,
          findings: list[str] | None = None, status: int = 200) -> Any:
    codes, codes_error = carrier_codes(connection)
    rules = ordered_rules(connection.id)
    try_form = TryForm(request.args)
    result = None
    if request.args.get("tracking") is not None or request.args.get("shop_carrier"):
        if try_form.validate():
            country = (try_form.country.data or connection.country or "").upper() or None
            result = trial(connection, rules, codes, (try_form.tracking.data or "").strip(),
                           (try_form.shop_carrier.data or "").strip(), country)
    elif not try_form.country.data:
        try_form.country.data = connection.country
    default_form = default_form or DefaultCarrierForm(formdata=None, default_carrier=connection.default_carrier or "")
    return render_template("mb/setup/carriers.html", connection=connection, codes=sorted(codes) if codes else None,
                           codes_error=codes_error, rules=rules, rule_form=rule_form or CarrierRuleForm(formdata=None),
                           default_form=default_form, try_form=try_form, result=result,
                           findings=findings or []), status


def _rule_of(connection: Connection, rule_id: int) -> CarrierRule:
    rule = db.session.get(CarrierRule, rule_id)
    if rule is None or rule.connection_id != connection.id:
        abort(404)
    return rule


@bp.get("/connections/<int:connection_id>/carriers")
def index(connection_id: int) -> Any:
    """Default carrier, rules in order, a form for a new rule, and the dry run."""
    return _page(connection_of(connection_id))


def release_shipments(connection: Connection) -> None:
    """New carrier settings may release shipments held for their carrier (S4); send those at once."""
    if release_held_shipments(current_host(), connection.id):
        enqueue_delivery(connection.id)


@bp.post("/connections/<int:connection_id>/carriers/default")
def default(connection_id: int) -> Any:
    """Save the default carrier (validated against the marketplace's list when it has one)."""
    connection = connection_of(connection_id)
    form = DefaultCarrierForm()
    codes, _error = carrier_codes(connection)
    if form.validate_on_submit() and _validate_code(form.default_carrier, codes):
        connection.default_carrier = form.default_carrier.data or None
        db.session.commit()
        release_shipments(connection)
        if connection.default_carrier:
            flash(_("The default carrier is now %(code)s.", code=quoted(connection.default_carrier)), "success")
        else:
            flash(_("The default carrier was removed: tracking numbers that nothing recognises are not sent."),
                  "success")
        return redirect(url_for("setup_carriers.index", connection_id=connection.id))
    return _page(connection, default_form=form, status=400)


@bp.post("/connections/<int:connection_id>/carriers/rules")
def create(connection_id: int) -> Any:
    """Add a rule at the end of the list once its pattern passed the checks."""
    connection = connection_of(connection_id)
    form = CarrierRuleForm()
    codes, _error = carrier_codes(connection)
    ok, findings = check_rule(form, codes)
    if not ok:
        return _page(connection, rule_form=form, findings=findings, status=400)
    last = db.session.execute(sa.select(sa.func.max(CarrierRule.position))
                              .filter_by(connection_id=connection.id)).scalar_one()
    rule = CarrierRule(connection_id=connection.id, position=(last if last is not None else -1) + 1)
    _apply(form, rule)
    db.session.add(rule)
    db.session.commit()
    release_shipments(connection)
    flash(_("The carrier rule was added."), "success")
    for finding in findings:
        flash(finding, "info")
    return redirect(url_for("setup_carriers.index", connection_id=connection.id))


@bp.route("/connections/<int:connection_id>/carriers/rules/<int:rule_id>", methods=["GET", "POST"])
def edit(connection_id: int, rule_id: int) -> Any:
    """Change one rule (checked as on creation)."""
    connection = connection_of(connection_id)
    rule = _rule_of(connection, rule_id)
    codes, codes_error = carrier_codes(connection)
    form = CarrierRuleForm(obj=rule) if request.method == "GET" else CarrierRuleForm()
    findings: list[str] = []
    status = 200
    if request.method == "POST":
        ok, findings = check_rule(form, codes)
        if ok:
            _apply(form, rule)
            db.session.commit()
            release_shipments(connection)
            flash(_("The carrier rule was saved."), "success")
            for finding in findings:
                flash(finding, "info")
            return redirect(url_for("setup_carriers.index", connection_id=connection.id))
        status = 400
    return render_template("mb/setup/carrier_rule.html", connection=connection, rule=rule, form=form,
                           codes=sorted(codes) if codes else None, codes_error=codes_error,
                           findings=findings), status


@bp.post("/connections/<int:connection_id>/carriers/rules/<int:rule_id>/delete")
def delete(connection_id: int, rule_id: int) -> Any:
    connection = connection_of(connection_id)
    db.session.delete(_rule_of(connection, rule_id))
    db.session.commit()
    flash(_("The carrier rule was deleted."), "success")
    return redirect(url_for("setup_carriers.index", connection_id=connection.id))


@bp.post("/connections/<int:connection_id>/carriers/rules/<int:rule_id>/move")
def move(connection_id: int, rule_id: int) -> Any:
    """Move a rule one place up or down (``direction``); rules are tried from the top."""
    connection = connection_of(connection_id)
    rule = _rule_of(connection, rule_id)
    rules = ordered_rules(connection.id)
    index_ = rules.index(rule)
    target = index_ - 1 if request.form.get("direction") == "up" else index_ + 1
    if 0 <= target < len(rules):
        rules[index_], rules[target] = rules[target], rules[index_]
    for position, row in enumerate(rules):
        row.position = position
    db.session.commit()
    return redirect(url_for("setup_carriers.index", connection_id=connection.id) + f"#rule-{rule.id}")
