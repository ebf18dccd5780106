"""Default ``map_status`` policy: the connection's status mapping table (S1).

The table maps each marketplace status to one shop status; S1 forbids one
shop status for two marketplace statuses, so the reverse lookup is unique.
A shop status that is not mapped sends nothing.
"""
from __future__ import annotations

from marketbridge import hookimpl
from marketbridge.adapters import ConnectionInfo
from marketbridge.decisions import StatusDecision
from marketbridge.order import Order


@hookimpl
def map_status(connection: ConnectionInfo, shop_status: str, order: Order) -> StatusDecision:
    for marketplace_status, mapped_shop_status in connection.status_mapping.items():
        if mapped_shop_status == shop_status:
            return StatusDecision(marketplace_status, reason="status mapping")
    return StatusDecision(None, reason=f"shop status {shop_status!r} is not mapped")
