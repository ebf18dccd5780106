"""Housekeeping jobs: personal data retention (D1) and authorisation expiry reminders (C8)."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from marketbridge.engine import history, problems
from marketbridge.host import Host
from marketbridge.models import MarketplaceAccount, Order, OrderState, ShippingLabel, db
from marketbridge.order.schema import pii_paths

ERASED = "[erased]"
#: C8: remind from this long before a grant expires, once a week.
REMIND_BEFORE = timedelta(days=30)


def erase_personal_data(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored canonical order with every personal-data field erased.

    Required text fields become ``"[erased]"`` (the order stays loadable for
    history and statistics), optional ones become ``None``. Amounts, lines,
    country and dates stay: tax law needs them (D1).
    """
    result = copy.deepcopy(payload)
    for path in pii_paths():
        *parents, leaf = path.split(".")
        node: Any = result
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict) and node.get(leaf) is not None:
            node[leaf] = ERASED if leaf in ("name", "line1", "city", "postal_code") else None
    return result


def purge_personal_data(host: Host, retention_days: int, batch: int = 500) -> int:
    """Erase buyer data of orders shipped (or closed) more than ``retention_days`` ago. Returns how many."""
    cutoff = host.clock.now() - timedelta(days=retention_days)
    finished = sa.or_(
        sa.and_(Order.shipped_at.is_not(None), Order.shipped_at < cutoff),
        sa.and_(Order.state.in_((OrderState.SKIPPED, OrderState.DUPLICATE)), Order.changed_at < cutoff),
    )
    total = 0
    while True:
        orders = db.session.execute(sa.select(Order).where(Order.personal_data_purged_at.is_(None), finished)
                                    .limit(batch)).scalars().all()
        if not orders:
            return total
        now = host.clock.now()
        for order in orders:
            if order.payload:
                order.payload = erase_personal_data(order.payload)
            order.raw = None
            order.personal_data_purged_at = now
            history.record(order, now, "personal_data_erased",
                           "Buyer name, address and phone erased after the retention period.")
        # a printed label shows the buyer's name and address too; its tracking number and carrier stay
        db.session.execute(sa.update(ShippingLabel).where(ShippingLabel.order_id.in_([o.id for o in orders]))
                           .values(document=None).execution_options(synchronize_session=False))
        db.session.commit()
        total += len(orders)


def remind_expiring_grants(host: Host) -> int:
    """Show a reminder for each grant expiring within a month (C8); disable expired ones (kept, renewable)."""
    now = host.clock.now()
    reminded = 0
    accounts = db.session.execute(sa.select(MarketplaceAccount).where(
        MarketplaceAccount.expires_at.is_not(None), MarketplaceAccount.expires_at < now + REMIND_BEFORE)).scalars()
    for account in accounts:
        assert account.expires_at is not None
        if account.expires_at <= now:
            if not account.auth_problem:
                account.auth_problem = "The marketplace authorisation expired. Renew it to resume syncing."
            problems.report(now, code="grant_expired", account_id=account.id,
                            message="The authorisation of {account} expired on {date}. Renew it: your settings "
                                    "and orders are kept.", params={"account": account.name,
                                                                    "date": account.expires_at.date().isoformat()})
        else:
            problems.report(now, code="grant_expiring", account_id=account.id,
                            message="The authorisation of {account} expires on {date}. Renew it before then to "
                                    "keep orders flowing.", params={"account": account.name,
                                                                    "date": account.expires_at.date().isoformat()})
        reminded += 1
    db.session.commit()
    return reminded
