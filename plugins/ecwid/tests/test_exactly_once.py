"""Exactly-once import (O1, C9): a create that failed in transit is found on retry, never made twice.

``import_with_retries`` plays the engine's part: look the reference up, create
if absent, and on ``TemporaryFailure`` start over (the engine would wait first).
"""
from __future__ import annotations

import pytest

from marketbridge.adapters import OrderDraft, ShopOrderRef
from marketbridge.errors import TemporaryFailure
from marketbridge.testing import Fault

from marketbridge_ecwid.adapter import EcwidShopAdapter


def import_with_retries(adapter: EcwidShopAdapter, draft: OrderDraft, attempts: int = 3) -> tuple[ShopOrderRef, int]:
    """Return the shop order and how many create calls were made."""
    creates = 0
    for _ in range(attempts):
        try:
            found = adapter.find_order(draft.external_ref)
            if found is not None:
                return found, creates
            creates += 1
            return adapter.create_order(draft), creates
        except TemporaryFailure:
            continue
    raise AssertionError("not imported")


@pytest.mark.parametrize("fault", [
    Fault(kind="malformed", method="POST", path=r"/orders$"),  # created, answer garbled
    Fault(kind="after", status=502, method="POST", path=r"/orders$"),  # created, then a gateway error
    Fault(kind="after", status=200, body='{"id": 1}', headers={"Content-Type": "application/json"},
          method="POST", path=r"/orders$"),  # created, answer without the order id
], ids=["garbled", "error-after-commit", "answer-without-id"])
def test_create_whose_answer_was_lost_is_found_on_retry(adapter, emulator, make_draft, fault):
    draft = make_draft([("MB-MUG-RED", 2, "14.90", "4.76")])
    stock_before = emulator.stock_of("MB-MUG-RED")
    emulator.faults.add(fault)

    ref, creates = import_with_retries(adapter, draft)

    orders = emulator.orders_with_reference(draft.external_ref)
    assert fault.fired == 1 and creates == 1
    assert [o["id"] for o in orders] == [ref.order_id]
    assert emulator.stock_of("MB-MUG-RED") == stock_before - 2  # stock moved once, with the one order


@pytest.mark.parametrize("kind", ["timeout", "drop"])
def test_create_that_never_arrived_is_made_once_on_retry(make_adapter, emulator, make_draft, kind):
    adapter = make_adapter(timeout=2.0)
    draft = make_draft()
    emulator.faults.add(Fault(kind=kind, method="POST", path=r"/orders$"))

    ref, creates = import_with_retries(adapter, draft)

    assert creates == 2
    assert [o["id"] for o in emulator.orders_with_reference(draft.external_ref)] == [ref.order_id]


def test_lookup_failing_before_create_never_creates_blindly(adapter, emulator, make_draft):
    draft = make_draft()
    adapter.create_order(draft)
    emulator.faults.add(Fault(status=500, method="GET", path=r"/orders$"))

    ref, creates = import_with_retries(adapter, draft)

    assert creates == 0
    assert [o["id"] for o in emulator.orders_with_reference(draft.external_ref)] == [ref.order_id]


def test_same_order_by_two_routes_is_created_once(adapter, emulator, make_draft):
    """C9: the same Amazon order arriving directly and through an aggregator has the same reference."""
    first = make_draft(order_id="303-2222222-2222222")
    second = make_draft(order_id="303-2222222-2222222", sales_channel="Rithum")

    import_with_retries(adapter, first)
    _, creates = import_with_retries(adapter, second)

    assert creates == 0 and len(emulator.orders_with_reference("amazon:303-2222222-2222222")) == 1
