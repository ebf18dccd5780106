"""Automation rules (O7): criteria on order fields trigger actions at import; "reprocess rules" re-applies them.

A rule belongs to one connection or to all connections (``connection_id``
``None``; only sessions that see every shop may create or change those). The
criteria builder is a fixed number of rows plus an "add a row" button that
works without JavaScript (the form comes back with one more row, nothing
saved); ``setup/rules.js`` adds rows in place and offers only the comparisons
that fit the chosen field. Rules are validated with
:class:`marketbridge.rules.RuleSchema` after the page's own, translated checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import ValidationError

from marketbridge.engine import reprocess
from marketbridge.host import current_host
from marketbridge.models import AutomationRule, Connection, db
from marketbridge.rules import ACTIONS, FIELDS, OPERATORS, RuleSchema
from marketbridge.web.scope import current_scope
from marketbridge.web.setup.common import blueprint, connection_of, failure_text, quoted

bp = blueprint("setup_rules")

FIELD_LABELS = {
    "marketplace": _l("Marketplace"), "sales_channel": _l("Sales channel"),
    "requested_service": _l("Requested shipping service"), "country": _l("Shipping country"),
    "currency": _l("Currency"), "total": _l("Order total"), "items": _l("Number of items"),
    "sku": _l("SKU of any line"), "tags": _l("Tags"), "fulfilment_channel": _l("Fulfilment"), "prime": _l("Prime"),
    "pickup": _l("Click & Collect"), "business": _l("Business order"), "replacement": _l("Replacement order"),
    "preorder": _l("Pre-order"),
}
OPERATOR_LABELS = {
    "equals": _l("is"), "not_equals": _l("is not"), "contains": _l("contains"), "not_contains": _l("does not contain"),
    "gt": _l("is more than"), "gte": _l("is at least"), "lt": _l("is less than"), "lte": _l("is at most"),
    "is_true": _l("is yes"), "is_false": _l("is no"),
}
ACTION_LABELS = {"add_tag": _l("Add the tag"), "set_status": _l("Create in the shop with the status"),
                 "hold": _l("Hold the order, with the reason")}
MIN_CRITERIA_ROWS, MAX_CRITERIA_ROWS = 3, 20
MIN_ACTION_ROWS, MAX_ACTION_ROWS = 2, 10


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else (FIELDS[name][0] if name in FIELDS else name)


def operator_label(name: str) -> str:
    return str(OPERATOR_LABELS.get(name, name))


def action_label(name: str) -> str:
    return str(ACTION_LABELS.get(name, name))


@dataclass
class Draft:
    """A rule as the form shows it, with field errors keyed ``name``, ``criteria``, ``criteria-2-value`` …"""

    name: str = ""
    match: str = "all"
    active: bool = True
    everywhere: bool = False
    criteria: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @classmethod
    def of(cls, rule: AutomationRule) -> Draft:
        return cls(rule.name, rule.match, rule.active, rule.connection_id is None,
                   [dict(field=str(c.get("field", "")), op=str(c.get("op", "")), value=str(c.get("value", "")))
                    for c in rule.criteria],
                   [dict(type=str(a.get("type", "")), value=str(a.get("value", ""))) for a in rule.actions])

    def padded(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """Rows for the form: the entered ones plus empty rows up to the minimum."""
        criteria = self.criteria + [dict(field="", op="", value="")] * max(0, MIN_CRITERIA_ROWS - len(self.criteria))
        actions = self.actions + [dict(type="", value="")] * max(0, MIN_ACTION_ROWS - len(self.actions))
        return criteria, actions


def _rows(prefix: str, keys: tuple[str, ...], count_field: str, limit: int) -> list[dict[str, str]]:
    count = min(max(request.form.get(count_field, type=int) or 0, 1), limit)
    return [{key: (request.form.get(f"{prefix}-{i}-{key}") or "").strip() for key in keys} for i in range(count)]


def draft_from_form() -> Draft:
    return Draft(name=(request.form.get("name") or "").strip(), match=request.form.get("match") or "all",
                 active=bool(request.form.get("active")), everywhere=request.form.get("applies_to") == "all",
                 criteria=_rows("criteria", ("field", "op", "value"), "criteria_rows", MAX_CRITERIA_ROWS),
                 actions=_rows("actions", ("type", "value"), "action_rows", MAX_ACTION_ROWS))


def validate(draft: Draft, shop_statuses: list[tuple[str, str]] | None) -> dict[str, Any] | None:
    """The rule's data for saving, or ``None`` with ``draft.errors`` filled in."""
    if not draft.name:
        draft.error("name", _("Enter a name for the rule, e.g. \u201cBig orders to review\u201d."))
    elif len(draft.name) > 200:
        draft.error("name", _("Keep the name under 200 characters."))
    if draft.match not in ("all", "any"):
        draft.match = "all"
    criteria = []
    for index, row in enumerate(draft.criteria):
        if not row["field"]:
            continue
        if row["field"] not in FIELDS:
            draft.error(f"criteria-{index}-field", _("Choose a field from the list."))
            continue
        kind = FIELDS[row["field"]][2]
        if row["op"] not in OPERATORS or kind not in OPERATORS[row["op"]]:
            draft.error(f"criteria-{index}-op", _("%(op)s does not apply to %(field)s. Choose another comparison.",
                                                  op=quoted(operator_label(row["op"]) if row["op"] else "?"),
                                                  field=quoted(field_label(row["field"]))))
        elif kind == "number":
            try:
                Decimal(row["value"])
            except InvalidOperation:
                draft.error(f"criteria-{index}-value", _("Enter a number, e.g. 100 or 49.90."))
        elif kind in ("text", "list") and not row["value"]:
            draft.error(f"criteria-{index}-value", _("Enter a value to compare with."))
        if kind == "flag":
            row["value"] = ""
        criteria.append({"field": row["field"], "op": row["op"], "value": row["value"]})
    if not criteria and not any(k.startswith("criteria-") for k in draft.errors):
        draft.error("criteria", _("Add at least one condition."))
    known_statuses = {code for code, _label in shop_statuses or ()}
    actions = []
    for index, row in enumerate(draft.actions):
        if not row["type"]:
            continue
        if row["type"] not in ACTIONS:
            draft.error(f"actions-{index}-type", _("Choose an action from the list."))
            continue
        if row["type"] in ("add_tag", "set_status") and not row["value"]:
            draft.error(f"actions-{index}-value", _("This action needs a value."))
        elif len(row["value"]) > 200:
            draft.error(f"actions-{index}-value", _("Keep the value under 200 characters."))
        elif row["type"] == "set_status" and shop_statuses is not None and row["value"] not in known_statuses:
            draft.error(f"actions-{index}-value", _("The shop has no status %(status)s. Choose one from the list.",
                                                    status=quoted(row["value"])))
        actions.append({"type": row["type"], "value": row["value"]})
    if not actions and not any(k.startswith("actions-") for k in draft.errors):
        draft.error("actions", _("Add at least one action."))
    if draft.errors:
        return None
    try:
        return dict(RuleSchema().load({"name": draft.name, "match": draft.match, "criteria": criteria,
                                       "actions": actions}))
    except ValidationError as exc:  # the engine's own check; the page's checks above should catch everything
        draft.error("criteria", _("The rule was refused: %(details)s", details=str(exc.messages)))
        return None


