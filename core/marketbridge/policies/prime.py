"""Default ``order_import`` policy for merchant-fulfilled Prime orders (O5).

Channels tag Prime orders in their own words (Amazon: "Amazon Prime
Order"). They are created with the connection's status for new orders
("awaiting shipment"), unless the connection was created before the
cut-over date (connection setting ``prime_cutover``, default 2023-11-03) and
the setting ``prime_to_awaiting_shipment`` is off: then they are created in
the shop status configured as ``prime_pending_status`` (a view-only "pending
fulfilment" status). Without that status configured such orders are held
with a reason telling the merchant what to set.
"""
from __future__ import annotations

from datetime import date

from marketbridge import hookimpl
from marketbridge.decisions import Hold, ImportContext
from marketbridge.order import Order

DEFAULT_CUTOVER = date(2023, 11, 3)


@hookimpl(trylast=True)
def order_import(order: Order, context: ImportContext) -> Hold | None:
    if not order.flags.prime:
        return None
    settings = context.connection.settings
    cutover = date.fromisoformat(str(settings.get("prime_cutover") or DEFAULT_CUTOVER.isoformat()))
    if context.connection.created_at.date() >= cutover or settings.get("prime_to_awaiting_shipment"):
        return None
    pending = settings.get("prime_pending_status")
    if not pending:
        return Hold("prime_pending_status_missing",
                    "This connection was created before {cutover} and imports Prime orders as pending "
                    "fulfilment, but no shop status is set for that. Choose one in the connection's Prime settings, "
                    "or import Prime orders to awaiting shipment.", {"cutover": cutover.isoformat()})
    context.initial_status = str(pending)
    return None
