"""What a stream (fetch, changes, stock) does when its adapter fails.

* ``RateLimited`` – postpone the stream by ``retry_after``; nobody sleeps.
* ``AuthenticationFailed`` – mark the shop or account as needing new
  credentials (jobs pause until they change) and tell the merchant.
* anything else – back off exponentially; after a few failures in a row,
  tell the merchant.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from marketbridge.engine import problems
from marketbridge.engine.retry import next_attempt
from marketbridge.errors import AdapterError, AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.models import Connection, MarketplaceAccount, Shop, SyncCursor, db

#: Consecutive failures before a temporary problem is shown to the merchant.
SHOW_AFTER = 3


def handle_stream_failure(cursor: SyncCursor, exc: AdapterError, now: datetime, *, what: str,
                          connection_id: int | None = None, account: MarketplaceAccount | None = None,
                          shop: Shop | None = None) -> None:
    """Record ``exc`` on the stream's cursor and decide when it runs again (joins the transaction)."""
    cursor.last_error = exc.message
    if isinstance(exc, RateLimited):
        cursor.not_before = now + timedelta(seconds=exc.retry_after)
        cursor.failures += 1
        if cursor.failures > SHOW_AFTER * 3:
            problems.report(now, code="rate_limited", connection_id=connection_id,
                            account_id=account.id if account else None, shop_id=shop.id if shop else None,
                            message="{remote} keeps asking us to slow down while {what}; "
                                    "work continues at the pace its quota allows.",
                            params={"what": what, "remote": "The shop" if shop is not None else "The marketplace"})
        return
    if isinstance(exc, AuthenticationFailed):
        target = account or shop
        if target is not None:
            target.auth_problem = exc.message
        cursor.not_before = now + timedelta(minutes=5)
        problems.report(now, code="authentication_failed", connection_id=connection_id,
                        account_id=account.id if account else None, shop_id=shop.id if shop else None,
                        message="{error} Syncing is paused until this is fixed.", params={"error": exc.message})
        return
    cursor.failures += 1
    retry_after = exc.retry_after if isinstance(exc, TemporaryFailure) else None
    cursor.not_before = next_attempt(now, cursor.failures, retry_after)
    if cursor.failures >= SHOW_AFTER:
        problems.report(now, code="fetch_failed", connection_id=connection_id,
                        account_id=account.id if account else None, shop_id=shop.id if shop else None,
                        message="{what} failed {count} times in a row: {error}. Marketbridge keeps retrying.",
                        params={"what": what.capitalize(), "count": cursor.failures, "error": exc.message})


def resume(now: datetime, *, shop: Shop | None = None, account: MarketplaceAccount | None = None) -> None:
    """The merchant fixed the credentials: clear the pause and let every stream run at once.

    Clears ``auth_problem``, resolves the authorisation problems, and lifts the
    back-off of the shop's or account's streams and of their connections'
    streams (joins the transaction).
    """
    target = shop or account
    if target is None:
        return
    target.auth_problem = None
    if target.id is None:  # a row being created has no streams or problems yet
        return
    column = Connection.shop_id if shop is not None else Connection.account_id
    connection_ids = list(db.session.execute(select(Connection.id).where(column == target.id)).scalars())
    streams = []
    if connection_ids:
        streams.append(and_(SyncCursor.scope == "connection", SyncCursor.scope_id.in_(connection_ids)))
    if shop is not None:
        streams.append(and_(SyncCursor.scope == "shop", SyncCursor.scope_id == shop.id))
    if streams:
        db.session.execute(update(SyncCursor).where(or_(*streams)).values(not_before=None, failures=0)
                           .execution_options(synchronize_session=False))
    codes = ("authentication_failed", "grant_expired", "grant_expiring")
    if shop is not None:
        problems.resolve(now, shop_id=shop.id, codes=codes)
    else:
        problems.resolve(now, account_id=target.id, codes=codes)
