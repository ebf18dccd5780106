"""Which rows belong to a shop, and the one sequence that orders them.

A shop's *feed* is a random id stored in the shop's adapter state under
:data:`FEED_KEY`. The adapter (which only has its ``AdapterContext``) and the
API (which has the shop row, see ``Host.shop_state``) both reach that state,
so both find the same rows. The feed is created on first need, in a
savepoint: when two transactions create it at once, the unique key of
``adapter_state`` lets one win and the other reads the winner's id.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketbridge.adapters import StateStore
from marketbridge.models import db

from marketbridge_http_api.tables import feeds

FEED_KEY = "http_api_feed"
#: ``last_call_at`` is written at most this often (seconds), so polling GETs stay read-only.
TOUCH_EVERY = 300


def find_feed(state: StateStore) -> str | None:
    """The shop's feed id, or ``None`` when nothing was ever published or pushed."""
    value = state.get(FEED_KEY)
    return str(value) if value else None


def feed_of(state: StateStore) -> str:
    """The shop's feed id, created (with its sequence row) when missing. Joins the current transaction."""
    feed = find_feed(state)
    if feed is not None:
        return feed
    new = uuid.uuid4().hex
    try:
        with db.session.begin_nested():
            state.set(FEED_KEY, new)
            db.session.execute(sa.insert(feeds).values(feed=new, seq=0, statuses=[]))
    except IntegrityError:
        feed = find_feed(state)
        if feed is None:
            raise
        return feed
    return new


def next_seq(feed: str) -> int:
    """Take the feed's next sequence number; the feed row stays locked until the transaction ends."""
    db.session.execute(sa.update(feeds).where(feeds.c.feed == feed).values(seq=feeds.c.seq + 1))
    return int(db.session.execute(sa.select(feeds.c.seq).where(feeds.c.feed == feed)).scalar_one())


def feed_row(feed: str) -> Any:
    """The feed's row (``seq``, ``statuses``, ``first_call_at``, ``last_call_at``) or ``None``."""
    return db.session.execute(sa.select(feeds).where(feeds.c.feed == feed)).first()


def touch(feed: str, now: datetime) -> None:
    """Remember that the shop called the API (for ``check_connection``), at most every :data:`TOUCH_EVERY` s."""
    row = feed_row(feed)
    if row is None:
        return
    if row.last_call_at is not None and (now - row.last_call_at).total_seconds() < TOUCH_EVERY:
        return
    values: dict[str, Any] = {"last_call_at": now}
    if row.first_call_at is None:
        values["first_call_at"] = now
    db.session.execute(sa.update(feeds).where(feeds.c.feed == feed).values(**values))

