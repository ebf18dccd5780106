"""Published orders: what ``create_order`` writes and the shop pulls (C10, O1–O3).

A published order keeps the whole :class:`~marketbridge.adapters.OrderDraft`
as JSON: the canonical order (``marketbridge.order.dump_order``, amounts as
decimal text exactly as the marketplace charged them), the shop product
matched to each line, the marker, the initial status, the test flag, the
connection's name and the tags.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketbridge.adapters import OrderDraft
from marketbridge.models import Connection, Order, db
from marketbridge.order import dump_order

from marketbridge_http_api.feeds import next_seq
from marketbridge_http_api.tables import iso, orders


def draft_json(draft: OrderDraft) -> dict[str, Any]:
    """The draft as stored and as the shop sees it (without the ids and state of the published row)."""
    return {
        "order": dump_order(draft.order),
        "lines": [{"line_id": p.line.line_id, "product_id": p.product.product_id, "sku": p.product.sku,
                   "quantity": p.line.quantity} for p in draft.lines],
        "marker": {"marketplace": draft.marker.marketplace, "label": draft.marker.label,
                   "pickup": draft.marker.pickup, "test": draft.marker.test},
        "initial_status": draft.initial_status,
        "test": draft.marker.test,
        "connection": draft.connection_name,
        "tags": list(draft.tags),
    }


def publish(feed: str, draft: OrderDraft, now: datetime) -> int:
    """Insert the published order (joins the caller's transaction); returns its id."""
    result = db.session.execute(sa.insert(orders).values(
        feed=feed, external_ref=draft.external_ref, seq=next_seq(feed), draft=draft_json(draft), published_at=now))
    return int(result.inserted_primary_key[0])


def by_ref(feed: str, external_ref: str) -> Any:
    """The published order carrying ``external_ref`` exactly, or ``None``."""
    return db.session.execute(sa.select(orders).where(orders.c.feed == feed,
                                                      orders.c.external_ref == external_ref)).first()


def by_id(feed: str, order_id: str | int) -> Any:
    """The feed's published order ``order_id`` (digits only), or ``None``."""
    text = str(order_id)
    if not text.isdigit() or len(text) > 18:
        return None
    return db.session.execute(sa.select(orders).where(orders.c.feed == feed, orders.c.id == int(text))).first()


def request_status(feed: str, order_id: int, status: str) -> None:
    """Ask the shop to set ``status``: the order is published again with ``requested_status``."""
    db.session.execute(sa.update(orders).where(orders.c.id == order_id)
                       .values(requested_status=status, seq=next_seq(feed)))


def page(feed: str, after: int, limit: int) -> tuple[list[Any], int, bool]:
    """Orders published (or re-published) after sequence ``after``: rows, next cursor, more."""
    rows = list(db.session.execute(sa.select(orders).where(orders.c.feed == feed, orders.c.seq > after)
                                   .order_by(orders.c.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1].seq) if rows else after), more


def acknowledge(order_id: int, number: str, shop_order_id: str | None, now: datetime) -> None:
    """Record the shop's own number (and id) for the order."""
    db.session.execute(sa.update(orders).where(orders.c.id == order_id).values(
        shop_number=number, shop_order_id=shop_order_id, acknowledged_at=now))


def number_core_orders(shop_id: int, order_id: int, number: str) -> int:
    """Give Marketbridge's own order rows of this published order the shop's number (joins the transaction).

    Those are the ``Order`` rows with ``shop_order_id`` = the published id on a
    connection of this shop (the merchant's pages and search show the number).
    Returns how many rows changed.
    """
    connections = sa.select(Connection.id).where(Connection.shop_id == shop_id)
    result = db.session.execute(
        sa.update(Order).where(Order.shop_order_id == str(order_id), Order.connection_id.in_(connections),
                               sa.or_(Order.shop_order_number.is_(None), Order.shop_order_number != number))
        .values(shop_order_number=number).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def order_json(row: Any) -> dict[str, Any]:
    """A published order as the API shows it (schema ``PublishedOrder`` of ``openapi.json``)."""
    acknowledged = None
    if row.acknowledged_at is not None:
        acknowledged = {"number": row.shop_number, "shop_order_id": row.shop_order_id,
                        "at": iso(row.acknowledged_at)}
    return {"id": str(row.id), "seq": int(row.seq), "external_ref": row.external_ref,
            "published_at": iso(row.published_at), **row.draft, "status": row.status,
            "requested_status": row.requested_status, "acknowledged": acknowledged}
