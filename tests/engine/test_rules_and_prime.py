"""Automation rules (O7) and Prime handling (O5) through the real import path."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from marketbridge.jobs import work
from marketbridge.models import AutomationRule, Order, db
from marketbridge.order import load_order
from marketbridge.rules import Rule, RuleSchema, evaluate
from tests.core.test_canonical_order import ORDER


def rule(name, criteria, actions, match="all", connection_id=None):
    db.session.add(AutomationRule(name=name, connection_id=connection_id, match=match, criteria=criteria,
                                  actions=actions, active=True, position=0))
    db.session.commit()


def order_row(oid):
    return db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()


def test_rules_tag_set_status_and_hold_at_import(loop):
    rule("big orders", [{"field": "items", "op": "gte", "value": "3"}], [{"type": "hold", "value": "check stock"}])
    rule("express", [{"field": "requested_service", "op": "contains", "value": "standard"},
                     {"field": "country", "op": "equals", "value": "de"}],
         [{"type": "add_tag", "value": "Ship today"}, {"type": "set_status", "value": "processing"}])
    small = loop.marketplace.add_order(skus=[("MB-CANDLE", 1)])
    big = loop.marketplace.add_order(skus=[("MB-CANDLE", 3)])
    work.connection_cycle(loop.host, loop.connection_id)
    assert order_row(small).state == "created" and "Ship today" in order_row(small).tags
    created = next(o for o in loop.shop.orders.values() if o["external_ref"].endswith(small))
    assert created["status"] == "processing" and "Ship today" in created["tags"]
    held = order_row(big)
    assert held.state == "held" and held.holds[0]["code"] == "rule_hold"
    assert held.holds[0]["params"]["reason"] == "check stock"
    loop.clock.advance(hours=1)
    work.connection_cycle(loop.host, loop.connection_id)
    assert order_row(big).state == "held", "a rule hold waits for the merchant"


def test_rules_for_another_connection_do_not_apply(loop):
    other = loop.wire(active=False, marketplace="OTHER")
    rule("elsewhere", [{"field": "marketplace", "op": "equals", "value": "example_channel"}],
         [{"type": "add_tag", "value": "elsewhere"}], connection_id=other.id)
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    assert "elsewhere" not in order_row(oid).tags


@pytest.mark.parametrize(("criteria", "match", "expected"), [
    ([{"field": "total", "op": "gt", "value": "30"}], "all", True),
    ([{"field": "total", "op": "gt", "value": "40"}, {"field": "prime", "op": "is_true"}], "any", True),
    ([{"field": "total", "op": "gt", "value": "40"}, {"field": "prime", "op": "is_true"}], "all", False),
    ([{"field": "sku", "op": "equals", "value": "mb-mug-blue"}], "all", True),
    ([{"field": "sku", "op": "not_contains", "value": "MUG"}], "all", False),
    ([{"field": "pickup", "op": "is_false"}], "all", False),
])
def test_criteria(criteria, match, expected):
    order = load_order(ORDER)
    outcome = evaluate([Rule.from_json("r", match, criteria, [{"type": "add_tag", "value": "x"}])], order)
    assert bool(outcome.matched) is expected


def test_invalid_rules_are_refused_with_field_errors():
    with pytest.raises(ValidationError) as info:
        RuleSchema().load({"name": "r", "criteria": [{"field": "total", "op": "contains", "value": "x"}],
                           "actions": [{"type": "add_tag", "value": ""}]})
    assert "criteria" in info.value.messages and "actions" in info.value.messages


def test_old_connection_imports_prime_orders_as_pending_fulfilment(loop):
    """O5: created before the cut-over and not switched to awaiting shipment → the pending-fulfilment status."""
    loop.connection.created_at = datetime(2023, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    prime = loop.marketplace.add_order(prime=True)
    work.connection_cycle(loop.host, loop.connection_id)
    assert order_row(prime).holds[0]["code"] == "prime_pending_status_missing"
    loop.connection.settings = {"prime_pending_status": "open"}
    db.session.commit()
    loop.clock.advance(minutes=6)
    work.connection_cycle(loop.host, loop.connection_id)
    shop_order = next(iter(loop.shop.orders.values()))
    assert shop_order["status"] == "open"
    loop.connection.settings = {"prime_pending_status": "open", "prime_to_awaiting_shipment": True}
    loop.connection.initial_status = "processing"
    db.session.commit()
    later = loop.marketplace.add_order(prime=True)
    loop.clock.advance(minutes=2)
    work.connection_cycle(loop.host, loop.connection_id)
    assert next(o for o in loop.shop.orders.values() if o["external_ref"].endswith(later))["status"] == "processing"
