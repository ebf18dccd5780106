"""O1/C9: an import that failed half-way is found or resumed on retry, never created twice.

Each test breaks one step for real (the emulator's fault switches act on the
HTTP exchange), then retries the way the engine does: ``find_order`` first,
``create_order`` only when nothing was found.
"""
from __future__ import annotations

import pytest

from marketbridge.errors import TemporaryFailure
from marketbridge.testing import Fault
from marketbridge_prestashop.testing import line, order_dict

REF = "amazon:302-1234567-1234567"


def retry(adapter, draft):
    """The engine's retry: look the reference up, create only when it is not there."""
    found = adapter.find_order(draft.external_ref)
    return found if found is not None else adapter.create_order(draft)


def assert_one_finished_order(shop, ref, messages: int = 1) -> None:
    assert len(shop.orders()) == 1
    assert len(shop.store.rows("carts")) == 1
    assert len(shop.store.rows("customers")) == 1
    order = shop.store.get("orders", ref.order_id)
    assert f"Marketbridge reference: {REF}" in order["note"]
    assert order["current_state"] == "3"
    assert shop.history(ref.order_id).count(3) == 1
    assert len(shop.store.where("messages", id_order=ref.order_id)) == messages


@pytest.mark.parametrize("fault", [
    Fault(kind="after", status=504, method="POST", path=r"^/api/orders$"),  # created, then the gateway gave up
    Fault(kind="malformed", method="POST", path=r"^/api/orders$"),  # created, answer garbled
    Fault(kind="status", status=500, method="POST", path=r"^/api/orders$"),  # refused before creating
    Fault(kind="drop", method="POST", path=r"^/api/orders$"),  # connection lost before an answer
], ids=["after-504", "malformed", "500", "drop"])
def test_a_create_that_may_or_may_not_have_happened_is_resolved_by_the_cart(shop, adapter, make_draft, fault):
    draft = make_draft()
    shop.faults.add(fault)
    with pytest.raises(TemporaryFailure) as failed:
        adapter.create_order(draft)
    assert "looks it up by its cart" in failed.value.message
    ref = retry(adapter, draft)
    assert_one_finished_order(shop, ref)
    assert len(shop.calls("PUT", "/api/carts/")) == (0 if fault.kind in ("after", "malformed") else 1)


def test_a_timed_out_create_is_retried_without_a_second_order(shop, make_adapter, make_draft):
    adapter = make_adapter(timeout=2.0)
    draft = make_draft()
    shop.faults.add(Fault(kind="timeout", method="POST", path=r"^/api/orders$"))
    with pytest.raises(TemporaryFailure) as failed:
        adapter.create_order(draft)
    assert failed.value.code == "timeout"
    ref = retry(adapter, draft)
    assert_one_finished_order(shop, ref)


@pytest.mark.parametrize("path", [r"^/api/order_details/\d+$", r"^/api/order_histories$", r"^/api/orders/\d+$",
                                  r"^/api/messages$"])
def test_a_crash_while_finishing_resumes_the_same_order(shop, adapter, make_draft, path):
    """The order exists but its finishing stopped: find_order does not see it yet, create_order resumes it."""
    draft = make_draft(order_dict(lines=[line("MB-MUG-BLUE", 2, "13.90", "4.44")],
                                  total={"amount": "32.70", "currency": "EUR"}))
    shop.faults.add(Fault(kind="status", status=503, method=None, path=path))
    with pytest.raises(TemporaryFailure):
        adapter.create_order(draft)
    assert len(shop.orders()) == 1
    ref = retry(adapter, draft)
    # The note is written before the private message: a crash between the two leaves the order found by its
    # note (the reference is on the order), only the extra message is missing.
    assert_one_finished_order(shop, ref, messages=0 if "messages" in path else 1)
    assert shop.history(ref.order_id) == [8, 3]


def test_the_same_order_from_a_second_route_is_found_not_created(shop, adapter, make_draft):
    """C9: the same marketplace order arriving twice (directly and through an aggregator)."""
    first = retry(adapter, make_draft())
    second = retry(adapter, make_draft())
    assert first == second
    assert len(shop.orders()) == 1
    assert len(shop.calls("POST", "/api/orders")) == 1


def test_a_fresh_adapter_instance_resumes_from_the_shop_alone(shop, adapter, make_adapter, make_draft):
    """Nothing is kept in the adapter or its state store: a new process after a crash heals the same way."""
    draft = make_draft()
    shop.faults.add(Fault(kind="malformed", method="POST", path=r"^/api/orders$"))
    with pytest.raises(TemporaryFailure):
        adapter.create_order(draft)
    ref = retry(make_adapter(), draft)
    assert_one_finished_order(shop, ref)
