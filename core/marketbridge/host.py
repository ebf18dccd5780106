"""The running host: plugin manager, adapter registry, clock, secret box — and adapter factories.

One :class:`Host` lives in ``app.extensions["marketbridge"]``; engine code gets
it with :func:`current_host`. It is the only place that turns database rows
into adapter instances, so every adapter gets the same kind of context:
decrypted secrets, the injected clock, a timed HTTP session, database-backed
state and quota recording.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

import pluggy
import sqlalchemy as sa
from flask import current_app

from marketbridge.adapter_guard import Guarded
from marketbridge.adapters import AdapterContext, CarrierRuleInfo, ChannelAdapter, ConnectionInfo, ShopAdapter
from marketbridge.clock import Clock
from marketbridge.crypto import SecretBox
from marketbridge.http import make_session
from marketbridge.logging_setup import remember_secret
from marketbridge.models import (
    AdapterState,
    AutomationRule,
    CarrierRule,
    Connection,
    MarketplaceAccount,
    QuotaUsage,
    Shop,
    StatusMapping,
    db,
)
from marketbridge.plugins import AdapterRegistry


class DbState:
    """:class:`~marketbridge.adapters.StateStore` in the ``adapter_state`` table, encrypted.

    Changes join the current transaction; the job commits them with its own work.
    """

    def __init__(self, box: SecretBox, scope: str, scope_id: int) -> None:
        self._box, self._scope, self._scope_id = box, scope, scope_id

    def _row(self, key: str) -> AdapterState | None:
        return db.session.execute(sa.select(AdapterState).filter_by(
            scope=self._scope, scope_id=self._scope_id, key=key)).scalar_one_or_none()

    def get(self, key: str, default: Any = None) -> Any:
        row = self._row(key)
        return default if row is None else self._box.decrypt(row.value, default)

    def set(self, key: str, value: Any) -> None:
        row = self._row(key)
        token = self._box.encrypt(value)
        if row is None:
            db.session.add(AdapterState(scope=self._scope, scope_id=self._scope_id, key=key, value=token))
        else:
            row.value = token

    def delete(self, key: str) -> None:
        row = self._row(key)
        if row is not None:
            db.session.delete(row)


class DbQuota:
    """:class:`~marketbridge.adapters.QuotaRecorder` that keeps per-operation totals for the dashboard."""

    def __init__(self, clock: Clock, account_id: int | None) -> None:
        self._clock, self._account_id = clock, account_id

    def record(self, operation: str, *, limit: float | None = None, remaining: float | None = None,
               throttled: bool = False, rejected: bool = False) -> None:
        if self._account_id is None:
            return
        row = db.session.execute(sa.select(QuotaUsage).filter_by(
            account_id=self._account_id, operation=operation)).scalar_one_or_none()
        if row is None:
            row = QuotaUsage(account_id=self._account_id, operation=operation, calls=0, throttled=0, rejected=0)
            db.session.add(row)
        row.calls += int(not throttled)
        row.throttled += int(throttled)
        row.rejected += int(rejected)
        if limit is not None:
            row.limit_per_second = limit
        if remaining is not None:
            row.remaining = remaining
        row.last_call_at = self._clock.now()


@dataclass
class Host:
    """What the engine, jobs and pages share at run time."""

    pm: pluggy.PluginManager
    registry: AdapterRegistry
    clock: Clock
    box: SecretBox
    http_timeout: float = 30.0

    # -- secrets ------------------------------------------------------------
    def seal(self, secrets: dict[str, str]) -> str:
        """Encrypt a dict of secret settings for storage."""
        return self.box.encrypt(secrets)

    def open(self, token: str | None) -> dict[str, str]:
        """Decrypt stored secret settings and register them for log redaction."""
        values: dict[str, str] = self.box.decrypt(token, {}) or {}
        for value in values.values():
            remember_secret(str(value))
        return values

    # -- adapters -----------------------------------------------------------
    def shop_state(self, shop: Shop) -> DbState:
        """The shop's adapter state store, for a plugin's pages and webhooks (joins the transaction)."""
        return DbState(self.box, "shop", shop.id)

    def account_state(self, account: MarketplaceAccount) -> DbState:
        """The marketplace account's adapter state store (shared by its connections)."""
        return DbState(self.box, "account", account.id)

    def shop_adapter(self, shop: Shop) -> ShopAdapter:
        """A fresh adapter instance for ``shop`` (raises ``ConfigurationError`` if its plugin is gone).

        Wrapped in :class:`~marketbridge.adapter_guard.Guarded`: a bug in the
        plugin surfaces as a retried, visible ``TemporaryFailure``.
        """
        cls = self.registry.shop(shop.kind)
        adapter = cls(self._context(shop.settings, shop.secrets, self.shop_state(shop), None, None))
        return cast(ShopAdapter, Guarded(adapter))

    def channel_adapter(self, connection: Connection) -> ChannelAdapter:
        """A fresh channel adapter serving ``connection``."""
        account = connection.account
        cls = self.registry.channel(account.kind)
        info = self.connection_info(connection)
        adapter = cls(self._context(account.settings, account.secrets, self.account_state(account), account.id, info))
        return cast(ChannelAdapter, Guarded(adapter))

    def account_adapter(self, account: MarketplaceAccount) -> ChannelAdapter:
        """A channel adapter for account-level calls (marketplace list, authorisation check)."""
        cls = self.registry.channel(account.kind)
        adapter = cls(self._context(account.settings, account.secrets, self.account_state(account), account.id, None))
        return cast(ChannelAdapter, Guarded(adapter))

    def _context(self, settings: dict[str, Any], secrets: str | None, state: DbState, account_id: int | None,
                 connection: ConnectionInfo | None) -> AdapterContext:
        return AdapterContext(
            settings=dict(settings or {}),
            secrets=self.open(secrets),
            clock=self.clock,
            http=make_session(self.http_timeout),
            state=state,
            quota=DbQuota(self.clock, account_id),
            log=logging.getLogger("marketbridge.adapter"),
            connection=connection,
            timeout=self.http_timeout,
        )

    def connection_info(self, connection: Connection) -> ConnectionInfo:
        """A read-only snapshot of ``connection`` for adapters and policy hooks."""
        mappings = db.session.execute(
            sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)
            .filter_by(connection_id=connection.id)).all()
        rules = db.session.execute(
            sa.select(CarrierRule).filter_by(connection_id=connection.id).order_by(CarrierRule.position, CarrierRule.id)
        ).scalars()
        automation = db.session.execute(
            sa.select(AutomationRule).where(
                AutomationRule.active.is_(True),
                sa.or_(AutomationRule.connection_id == connection.id, AutomationRule.connection_id.is_(None)))
            .order_by(AutomationRule.position, AutomationRule.id)).scalars()
        return ConnectionInfo(
            id=connection.id,
            name=connection.name,
            shop_id=connection.shop_id,
            account_id=connection.account_id,
            shop_kind=connection.shop.kind,
            channel_kind=connection.account.kind,
            marketplace=connection.marketplace,
            fulfilment_channel=connection.fulfilment_channel,
            product_identifier=connection.product_identifier,
            require_weights=connection.require_weights,
            initial_status=connection.initial_status,
            default_carrier=connection.default_carrier,
            active=connection.active,
            created_at=connection.created_at,
            activation_date=connection.activation_date,
            status_mapping={m: s for m, s in mappings},
            carrier_rules=tuple(CarrierRuleInfo(r.carrier_code, r.pattern, r.shop_carrier, r.carrier_name) for r in rules),
            settings=dict(connection.settings or {}),
            automation_rules=tuple({"name": r.name, "match": r.match, "criteria": list(r.criteria),
                                    "actions": list(r.actions)} for r in automation),
        )


def current_host() -> Host:
    """The :class:`Host` of the current Flask app."""
    host: Host = current_app.extensions["marketbridge"]
    return host