def shop_statuses(connection: Connection) -> tuple[list[tuple[str, str]] | None, str | None]:
    try:
        statuses = [(s.code, s.label) for s in current_host().shop_adapter(connection.shop).list_statuses()]
        db.session.commit()
        return statuses, None
    except Exception as exc:
        db.session.rollback()
        return None, failure_text(exc, "listing shop statuses")


def rules_for(connection: Connection) -> list[AutomationRule]:
    """The connection's own rules and those for all connections, in the order they are applied."""
    return list(db.session.execute(sa.select(AutomationRule).where(
        sa.or_(AutomationRule.connection_id == connection.id, AutomationRule.connection_id.is_(None)))
        .order_by(AutomationRule.position, AutomationRule.id)).scalars())


def _rule_of(connection: Connection, rule_id: int, *, changing: bool = False) -> AutomationRule:
    rule = db.session.get(AutomationRule, rule_id)
    if rule is None or rule.connection_id not in (None, connection.id):
        abort(404)
    if changing and rule.connection_id is None and current_scope().limited:
        abort(403)
    return rule


def summary(rule: AutomationRule) -> tuple[list[str], list[str]]:
    """The rule's conditions and actions as short phrases."""
    conditions = []
    for criterion in rule.criteria:
        name, op, value = criterion.get("field", ""), criterion.get("op", ""), criterion.get("value", "")
        text = f"{field_label(name)} {operator_label(op)}"
        conditions.append(text if op in ("is_true", "is_false") else f"{text} {quoted(value)}")
    actions = []
    for action in rule.actions:
        kind, value = action.get("type", ""), action.get("value", "")
        actions.append(f"{action_label(kind)} {quoted(value)}" if value else action_label(kind))
    return conditions, actions


