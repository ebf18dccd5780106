"""An order's history: every step from fetch to the marketplace's last answer."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketbridge.models import Order, OrderEvent, db


def record(order: Order, now: datetime, kind: str, message: str, /, **data: Any) -> None:
    """Append an event to ``order``'s history (joins the current transaction)."""
    db.session.add(OrderEvent(order=order, at=now, kind=kind, message=message, data=data))


def record_for(order_id: int, now: datetime, kind: str, message: str, /, **data: Any) -> None:
    """Append an event to the history of the order with ``order_id``, without loading it (joins the transaction)."""
    db.session.connection().execute(_INSERT, {"order_id": order_id, "at": now, "kind": kind, "message": message,
                                              "data": data})


#: On the table, not the entity: the ORM's bulk-insert handling costs more than the insert itself.
_INSERT = sa.insert(OrderEvent.__table__)
