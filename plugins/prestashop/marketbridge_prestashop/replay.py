"""Signed links and notices are good once: a seen signature is refused (replay protection).

A used signature is recorded in the shop's adapter state (``adapter_state``,
scope ``shop``) under ``prestashop:used:<issued unix time>:<signature>``.
The insert skips a row that already exists (``INSERT … ON CONFLICT DO
NOTHING`` on the table's unique key), so of two requests racing with the
same signature exactly one wins, on SQLite and PostgreSQL alike. Records
older than a signature's lifetime are pruned: an expired signature is refused
by its time stamp anyway.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from marketbridge.engine.dbutil import insert_ignore
from marketbridge.host import Host
from marketbridge.models import AdapterState, db
from marketbridge_prestashop.admin_link import CLOCK_SKEW_SECONDS, MAX_AGE_SECONDS

PREFIX = "prestashop:used:"


def first_use(host: Host, shop_id: int, signature: str, issued_at: int, now: datetime) -> bool:
    """Record ``signature`` as used; ``False`` when it was used before. Commits."""
    _prune(shop_id, now)
    inserted = insert_ignore(AdapterState, [{
        "scope": "shop", "scope_id": shop_id, "key": f"{PREFIX}{issued_at}:{signature}"[:200],
        "value": host.box.encrypt({"used_at": now.isoformat()}),
    }], ["scope", "scope_id", "key"])
    db.session.commit()
    return inserted == 1


def _prune(shop_id: int, now: datetime) -> None:
    oldest = int(now.timestamp()) - MAX_AGE_SECONDS - CLOCK_SKEW_SECONDS
    keys = db.session.execute(sa.select(AdapterState.id, AdapterState.key).where(
        AdapterState.scope == "shop", AdapterState.scope_id == shop_id,
        AdapterState.key.startswith(PREFIX))).all()
    stale = [row_id for row_id, key in keys if _issued(key) < oldest]
    if stale:
        db.session.execute(sa.delete(AdapterState).where(AdapterState.id.in_(stale)))


def _issued(key: str) -> int:
    stamp = key[len(PREFIX):].split(":", 1)[0]
    return int(stamp) if stamp.lstrip("-").isdigit() else 0