def _form_page(connection: Connection, draft: Draft, rule: AutomationRule | None, status: int,
               statuses: list[tuple[str, str]] | None, statuses_error: str | None) -> Any:
    criteria, actions = draft.padded()
    kinds = {name: kind for name, (_label, _read, kind) in FIELDS.items()}
    return render_template("mb/setup/rule_form.html", connection=connection, draft=draft, rule=rule,
                           criteria=criteria, actions=actions, fields=[(n, field_label(n)) for n in FIELDS],
                           kinds=kinds, operators=[(o, operator_label(o), " ".join(k)) for o, k in OPERATORS.items()],
                           action_types=[(a, action_label(a)) for a in ACTIONS], statuses=statuses,
                           statuses_error=statuses_error, may_share=not current_scope().limited,
                           max_criteria=MAX_CRITERIA_ROWS, max_actions=MAX_ACTION_ROWS), status


def _save_or_render(connection: Connection, rule: AutomationRule | None) -> Any:
    statuses, statuses_error = shop_statuses(connection)
    if request.method == "GET":
        draft = Draft.of(rule) if rule is not None else Draft()
        return _form_page(connection, draft, rule, 200, statuses, statuses_error)
    draft = draft_from_form()
    if current_scope().limited:
        draft.everywhere = False
    added = request.form.get("add")
    if added == "criteria" and len(draft.criteria) < MAX_CRITERIA_ROWS:
        draft.criteria.append(dict(field="", op="", value=""))
        return _form_page(connection, draft, rule, 200, statuses, statuses_error)
    if added == "action" and len(draft.actions) < MAX_ACTION_ROWS:
        draft.actions.append(dict(type="", value=""))
        return _form_page(connection, draft, rule, 200, statuses, statuses_error)
    data = validate(draft, statuses)
    if data is None:
        return _form_page(connection, draft, rule, 400, statuses, statuses_error)
    if rule is None:
        last = db.session.execute(sa.select(sa.func.max(AutomationRule.position))).scalar_one()
        rule = AutomationRule(position=(last if last is not None else -1) + 1)
        db.session.add(rule)
    rule.connection_id = None if draft.everywhere else connection.id
    rule.name, rule.match = data["name"], data["match"]
    rule.criteria, rule.actions = list(data["criteria"]), list(data["actions"])
    rule.active = draft.active
    db.session.commit()
    flash(_("The rule %(name)s was saved. It applies to orders imported from now on; use \u201cReprocess rules\u201d "
            "for orders already in the shop.", name=quoted(rule.name)), "success")
    return redirect(url_for("setup_rules.index", connection_id=connection.id))


