"""What the host gives an adapter: settings, secrets, a clock, HTTP and persistent state.

Adapters never reach for globals; everything they may use arrives in an
:class:`AdapterContext`. That keeps them testable (a test builds a context with
a fake clock and an emulator's URL) and lets the host change storage and
transport without touching plugins.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol

import requests

from marketbridge.clock import Clock


class StateStore(Protocol):
    """Small persistent key → JSON store private to one shop or marketplace account.

    Use it for cached access tokens, rate-limit bucket levels, cursors of
    side-streams, remote ids. Values are encrypted at rest. Writes are committed
    by the host together with the job's own work — also when the adapter ends
    the call by raising one of the exceptions of :mod:`marketbridge.errors`
    (a bucket drained by a 429 stays drained); they are lost only when the
    process dies. Two jobs of the same account may write the same key; the
    last write wins.
    """

    def get(self, key: str, default: Any = None) -> Any:
        """Return the stored JSON value or ``default``."""
        ...

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        ...


class QuotaRecorder(Protocol):
    """Where an adapter reports how much of a remote quota it uses (shown to the merchant)."""

    def record(self, operation: str, *, limit: float | None = None, remaining: float | None = None,
               throttled: bool = False, rejected: bool = False) -> None:
        """Note one call of ``operation``.

        ``limit`` is the rate per second the remote announced, ``remaining`` the
        tokens left; ``throttled`` means the adapter held a call back on its own
        (its bucket was empty), ``rejected`` means the remote answered 429.
        """
        ...


@dataclass(frozen=True)
class CarrierRuleInfo:
    """A merchant's carrier-mapping rule (S4): a tracking-number pattern and/or a shop
    carrier name that selects a marketplace carrier code."""

    carrier_code: str
    pattern: str | None = None  #: regular expression matched against the whole tracking number
    shop_carrier: str | None = None  #: carrier name as the shop reports it (case-insensitive)
    carrier_name: str | None = None  #: free-text name sent with the "Other" code


@dataclass(frozen=True)
class ConnectionInfo:
    """A read-only snapshot of a connection, given to channel adapters and policy hooks.

    Plugins get this plain value, never the database row, so they cannot
    change a connection behind the host's back.
    """

    id: int
    name: str
    shop_id: int
    account_id: int
    shop_kind: str
    channel_kind: str
    marketplace: str  #: the marketplace/country id within the channel, e.g. "A1PA6795UKMFR9"
    fulfilment_channel: str  #: "merchant" or "marketplace" (C4)
    product_identifier: str  #: "sku", "ean" or "product_id" (C5)
    require_weights: bool  #: hold orders whose products lack a weight (O4)
    initial_status: str | None  #: shop status for new orders (O3)
    default_carrier: str | None  #: marketplace carrier code used when no rule matches (S4)
    active: bool
    created_at: datetime
    activation_date: datetime | None
    status_mapping: Mapping[str, str] = field(default_factory=dict)  #: marketplace status → shop status (S1)
    carrier_rules: tuple[CarrierRuleInfo, ...] = ()  #: in the merchant's order (S4)
    #: automation rules (O7) as stored: ``{"name", "match", "criteria": [...], "actions": [...]}``, in order
    automation_rules: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  #: connection-level options of plugins


@dataclass
class AdapterContext:
    """Everything an adapter instance may use.

    * ``settings`` – the plain settings the merchant entered (see ``settings_fields``).
    * ``secrets`` – decrypted secret settings; never log or display them.
    * ``clock`` – the only source of "now"; never call ``datetime.now()``.
    * ``http`` – a ``requests.Session`` with default timeouts; use it for every call
      so tests and benchmarks can observe traffic.
    * ``state`` – persistent private storage (tokens, bucket levels).
    * ``quota`` – report rate-limit usage here.
    * ``connection`` – for channel adapters, the connection being served.
    * ``log`` – a logger whose records are scrubbed of secrets.
    """

    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    clock: Clock
    http: requests.Session
    state: StateStore
    quota: QuotaRecorder
    log: logging.Logger
    connection: ConnectionInfo | None = None
    timeout: float = 30.0
