"""Default ``order_import`` policy: the merchant's automation rules (O7).

Applies the connection's active rules (and rules for all connections) in
their order: tags are added to the order, ``set_status`` chooses the shop
status it is created with, ``hold`` keeps it out of the shop until the
merchant releases it. On "reprocess rules" holds do not apply (the order is
already in the shop).
"""
from __future__ import annotations

from marketbridge import hookimpl
from marketbridge.decisions import Hold, ImportContext
from marketbridge.order import Order
from marketbridge.rules import Rule, evaluate


@hookimpl
def order_import(order: Order, context: ImportContext) -> list[Hold]:
    rules = [Rule.from_json(r["name"], r.get("match", "all"), r["criteria"], r["actions"])
             for r in context.connection.automation_rules]
    outcome = evaluate(rules, order)
    for tag in outcome.tags:
        order.add_tag(tag)
    if outcome.status:
        context.initial_status = outcome.status
    if context.reprocess:
        return []
    return [Hold("rule_hold", "Held by the automation rule: {reason}. Release it when you have checked the order.",
                 {"reason": reason}, release_when_fixed=False) for reason in outcome.holds]