@bp.get("/connections/<int:connection_id>/rules")
def index(connection_id: int) -> Any:
    """The rules applied to this connection's orders, in order."""
    connection = connection_of(connection_id)
    rules = rules_for(connection)
    return render_template("mb/setup/rules.html", connection=connection, rules=rules, summary=summary,
                           limited=current_scope().limited)


@bp.route("/connections/<int:connection_id>/rules/new", methods=["GET", "POST"])
def create(connection_id: int) -> Any:
    return _save_or_render(connection_of(connection_id), None)


@bp.route("/connections/<int:connection_id>/rules/<int:rule_id>", methods=["GET", "POST"])
def edit(connection_id: int, rule_id: int) -> Any:
    connection = connection_of(connection_id)
    return _save_or_render(connection, _rule_of(connection, rule_id, changing=request.method == "POST"))


@bp.post("/connections/<int:connection_id>/rules/<int:rule_id>/delete")
def delete(connection_id: int, rule_id: int) -> Any:
    connection = connection_of(connection_id)
    rule = _rule_of(connection, rule_id, changing=True)
    name = rule.name
    db.session.delete(rule)
    db.session.commit()
    flash(_("The rule %(name)s was deleted.", name=quoted(name)), "success")
    return redirect(url_for("setup_rules.index", connection_id=connection.id))


@bp.post("/connections/<int:connection_id>/rules/<int:rule_id>/move")
def move(connection_id: int, rule_id: int) -> Any:
    """Move a rule one place up or down in this connection's list (a later ``set_status`` wins)."""
    connection = connection_of(connection_id)
    rule = _rule_of(connection, rule_id, changing=True)
    rules = rules_for(connection)
    here = rules.index(rule)
    there = here - 1 if request.form.get("direction") == "up" else here + 1
    if 0 <= there < len(rules):
        if current_scope().limited and rules[there].connection_id is None:
            abort(403)
        rules[here], rules[there] = rules[there], rules[here]
        positions = sorted(r.position for r in rules)
        if len(set(positions)) < len(positions):
            positions = list(range(len(rules)))
        for position, row in zip(positions, rules):
            row.position = position
        db.session.commit()
    return redirect(url_for("setup_rules.index", connection_id=connection.id) + f"#rule-{rule.id}")


def _status_labels(connection: Connection) -> dict[str, str]:
    statuses, _error = shop_statuses(connection)
    return dict(statuses or ())


@bp.route("/connections/<int:connection_id>/rules/reprocess", methods=["GET", "POST"])
def reprocess_rules(connection_id: int) -> Any:
    """Preview what the rules would change on orders already in the shop; apply after confirmation."""
    connection = connection_of(connection_id)
    host = current_host()
    if request.method == "POST":
        try:
            changes = reprocess.apply(host, connection.id)
        except Exception as exc:
            db.session.rollback()
            flash(_("The rules could not be applied: %(error)s", error=failure_text(exc, "reprocessing rules")),
                  "error")
            return redirect(url_for("setup_rules.reprocess_rules", connection_id=connection.id))
        failed = [c for c in changes if c.error]
        flash(ngettext("The rules were applied again to %(num)d order.",
                       "The rules were applied again to %(num)d orders.", len(changes) - len(failed)), "success")
        if failed:
            flash(ngettext("%(num)d order could not be changed in the shop; see the table.",
                           "%(num)d orders could not be changed in the shop; see the table.", len(failed)), "error")
            return render_template("mb/setup/reprocess.html", connection=connection, changes=failed, applied=True,
                                   labels=_status_labels(connection), limit=reprocess.LIMIT)
        return redirect(url_for("setup_rules.index", connection_id=connection.id))
    try:
        changes = reprocess.preview(host, connection.id)
    except Exception as exc:
        db.session.rollback()
        flash(_("The preview could not be computed: %(error)s", error=failure_text(exc, "previewing rules")), "error")
        changes = []
    return render_template("mb/setup/reprocess.html", connection=connection, changes=changes, applied=False,
                           labels=_status_labels(connection), limit=reprocess.LIMIT)
