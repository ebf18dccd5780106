"""Build an :class:`~marketbridge.adapters.AdapterContext` for adapter tests.

Adapter tests talk to an emulator over real HTTP without the whole app::

    ctx = adapter_context(settings={"url": server.url}, secrets={"key": "k"}, clock=clock)
    adapter = MyShopAdapter(ctx)

``MemoryState`` and ``RecordingQuota`` stand in for the database-backed stores
the app uses; they behave the same (JSON values, copies on read).
"""
from __future__ import annotations

import copy
import json
import logging
from datetime import datetime, timezone
from typing import Any, Mapping

from marketbridge.adapters import AdapterContext, ConnectionInfo
from marketbridge.clock import Clock, FakeClock
from marketbridge.http import make_session


class MemoryState:
    """In-memory :class:`~marketbridge.adapters.StateStore` (values must be JSON-able)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.values.get(key, default))

    def set(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class RecordingQuota:
    """:class:`~marketbridge.adapters.QuotaRecorder` that keeps every call for assertions."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def record(self, operation: str, *, limit: float | None = None, remaining: float | None = None,
               throttled: bool = False, rejected: bool = False) -> None:
        self.calls.append({"operation": operation, "limit": limit, "remaining": remaining, "throttled": throttled,
                           "rejected": rejected})

    def count(self, operation: str | None = None) -> int:
        return sum(1 for c in self.calls if operation is None or c["operation"] == operation)


def connection_info(**overrides: Any) -> ConnectionInfo:
    """A plausible :class:`ConnectionInfo` for channel adapter tests; override any field."""
    values: dict[str, Any] = dict(
        id=1, name="Test connection", shop_id=1, account_id=1, shop_kind="example", channel_kind="example",
        marketplace="A1PA6795UKMFR9", fulfilment_channel="merchant", product_identifier="sku",
        require_weights=False, initial_status=None, default_carrier=None, active=True,
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc), activation_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    values.update(overrides)
    return ConnectionInfo(**values)


def adapter_context(*, settings: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None,
                    clock: Clock | None = None, state: MemoryState | None = None,
                    connection: ConnectionInfo | None = None, timeout: float = 5.0) -> AdapterContext:
    """An adapter context with in-memory state, a recording quota and a real HTTP session."""
    return AdapterContext(
        settings=dict(settings or {}),
        secrets=dict(secrets or {}),
        clock=clock or FakeClock(),
        http=make_session(timeout),
        state=state or MemoryState(),
        quota=RecordingQuota(),
        log=logging.getLogger("marketbridge.adapter.test"),
        connection=connection,
        timeout=timeout,
    )
