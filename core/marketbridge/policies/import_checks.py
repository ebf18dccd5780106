"""Default ``order_import`` policy: hold orders the shop cannot take as they are.

* C5 – a line whose identifier matches no shop product holds the order.
* O4 – when the connection requires weights, a product without one holds it.
* A matched but disabled product holds it (the shop would refuse the order).

Every hold is released automatically once the cause is fixed: the engine
re-runs the policies on held orders at each pass.
"""
from __future__ import annotations

from marketbridge import hookimpl
from marketbridge.decisions import Hold, ImportContext
from marketbridge.matching import line_value
from marketbridge.order import Order


@hookimpl
def order_import(order: Order, context: ImportContext) -> list[Hold]:
    identifier = context.connection.product_identifier
    holds: list[Hold] = []
    for line in order.lines:
        product = context.products.get(line.line_id)
        value = line_value(line, identifier)
        if product is None:
            holds.append(Hold(
                "product_not_found",
                "No shop product has {identifier} \"{value}\" (line \"{title}\"). "
                "Add the product or correct its {identifier}; the order is imported once it matches.",
                {"identifier": identifier, "value": value or "—", "title": line.title},
            ))
            continue
        if not product.active:
            holds.append(Hold(
                "product_inactive",
                "Product \"{name}\" ({value}) is disabled in the shop. Enable it to import the order.",
                {"name": product.name, "value": value or product.product_id},
            ))
        if context.connection.require_weights and (product.weight is None or product.weight <= 0):
            holds.append(Hold(
                "missing_weight",
                "Product \"{name}\" ({value}) has no package weight, and this connection requires weights. "
                "Enter the weight in the shop; the order is imported once it is set.",
                {"name": product.name, "value": value or product.product_id},
            ))
    return holds
