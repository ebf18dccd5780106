"""Connecting a store: token, plan and every needed scope are checked, with what to fix."""
from __future__ import annotations

import json

import pytest

from marketbridge.errors import TemporaryFailure
from marketbridge.testing import Fault
from marketbridge.testing.context import adapter_context

from marketbridge_ecwid.adapter import EcwidShopAdapter

NEEDED = {"read_store_profile", "read_catalog", "read_orders", "update_orders", "create_orders"}


def test_a_complete_token_passes_and_the_probes_change_nothing(adapter, emulator):
    stock = emulator.stock_of("MB-MUG-BLUE")

    result = adapter.check_connection()

    assert result.ok, result.problems
    assert emulator.orders == {} and emulator.stock_of("MB-MUG-BLUE") == stock
    assert [c.status for c in emulator.calls("PUT")] == [404] and [c.status for c in emulator.calls("POST")] == [400]


@pytest.mark.parametrize("missing", sorted(NEEDED - {"read_store_profile"}))
def test_each_missing_scope_is_named(make_adapter, emulator, missing):
    adapter = make_adapter(token=emulator.issue_token(NEEDED - {missing}))

    result = adapter.check_connection()

    assert len(result.problems) == 1 and f"lacks the '{missing}' permission" in result.problems[0]


def test_plan_without_api_is_explained(adapter, emulator):
    emulator.plan_has_api = False

    result = adapter.check_connection()

    assert result.problems and "plan does not include API access" in result.problems[0]


def test_wrong_token_and_wrong_store_are_explained(make_adapter, emulator):
    assert "did not accept the access token" in make_adapter(token="secret_nope").check_connection().problems[0]
    assert "no store with this store ID" in make_adapter(store_id="4242").check_connection().problems[0]


def test_token_of_another_store_is_spotted(adapter, emulator):
    emulator.faults.add(Fault(status=200, method="GET", path=r"/profile$", headers={"Content-Type": "application/json"},
                              body=json.dumps({"generalInfo": {"storeId": 2002}})))

    result = adapter.check_connection()

    assert "belongs to Ecwid store 2002" in result.problems[0]


@pytest.mark.parametrize(("settings", "secrets", "words"), [
    ({"store_id": ""}, {"access_token": "secret_x"}, "store ID is missing"),
    ({"store_id": "1003"}, {}, "secret access token is missing"),
    ({"store_id": "1003"}, {"access_token": "public_abc"}, "public storefront token"),
])
def test_incomplete_settings_are_explained_without_calling_ecwid(clock, settings, secrets, words):
    adapter = EcwidShopAdapter(adapter_context(settings=settings, secrets=secrets, clock=clock))

    result = adapter.check_connection()

    assert not result.ok and words in result.problems[0]


def test_unreachable_store_is_a_temporary_failure(make_adapter, emulator):
    emulator.faults.add(Fault(kind="drop"))

    with pytest.raises(TemporaryFailure):
        make_adapter().check_connection()


def test_unknown_weight_unit_is_a_problem(adapter, emulator):
    emulator.weight_unit = "CARAT"

    assert "weight unit 'CARAT' is unknown" in adapter.check_connection().problems[0]
