"""The emulator behaves as ``specs/ecwid/NOTES.md`` describes the real API (raw HTTP, no adapter)."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from marketbridge_ecwid.emulator import EcwidEmulator


@pytest.fixture
def server(emulator, optional_contract, traffic_checker):
    """Answers are contract-checked; requests are not, as these tests send wrong ones on purpose."""
    with emulator.serve() as running:
        yield running
    if optional_contract is not None:
        traffic_checker(emulator, optional_contract, requests_too=False)


@pytest.fixture
def api(server, emulator):
    session = requests.Session()

    def call(method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or emulator.token}", **kwargs.pop("headers", {})}
        return session.request(method, f"{server.url}/api/v3/{emulator.store_id}{path}", headers=headers,
                                timeout=5, **kwargs)
    return call


ORDER = {"subtotal": 30, "total": 99.99, "email": "", "paymentStatus": "AWAITING_PAYMENT",
         "fulfillmentStatus": "AWAITING_PROCESSING", "items": [{"name": "Cherry", "quantity": 2, "price": 15}]}


def test_demo_catalogue_is_seeded_as_ecwid_models_it(emulator):
    products = {p.sku: p for p in emulator.products.values()}

    assert set(products) == {"MB-MUG-BLUE", "MB-MUG-RED", "MB-TEE", "MB-BOOK-COOK", "MB-KETTLE", "MB-TOWEL-SET",
                             "MB-CANDLE", "MB-LAMP-NOWEIGHT", "MB-RETIRED"}
    assert [(c.sku, c.options, c.quantity) for c in products["MB-TEE"].combinations] == [
        ("MB-TEE-S", [("Size", "S")], 35), ("MB-TEE-M", [("Size", "M")], 50), ("MB-TEE-L", [("Size", "L")], 3)]
    assert products["MB-LAMP-NOWEIGHT"].weight == 0 and products["MB-RETIRED"].enabled is False
    assert len(emulator.statuses) == 20


def test_orders_have_string_ids_and_totals_stored_as_sent(api):
    created = api("POST", "/orders", json=ORDER).json()

    order = api("GET", f"/orders/{created['orderid']}").json()

    assert isinstance(created["orderid"], str) and len(created["orderid"]) == 5 and isinstance(created["id"], int)
    assert order["total"] == 99.99 and order["subtotal"] == 30  # no recalculation


def test_put_with_items_replaces_all_items(api):
    order_id = api("POST", "/orders", json={**ORDER, "items": [*ORDER["items"], {"name": "Plum", "quantity": 1}]}
                   ).json()["orderid"]

    assert api("PUT", f"/orders/{order_id}", json={"items": [{"name": "Peach", "quantity": 3}]}).json() == {
        "updateCount": 1}

    assert [i["name"] for i in api("GET", f"/orders/{order_id}").json()["items"]] == ["Peach"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({k: v for k, v in ORDER.items() if k != "email"}, 400, "Field Order.email is absent"),
    ({**ORDER, "items": [{"name": "Cherry"}]}, 400, "Field OrderItem.quantity is absent"),
    ({**ORDER, "total": "a lot"}, 400, "Wrong parameter 'total' value"),
    ({**ORDER, "paymentStatus": "SENT"}, 400, "Wrong parameter 'paymentStatus' value"),
    ({**ORDER, "items": [{"name": "X", "quantity": 1, "productId": 1}]}, 404, "Product with specified ID"),
])
def test_create_order_refusals_use_the_documented_answers(api, body, status, message):
    response = api("POST", "/orders", json=body)

    assert response.status_code == status and message in response.json()["errorMessage"]


def test_unknown_combination_and_wrong_content_type(api, emulator):
    product, _ = emulator.find_sku("MB-TEE-S")
    bad_combination = {**ORDER, "items": [{"name": "T", "quantity": 1, "productId": product.id, "combinationId": 1}]}

    assert api("POST", "/orders", json=bad_combination).json()["errorCode"] == "COMBINATION_NOT_FOUND"
    assert api("POST", "/orders", data="x=1", headers={"Content-Type": "text/plain"}).status_code == 415


def test_sku_search_is_exact_on_product_or_variation_and_ignores_other_filters(api):
    found = api("GET", "/products", params={"sku": "MB-TEE-M", "keyword": "kettle", "enabled": "false"}).json()

    assert [p["sku"] for p in found["items"]] == ["MB-TEE"]
    assert api("GET", "/products", params={"sku": "MB-TEE-"}).json()["total"] == 0


def test_pages_hold_at_most_100_items(api, emulator, raw_order):
    for _ in range(105):
        raw_order()

    default = api("GET", "/orders").json()
    too_big = api("GET", "/orders", params={"limit": 500, "offset": 100}).json()

    assert (default["limit"], default["count"], default["total"]) == (100, 100, 105)
    assert (too_big["limit"], too_big["count"], too_big["offset"]) == (100, 5, 100)


def test_requests_per_minute_per_token_then_429_with_retry_after(api, emulator, clock):
    assert EcwidEmulator().rate_per_minute == 600  # Ecwid's documented limit is the default
    emulator.rate_per_minute = 60  # same mechanism, fewer requests to make
    token = emulator.issue_token({"read_store_profile"})
    for _ in range(60):
        assert api("GET", "/profile/order_statuses", token=token).status_code == 200

    limited = api("GET", "/profile/order_statuses", token=token)
    other_token = api("GET", "/profile/order_statuses")
    clock.advance(seconds=1)
    later = api("GET", "/profile/order_statuses", token=token)

    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["errorCode"] == "RATE_LIMITED"
    assert other_token.status_code == 200 and later.status_code == 200


def test_auth_answers(api, server, emulator):
    old_style = requests.get(f"{server.url}/api/v3/{emulator.store_id}/profile", params={"token": emulator.token},
                             timeout=5)
    no_scope = api("GET", "/orders", token=emulator.issue_token({"read_store_profile"}))
    unknown_store = requests.get(f"{server.url}/api/v3/99/profile",
                                 headers={"Authorization": f"Bearer {emulator.token}"}, timeout=5)

    assert old_style.status_code == 200
    assert (no_scope.status_code, no_scope.json()["errorCode"]) == (403, "INSUFFICIENT_APP_SCOPE")
    assert (unknown_store.status_code, unknown_store.json()["errorCode"]) == (404, "STORE_NOT_FOUND")
    assert api("GET", "/profile", token="secret_nope").json()["errorCode"] == "INVALID_API_TOKEN"


def test_merchant_actions_update_timestamps_like_the_admin(api, emulator, clock):
    order_id = api("POST", "/orders", json=ORDER).json()["orderid"]
    created = api("GET", f"/orders/{order_id}").json()["updateTimestamp"]
    clock.advance(minutes=3)

    emulator.ship_order(order_id, "JJD01", carrier="DHL")
    emulator.set_stock("MB-CANDLE", 7)

    order = api("GET", f"/orders/{order_id}").json()
    assert order["updateTimestamp"] == created + 180 and order["trackingNumber"] == "JJD01"
    assert order["shippingOption"]["shippingCarrierName"] == "DHL" and order["fulfillmentStatus"] == "SHIPPED"
    candle = api("GET", "/products", params={"sku": "MB-CANDLE"}).json()["items"][0]
    assert candle["quantity"] == 7 and candle["updateTimestamp"] == int(clock.now().timestamp())
    changed = api("GET", "/orders", params={"updatedFrom": int(clock.now().timestamp())}).json()
    assert [o["id"] for o in changed["items"]] == [order_id]


def test_unlimited_products_omit_quantity(api, emulator):
    emulator.set_stock("MB-KETTLE", None)

    kettle = api("GET", "/products", params={"sku": "MB-KETTLE"}).json()["items"][0]

    assert kettle["unlimited"] is True and "quantity" not in kettle and kettle["inStock"] is True
