"""What the current session may see.

A merchant who logged in sees everything of the installation. A session a
plugin opened for one shop (:func:`~marketbridge.web.auth.login_embedded`
with a shop) sees that shop, its connections, their orders and problems,
and the marketplace accounts its connections use plus those no connection
uses yet (so an account added from the embedded page can be connected).
Every page loads rows through this module, so the rule lives in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from marketbridge.models import Connection, MarketplaceAccount, Order, Shop, SyncProblem, db

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """The rows one session may see: everything (``shop_id=None``) or one shop's."""

    shop_id: int | None = None

    @property
    def limited(self) -> bool:
        return self.shop_id is not None

    def shops(self) -> sa.Select[Any]:
        query = sa.select(Shop).order_by(Shop.name, Shop.id)
        return query if self.shop_id is None else query.where(Shop.id == self.shop_id)

    def connection_ids(self) -> sa.Select[Any]:
        query = sa.select(Connection.id)
        return query if self.shop_id is None else query.where(Connection.shop_id == self.shop_id)

    def connections(self) -> sa.Select[Any]:
        query = sa.select(Connection).order_by(Connection.name, Connection.id)
        return query if self.shop_id is None else query.where(Connection.shop_id == self.shop_id)

    def account_ids(self) -> sa.Select[Any]:
        query = sa.select(MarketplaceAccount.id)
        if self.shop_id is None:
            return query
        used_here = sa.select(Connection.account_id).where(Connection.shop_id == self.shop_id)
        used_anywhere = sa.select(Connection.account_id)
        return query.where(sa.or_(MarketplaceAccount.id.in_(used_here), MarketplaceAccount.id.not_in(used_anywhere)))

    def accounts(self) -> sa.Select[Any]:
        query = sa.select(MarketplaceAccount).order_by(MarketplaceAccount.name, MarketplaceAccount.id)
        return query if self.shop_id is None else query.where(MarketplaceAccount.id.in_(self.account_ids()))

    def orders(self) -> sa.Select[Any]:
        query = sa.select(Order)
        return query if self.shop_id is None else query.where(Order.connection_id.in_(self.connection_ids()))

    def problems(self) -> sa.Select[Any]:
        query = sa.select(SyncProblem)
        if self.shop_id is None:
            return query
        return query.where(sa.or_(SyncProblem.connection_id.in_(self.connection_ids()),
                                  SyncProblem.shop_id == self.shop_id,
                                  sa.and_(SyncProblem.connection_id.is_(None),
                                          SyncProblem.account_id.in_(self.account_ids()))))

    # -- single rows, 404 when outside -------------------------------------------------------------------------
    def shop(self, shop_id: int) -> Shop:
        return self._one(Shop, shop_id, self.shop_id is None or shop_id == self.shop_id)

    def account(self, account_id: int) -> MarketplaceAccount:
        allowed = self.shop_id is None or db.session.execute(
            self.account_ids().where(MarketplaceAccount.id == account_id)).first() is not None
        return self._one(MarketplaceAccount, account_id, allowed)

    def connection(self, connection_id: int) -> Connection:
        row = self._one(Connection, connection_id, True)
        if self.shop_id is not None and row.shop_id != self.shop_id:
            abort(404)
        return row

    def order(self, order_id: int) -> Order:
        row = self._one(Order, order_id, True)
        self.connection(row.connection_id)
        return row

    @staticmethod
    def _one(model: type[T], row_id: int, allowed: bool) -> T:
        row = db.session.get(model, row_id) if allowed else None
        if row is None:
            abort(404)
        return row


def current_scope() -> Scope:
    """The :class:`Scope` of the logged-in principal."""
    shop_id = getattr(current_user, "shop_id", None)
    return Scope(shop_id=int(shop_id) if shop_id is not None else None)
