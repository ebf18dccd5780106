"""Sync problems (M2): what needs the merchant's attention, in plain words, with what to do.

Open problems only by default; ``?resolved=1`` shows the resolved ones too.
Filtered by connection, shop or account; texts come from :mod:`.problem_text`.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from marketbridge.models import Connection, MarketplaceAccount, Shop, SyncProblem, db
from marketbridge.web.auth import require_login
from marketbridge.web.scope import current_scope

bp = Blueprint("problems", __name__)
bp.before_request(require_login)

PER_PAGE = 50


def _list(*, connection: Connection | None = None, shop: Shop | None = None,
          account: MarketplaceAccount | None = None) -> Any:
    show_resolved = request.args.get("resolved") == "1"
    query = current_scope().problems()
    if connection is not None:
        query = query.where(SyncProblem.connection_id == connection.id)
    if shop is not None:
        query = query.where(SyncProblem.shop_id == shop.id)
    if account is not None:
        query = query.where(SyncProblem.account_id == account.id)
    if not show_resolved:
        query = query.where(SyncProblem.resolved_at.is_(None))
    query = query.order_by(SyncProblem.resolved_at.is_not(None), SyncProblem.last_seen.desc(), SyncProblem.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False,
                       max_per_page=PER_PAGE)
    names = dict(db.session.execute(sa.select(Connection.id, Connection.name)).all())
    return render_template("mb/problems/list.html", page=page, show_resolved=show_resolved, connection=connection,
                           shop=shop, account=account, names=names)


@bp.get("/problems")
def index() -> Any:
    """Every problem the session may see."""
    return _list()


@bp.get("/connections/<int:connection_id>/problems")
def of_connection(connection_id: int) -> Any:
    """The problems of one connection."""
    return _list(connection=current_scope().connection(connection_id))


@bp.get("/shops/<int:shop_id>/problems")
def of_shop(shop_id: int) -> Any:
    """The problems of one shop (credentials, reading changes and stock)."""
    return _list(shop=current_scope().shop(shop_id))


@bp.get("/accounts/<int:account_id>/problems")
def of_account(account_id: int) -> Any:
    """The problems of one marketplace account (authorisation, quota)."""
    return _list(account=current_scope().account(account_id))
