"""Every adapter method meets every kind of bad answer and fails the way the engine expects.

Nothing escapes as a ``requests`` exception, ``KeyError`` or JSON error: each
failure is ``AuthenticationFailed`` (pause the shop, show what to fix),
``RateLimited`` (reschedule) or ``TemporaryFailure`` (retry). The connection
check reports credential problems as sentences instead of raising.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from marketbridge.adapters import ProductIdentifier
from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.testing import Fault

FAULTS: dict[str, tuple[Fault, type[Exception]]] = {
    "401": (Fault(status=401), AuthenticationFailed),
    "403-token": (Fault(status=403, body=json.dumps({"errorCode": "INVALID_API_TOKEN", "errorMessage": "x"})),
                  AuthenticationFailed),
    "403-empty": (Fault(status=403), AuthenticationFailed),
    "402": (Fault(status=402, body=json.dumps({"errorCode": "NOT_AVAILABLE_ON_CURRENT_PLAN", "errorMessage": "x"})),
            AuthenticationFailed),
    "429": (Fault(status=429, headers={"Retry-After": "3"}), RateLimited),
    "500": (Fault(status=500), TemporaryFailure),
    "timeout": (Fault(kind="timeout"), TemporaryFailure),
    "drop": (Fault(kind="drop"), TemporaryFailure),
    "malformed": (Fault(kind="malformed"), TemporaryFailure),
}

CALLS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "find_order": lambda a, e, d: a.find_order("amazon:302-1234567-1234567"),
    "create_order": lambda a, e, d: a.create_order(d),
    "find_products": lambda a, e, d: a.find_products(ProductIdentifier.SKU, ["MB-KETTLE"]),
    "list_statuses": lambda a, e, d: a.list_statuses(),
    "set_status": lambda a, e, d: a.set_status(d, "SHIPPED"),
    "changes_since": lambda a, e, d: a.changes_since('{"from": 0}'),
    "read_stock": lambda a, e, d: a.read_stock([e.marketbridge_id("MB-KETTLE")]),
    "stock_changes_since": lambda a, e, d: a.stock_changes_since('{"from": 0}'),
    "check_connection": lambda a, e, d: a.check_connection(),
}


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("method", CALLS)
def test_bad_answer_becomes_an_engine_exception(make_adapter, emulator, make_draft, method, fault_name):
    adapter = make_adapter(timeout=2.0)
    prepared: Any = None
    if method == "create_order":
        prepared = make_draft()
    elif method == "set_status":
        prepared = adapter.create_order(make_draft())
    fault, expected = FAULTS[fault_name]
    emulator.faults.add(Fault(kind=fault.kind, status=fault.status, body=fault.body, headers=dict(fault.headers)))

    if method == "check_connection" and expected is AuthenticationFailed:
        result = adapter.check_connection()
        assert not result.ok and "Ecwid" in result.problems[0]
        return
    with pytest.raises(expected) as raised:
        CALLS[method](adapter, emulator, prepared)

    assert raised.value.message and emulator.token not in raised.value.message
    if expected is RateLimited:
        assert raised.value.retry_after == 3
