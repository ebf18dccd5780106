"""Sending queued stock quantities (and prices, P2) to the marketplace in batches (P1, P4).

The channel picks the cheapest route for a batch (single updates or one feed
document). Asynchronous submissions are ``submitted`` until the channel
reports per-SKU results; refusals become problems per SKU. Results: none at
all means the whole batch was accepted; otherwise a SKU without a result is
not confirmed and is sent again; ``DeliveryRejected`` for the whole batch
fails every SKU of it with that reason (never retried blindly).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable

import sqlalchemy as sa

from marketbridge.adapters import ChannelAdapter, Money, StockResult, StockUpdate
from marketbridge.engine import problems
from marketbridge.engine.retry import next_attempt
from marketbridge.errors import AdapterError, DeliveryRejected, RateLimited
from marketbridge.host import Host
from marketbridge.models import Connection, Listing, OutboxMessage, OutboxState, db

if TYPE_CHECKING:
    from marketbridge.engine.outbox import DeliveryOutcome

#: How long to wait before asking about an asynchronous submission again.
RESULT_POLL = timedelta(seconds=30)


def deliver_stock(host: Host, connection: Connection, channel: ChannelAdapter, outcome: DeliveryOutcome) -> None:
    """Collect results of submitted batches, then send due quantities in batches."""
    now = host.clock.now()
    submitted = db.session.execute(sa.select(OutboxMessage.pending_id).where(
        OutboxMessage.connection_id == connection.id, OutboxMessage.kind == "stock",
        OutboxMessage.state == OutboxState.SUBMITTED, OutboxMessage.next_attempt_at <= now).distinct()).scalars().all()
    for pending_id in submitted:
        rows = _rows(connection.id, OutboxState.SUBMITTED, pending_id=pending_id)
        try:
            results = channel.stock_results(pending_id)
        except DeliveryRejected as exc:
            results = tuple(StockResult(row.payload["sku"], False, row.payload.get("store_code") or None, exc.message)
                            for row in rows)
        except AdapterError as exc:
            _postpone(rows, host, exc)
            continue
        if results is None:
            for row in rows:
                row.next_attempt_at = now + RESULT_POLL
            db.session.commit()
            continue
        _apply_results(host, connection, rows, results, outcome)
    size = max(1, channel.stock_batch_size)
    while True:
        rows = _rows(connection.id, OutboxState.PENDING, OutboxState.SENDING, due=host.clock.now(), limit=size)
        if not rows:
            return
        for row in rows:
            row.state = OutboxState.SENDING
            row.attempts += 1
        db.session.commit()
        try:
            submission = channel.push_stock([stock_update(row) for row in rows])
        except DeliveryRejected as exc:
            _apply_results(host, connection, rows, [StockResult(row.payload["sku"], False,
                                                                row.payload.get("store_code") or None, exc.message)
                                                    for row in rows], outcome)
            continue
        except AdapterError as exc:
            _postpone(rows, host, exc)
            outcome.retrying += len(rows)
            if isinstance(exc, RateLimited):
                outcome.stopped = "rate limited"
            return
        if submission.pending_id:
            for row in rows:
                row.state, row.pending_id = OutboxState.SUBMITTED, submission.pending_id
                row.next_attempt_at = host.clock.now() + RESULT_POLL
            db.session.commit()
            continue
        _apply_results(host, connection, rows, submission.results, outcome)


def _rows(connection_id: int, *states: str, pending_id: str | None = None, due: datetime | None = None,
          limit: int | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.connection_id == connection_id, OutboxMessage.kind == "stock",
                                           OutboxMessage.state.in_(states))
    if pending_id is not None:
        query = query.where(OutboxMessage.pending_id == pending_id)
    if due is not None:
        query = query.where(OutboxMessage.next_attempt_at <= due)
    query = query.order_by(OutboxMessage.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def _postpone(rows: Iterable[OutboxMessage], host: Host, exc: AdapterError) -> None:
    now = host.clock.now()
    for row in rows:
        row.state = OutboxState.PENDING if row.state == OutboxState.SENDING else row.state
        row.last_error = exc.message
        row.next_attempt_at = next_attempt(now, row.attempts, getattr(exc, "retry_after", None))
    db.session.commit()


def _apply_results(host: Host, connection: Connection, rows: list[OutboxMessage], results: Iterable[StockResult],
                   outcome: DeliveryOutcome) -> None:
    now = host.clock.now()
    results = list(results)
    by_key = {(r.sku, r.store_code or ""): r for r in results}
    listings = {(listing.sku, listing.store_code): listing for listing in db.session.execute(
        sa.select(Listing).where(Listing.connection_id == connection.id,
                                 Listing.sku.in_({row.payload["sku"] for row in rows}))).scalars()}
    for row in rows:
        result = by_key.get((row.payload["sku"], row.payload.get("store_code") or ""))
        listing = listings.get((row.payload["sku"], row.payload.get("store_code") or ""))
        if result is None and results:
            # the channel answered for other SKUs but not this one: not confirmed, send it again later
            row.state, row.next_attempt_at = OutboxState.PENDING, next_attempt(now, row.attempts)
            outcome.retrying += 1
            continue
        if result is None or result.ok:
            row.state, row.delivered_at, row.last_error = OutboxState.DELIVERED, now, None
            if listing is not None:
                listing.last_sent_quantity, listing.last_sent_at = int(row.payload["quantity"]), now
                if row.payload.get("price"):
                    listing.last_sent_price = Decimal(row.payload["price"]["amount"])
            problems.resolve(now, connection_id=connection.id, subject=row.payload["sku"], codes=("stock_rejected",))
            outcome.delivered += 1
        else:
            row.state, row.last_error = OutboxState.FAILED, result.message
            problems.report(now, code="stock_rejected", connection_id=connection.id, subject=row.payload["sku"],
                            message="The marketplace refused the stock update for {sku}: {error}",
                            params={"sku": row.payload["sku"], "error": result.message or "no reason given"})
            outcome.failed += 1
    db.session.commit()


def stock_update(message: OutboxMessage) -> StockUpdate:
    """The :class:`StockUpdate` a stock outbox row stands for."""
    payload = message.payload
    price = payload.get("price")
    return StockUpdate(sku=payload["sku"], quantity=int(payload["quantity"]), store_code=payload.get("store_code") or None,
                       price=Money(Decimal(price["amount"]), price["currency"]) if price else None)
