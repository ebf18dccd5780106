# tests/test_emulator.py
"""The emulator on its own, spoken to with plain ``requests``: it must behave as Acme documents."""
from __future__ import annotations

from typing import Any

import requests

from marketbridge.clock import FakeClock
from marketbridge.testing import SpecContract

from marketbridge_acme.emulator import TOKEN, AcmeEmulator

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WINDOW = {"updated_from": "2026-11-01T00:00:00Z", "updated_to": "2026-11-03T00:00:00Z", "market": "acme-de"}


def get(url: str, path: str, **params: Any) -> requests.Response:
    return requests.get(url + path, params=params, headers=AUTH, timeout=5)


def test_every_call_needs_the_bearer_token(acme_url: str) -> None:
    answer = requests.get(f"{acme_url}/v1/account", headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_orders_come_in_pages_of_one_window(acme: AcmeEmulator, acme_url: str) -> None:
    placed = [acme.place_order() for _ in range(3)]
    first = get(acme_url, "/v1/orders", **WINDOW, limit=2).json()
    second = get(acme_url, "/v1/orders", **WINDOW, limit=2, page_token=first["next_page_token"]).json()
    assert [o["id"] for o in first["orders"] + second["orders"]] == placed
    assert second["next_page_token"] is None


def test_an_unpaid_order_shows_no_address_until_it_is_paid(acme: AcmeEmulator, acme_url: str) -> None:
    order_id = acme.place_order(paid=False)
    assert get(acme_url, f"/v1/orders/{order_id}").json()["delivery_address"] is None
    acme.pay(order_id)
    assert get(acme_url, f"/v1/orders/{order_id}").json()["delivery_address"]["city"] == "Köln"


def test_a_burst_beyond_the_quota_is_answered_429_with_retry_after(acme_url: str, clock: FakeClock) -> None:
    answers = [get(acme_url, "/v1/account") for _ in range(21)]
    assert [a.status_code for a in answers] == [200] * 20 + [429]
    assert answers[-1].headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert get(acme_url, "/v1/account").status_code == 200


def test_a_repeated_shipment_with_the_same_key_ships_once(acme: AcmeEmulator, acme_url: str) -> None:
    order_id = acme.place_order([("MB-CANDLE", 2)])
    body = {"carrier": "DHL", "tracking_number": "00340434161234567890", "shipped_at": "2026-11-02T10:00:00Z",
            "lines": [{"item_id": f"{order_id}-1", "quantity": 2}]}
    headers = {**AUTH, "Idempotency-Key": "shipment:1:S1"}
    url = f"{acme_url}/v1/orders/{order_id}/shipments"
    answers = [requests.post(url, json=body, headers=headers, timeout=5) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json() == answers[1].json()
    assert len(acme.shipments) == 1 and acme.orders[order_id]["status"] == "shipped"


def test_the_emulator_answers_what_the_spec_promises(acme: AcmeEmulator, acme_url: str,
                                                     contract: SpecContract) -> None:
    acme.place_order([("MB-MUG-BLUE", 1), ("MB-TEE-S", 3)], express=True, business=True, vat_id="DE123456789")
    answer = get(acme_url, "/v1/orders", **WINDOW)
    contract.check_response("GET", "/v1/orders", answer.status_code, answer.json())
