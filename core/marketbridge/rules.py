"""Automation rules (O7): criteria on order fields trigger actions at import.

A rule is ``match`` (``all``/``any``) of criteria, each ``{field, op, value}``,
and a list of actions ``{type, value}``:

* ``add_tag`` – tag the order (shown in the shop and in the order list);
* ``set_status`` – create the order in the shop with this status instead of
  the connection's initial status;
* ``hold`` – keep the order out of the shop with the given reason (the
  merchant releases it by hand).

Rules are stored as JSON (:class:`~marketbridge.models.AutomationRule`),
validated on save by :class:`RuleSchema`, and applied by the default
``order_import`` policy :mod:`marketbridge.policies.automation`. The same code
computes the preview of "reprocess rules" on imported orders.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketbridge.order import Order

#: field name → (label, how to read it from an order, kind: text | number | flag | list)
FIELDS: dict[str, tuple[str, Callable[[Order], Any], str]] = {
    "marketplace": ("Marketplace", lambda o: o.marketplace, "text"),
    "sales_channel": ("Sales channel", lambda o: o.sales_channel or "", "text"),
    "requested_service": ("Requested shipping service",
                          lambda o: " ".join(filter(None, [o.shipping.method, o.shipping.service_level])), "text"),
    "country": ("Shipping country", lambda o: o.shipping_address.country_code if o.shipping_address else "", "text"),
    "currency": ("Currency", lambda o: o.currency, "text"),
    "total": ("Order total", lambda o: o.total.amount, "number"),
    "items": ("Number of items", lambda o: sum(line.quantity for line in o.lines), "number"),
    "sku": ("SKU of any line", lambda o: [line.sku or "" for line in o.lines], "list"),
    "tags": ("Tags", lambda o: list(o.tags), "list"),
    "fulfilment_channel": ("Fulfilment", lambda o: o.fulfilment_channel.value, "text"),
    "prime": ("Prime", lambda o: o.flags.prime, "flag"),
    "pickup": ("Click & Collect", lambda o: o.flags.pickup, "flag"),
    "business": ("Business order", lambda o: o.flags.business, "flag"),
    "replacement": ("Replacement order", lambda o: o.flags.replacement, "flag"),
    "preorder": ("Pre-order", lambda o: o.flags.preorder, "flag"),
}

#: operator → the field kinds it applies to
OPERATORS: dict[str, tuple[str, ...]] = {
    "equals": ("text", "number", "list"),
    "not_equals": ("text", "number"),
    "contains": ("text", "list"),
    "not_contains": ("text", "list"),
    "gt": ("number",), "gte": ("number",), "lt": ("number",), "lte": ("number",),
    "is_true": ("flag",), "is_false": ("flag",),
}
ACTIONS = ("add_tag", "set_status", "hold")


@dataclass(frozen=True)
class Criterion:
    field: str
    op: str
    value: str = ""

    def matches(self, order: Order) -> bool:
        """Whether ``order`` satisfies this criterion (text comparisons ignore case)."""
        _, read, kind = FIELDS[self.field]
        actual = read(order)
        if kind == "flag":
            return bool(actual) is (self.op == "is_true")
        if kind == "number":
            try:
                expected = Decimal(self.value)
            except InvalidOperation:
                return False
            return {"equals": actual == expected, "not_equals": actual != expected, "gt": actual > expected,
                    "gte": actual >= expected, "lt": actual < expected, "lte": actual <= expected}[self.op]
        needle = self.value.casefold()
        if kind == "list":
            values = [str(v).casefold() for v in actual]
            found = (needle in values) if self.op == "equals" else any(needle in v for v in values)
            return not found if self.op == "not_contains" else found
        text = str(actual).casefold()
        return {"equals": text == needle, "not_equals": text != needle, "contains": needle in text,
                "not_contains": needle not in text}[self.op]


@dataclass(frozen=True)
class Action:
    type: str
    value: str = ""


@dataclass(frozen=True)
class Rule:
    """A rule as the policy uses it (see the module docstring)."""

    name: str
    criteria: tuple[Criterion, ...]
    actions: tuple[Action, ...]
    match: str = "all"

    def matches(self, order: Order) -> bool:
        results = (criterion.matches(order) for criterion in self.criteria)
        return any(results) if self.match == "any" else all(results)

    @classmethod
    def from_json(cls, name: str, match: str, criteria: Iterable[Mapping[str, Any]],
                  actions: Iterable[Mapping[str, Any]]) -> Rule:
        return cls(name, tuple(Criterion(c["field"], c["op"], str(c.get("value", ""))) for c in criteria),
                   tuple(Action(a["type"], str(a.get("value", ""))) for a in actions), match)


@dataclass
class Outcome:
    """What a set of rules does to one order."""

    matched: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str | None = None
    holds: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.tags or self.status or self.holds)


def evaluate(rules: Iterable[Rule], order: Order) -> Outcome:
    """Apply rules in order to ``order`` without changing it; a later ``set_status`` wins."""
    outcome = Outcome()
    for rule in rules:
        if not rule.criteria or not rule.matches(order):
            continue
        outcome.matched.append(rule.name)
        for action in rule.actions:
            if action.type == "add_tag" and action.value not in order.tags and action.value not in outcome.tags:
                outcome.tags.append(action.value)
            elif action.type == "set_status":
                outcome.status = action.value
            elif action.type == "hold":
                outcome.holds.append(action.value or rule.name)
    return outcome


class CriterionSchema(Schema):
    field = fields.String(required=True, validate=validate.OneOf(list(FIELDS)))
    op = fields.String(required=True, validate=validate.OneOf(list(OPERATORS)))
    value = fields.String(load_default="")

    @validates_schema
    def fits(self, data: dict[str, Any], **_: Any) -> None:
        kind = FIELDS[data["field"]][2]
        if kind not in OPERATORS[data["op"]]:
            raise ValidationError(f"{data['op']} does not apply to {FIELDS[data['field']][0]}.", "op")
        if kind == "number":
            try:
                Decimal(data.get("value", ""))
            except InvalidOperation:
                raise ValidationError("Enter a number.", "value") from None
        if kind in ("text", "list") and not data.get("value", "").strip():
            raise ValidationError("Enter a value to compare with.", "value")


class ActionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    value = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def has_value(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] in ("add_tag", "set_status") and not data.get("value", "").strip():
            raise ValidationError("This action needs a value.", "value")


class RuleSchema(Schema):
    """Validates a rule as the pages submit it."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    match = fields.String(load_default="all", validate=validate.OneOf(("all", "any")))
    criteria = fields.List(fields.Nested(CriterionSchema), required=True, validate=validate.Length(min=1, max=20))
    actions = fields.List(fields.Nested(ActionSchema), required=True, validate=validate.Length(min=1, max=10))
