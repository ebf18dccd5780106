"""Registration through the entry point, settings, pacing, and the small pure helpers."""
from __future__ import annotations

from decimal import Decimal
from importlib.metadata import entry_points

import pytest
import requests

from marketbridge.adapters import FieldKind
from marketbridge.errors import AuthenticationFailed, OrderRejected, RateLimited
from marketbridge.plugins import AdapterRegistry, make_plugin_manager

from marketbridge_ecwid import plugin
from marketbridge_ecwid.adapter import EcwidShopAdapter
from marketbridge_ecwid.errors import read_error
from marketbridge_ecwid.order_mapping import initial_statuses, money
from marketbridge_ecwid.settings import load_config


def test_the_entry_point_registers_the_adapter_under_its_kind():
    (found,) = [ep for ep in entry_points(group="marketbridge") if ep.name == "ecwid"]

    registry = AdapterRegistry(make_plugin_manager(load_entrypoints=False, extra=[found.load()]))

    assert found.value == "marketbridge_ecwid.plugin" and found.load() is plugin
    assert registry.shop("ecwid") is EcwidShopAdapter


def test_the_token_is_a_secret_setting_and_never_shown():
    kinds = {f.name: f.kind for f in EcwidShopAdapter.settings_fields}
    config = load_config({"store_id": " 1003 "}, {"access_token": "secret_abc", "client_secret": "cs_123"})

    assert kinds["access_token"] is FieldKind.SECRET and kinds["client_secret"] is FieldKind.SECRET
    assert config.store_url == "https://app.ecwid.com/api/v3/1003"
    assert "secret_abc" not in repr(config) and "cs_123" not in repr(config)
    with pytest.raises(AuthenticationFailed):
        load_config({"store_id": "my-store"}, {"access_token": "secret_abc"})


def test_the_client_paces_itself_without_sending(adapter, emulator):
    adapter.context.state.set("ratelimit", {"rate": 10.0, "burst": 300.0, "tokens": 0.0,
                                            "saved_at": adapter.context.clock.now().timestamp()})

    with pytest.raises(RateLimited) as raised:
        adapter.list_statuses()

    assert raised.value.retry_after == pytest.approx(0.1) and emulator.calls() == []
    assert adapter.context.quota.calls[-1]["throttled"] is True


def test_quota_use_is_reported(adapter):
    adapter.list_statuses()

    assert adapter.context.quota.count("list_statuses") == 1
    assert adapter.context.quota.calls[0]["limit"] == 10.0


def _response(status: int, reason: str, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response.reason, response._content = status, reason, body
    return response


def test_error_reading_masks_the_token_and_uses_a_telling_status_line():
    masked = read_error(_response(400, "Bad Request", b'{"errorMessage": "token secret_abc is odd"}'), "secret_abc")
    status_line = read_error(_response(400, "Field Order.email is absent", b""))
    plain = read_error(_response(400, "Bad Request", b""))

    assert masked.message == "token *** is odd"
    assert status_line.message == "Field Order.email is absent"
    assert plain.message is None and plain.describe() == "HTTP 400"


def test_amounts_are_sent_exactly():
    assert money(Decimal("14.90")) == 14.9 and money(Decimal("15.00")) == 15 and isinstance(money(Decimal("15")), int)
    with pytest.raises(OrderRejected):
        money(Decimal("0.1000000000000000000001"))


@pytest.mark.parametrize(("code", "expected"), [
    (None, ("PAID", "AWAITING_PROCESSING")), ("PAID", ("PAID", "AWAITING_PROCESSING")),
    ("CUSTOM_FULFILLMENT_STATUS_1", ("PAID", "CUSTOM_FULFILLMENT_STATUS_1")),
])
def test_initial_status_sets_the_fulfilment_status(code, expected):
    assert initial_statuses(code) == expected


@pytest.mark.parametrize("code", ["INCOMPLETE", "CUSTOM_PAYMENT_STATUS_1", "open"])
def test_initial_status_that_cannot_work_is_refused(code):
    with pytest.raises(OrderRejected):
        initial_statuses(code)
