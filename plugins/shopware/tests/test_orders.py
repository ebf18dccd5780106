"""Creating and finding orders against the emulator over HTTP (O1, O2, O3, O8, C9) and every
bad answer the shop can give on the way (held orders, retried jobs, never a duplicate)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from marketbridge.adapters import Marker
from marketbridge.clock import FakeClock
from marketbridge.errors import AuthenticationFailed, OrderRejected, RateLimited, TemporaryFailure
from marketbridge.testing.emulator import EmulatorServer
from marketbridge.testing.faults import Fault

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator import ShopwareEmulator
from marketbridge_shopware.emulator.auth import Integration
from marketbridge_shopware.ids import derived_id
from marketbridge_shopware.permissions import PRIVILEGES

from sw_helpers import draft_for, make_shop, order_dict


def stored_order(emulator: ShopwareEmulator, order_id: str) -> dict:
    record = emulator.store.get("order", order_id)
    assert record is not None
    return emulator.serialize("order", record, {"lineItems": {}, "deliveries": {"associations": {"positions": {}}},
                                                "transactions": {}, "orderCustomer": {}, "addresses": {}, "tags": {},
                                                "stateMachineState": {}})


def state_name(emulator: ShopwareEmulator, state_id: str) -> str:
    return emulator.store.get("state_machine_state", state_id)["technicalName"]


def test_created_order_keeps_the_marketplace_amounts_reference_marker_and_status(
        shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop, initial_status="order.in_progress", tags=("Amazon Prime Order",))
    created = shop.create_order(draft)

    order = stored_order(emulator, created.order_id)
    assert created.order_id == derived_id("amazon:302-1234567-1234567") == order["id"]
    assert created.number == order["orderNumber"] == "302-1234567-1234567"
    assert order["customFields"]["marketbridge_external_ref"] == "amazon:302-1234567-1234567"
    assert order["customFields"]["marketbridge_marker"] == "Amazon"
    assert sorted(t["name"] for t in order["tags"]) == ["Amazon", "Amazon Prime Order"]
    assert state_name(emulator, order["stateId"]) == "in_progress"  # O3
    assert state_name(emulator, order["transactions"][0]["stateId"]) == "paid"
    # prices exactly as charged: 2 × 14.90 with 4.76 tax, 24.00 − 2.00 discount, 4.99 shipping, total 56.79
    products = {li["payload"].get("productNumber"): li for li in order["lineItems"] if li["type"] == "product"}
    mug = products["MB-MUG-BLUE"]
    assert (mug["price"]["unitPrice"], mug["quantity"], mug["price"]["totalPrice"]) == (14.9, 2, 29.8)
    assert mug["price"]["calculatedTaxes"] == [{"tax": 4.76, "taxRate": 19.0, "price": 29.8}]
    credit = next(li for li in order["lineItems"] if li["type"] == "credit")
    assert credit["price"]["totalPrice"] == -2.0
    assert order["shippingCosts"]["totalPrice"] == 4.99
    assert order["price"]["totalPrice"] == order["amountTotal"] == 56.79
    assert order["price"]["netPrice"] == pytest.approx(56.79 - 4.76 - 3.51 - 0.80)
    assert order["price"]["taxStatus"] == "gross"
    # O8: Amazon withholds the buyer's address; a never-deliverable placeholder is stored
    assert order["orderCustomer"]["email"] == "amazon-302-1234567-1234567@marketplace.invalid"
    assert order["orderCustomer"]["lastName"] == "Mustermann"
    shipping = next(a for a in order["addresses"] if a["id"] == order["deliveries"][0]["shippingOrderAddressId"])
    assert (shipping["street"], shipping["zipcode"], shipping["city"]) == ("Heidestraße 17", "51147", "Köln")
    assert len(order["deliveries"][0]["positions"]) == 2
    assert emulator.product_by_number("MB-MUG-BLUE")["stock"] == 118  # Shopware moved the stock


def test_net_prices_are_stored_as_net_with_tax_on_top(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    usd = lambda amount: {"amount": amount, "currency": "USD"}  # noqa: E731
    data = order_dict("111-0000000-0000001", currency="USD", prices_include_tax=False, total=usd("38.95"),
                      lines=[{"line_id": "U1", "title": "Kettle", "quantity": 1, "unit_price": usd("32.00"),
                              "tax": usd("2.40"), "discount": usd("0"), "sku": "MB-KETTLE"}],
                      shipping={"method": "Standard", "price": usd("4.55"), "tax": usd("0"), "discount": usd("0")},
                      shipping_address={"name": "Jo Doe", "line1": "1 Main St", "city": "Sacramento",
                                        "postal_code": "95814", "country_code": "US", "region": "CA"})
    created = shop.create_order(draft_for(shop, data))
    order = stored_order(emulator, created.order_id)
    assert order["price"]["taxStatus"] == "net"
    assert (order["price"]["totalPrice"], order["price"]["netPrice"]) == (38.95, pytest.approx(36.55))
    assert order["lineItems"][0]["price"]["calculatedTaxes"][0]["taxRate"] == 7.5  # derived for display only
    assert order["currencyId"] == derived_id("currency", "USD")
    address = next(a for a in order["addresses"] if a["id"] == order["billingAddressId"])
    assert address["countryStateId"] == derived_id("country_state", "US-CA")


def test_pickup_orders_carry_their_own_marker(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    data = order_dict("302-7777777-7777777", flags={"pickup": True}, pickup_store_code="STORE-KOELN-1")
    created = shop.create_order(draft_for(shop, data, marker=Marker("amazon", "Amazon Click & Collect", pickup=True)))
    order = stored_order(emulator, created.order_id)
    assert [t["name"] for t in order["tags"]] == ["Amazon Click & Collect"]
    assert order["customFields"]["marketbridge_pickup"] is True
    assert order["customFields"]["marketbridge_pickup_store"] == "STORE-KOELN-1"


def test_find_order_is_exact(shop: ShopwareShop) -> None:
    draft = draft_for(shop)
    assert shop.find_order(draft.external_ref) is None
    created = shop.create_order(draft)
    assert shop.find_order("amazon:302-1234567-1234567") == created
    assert shop.find_order("amazon:302-1234567-123456") is None
    assert shop.find_order("ebay:302-1234567-1234567") is None


def create_exactly_once(shop: ShopwareShop, draft, attempts: int = 3):  # noqa: ANN001, ANN201
    """What the engine does: look up, create, and on a temporary failure try again."""
    for _ in range(attempts):
        existing = shop.find_order(draft.external_ref)
        if existing is not None:
            return existing
        try:
            return shop.create_order(draft)
        except TemporaryFailure:
            continue
    raise AssertionError("never created")


@pytest.mark.parametrize("fault", [
    Fault(kind="after", status=502, method="POST", path=r"^/api/order$"),
    Fault(kind="malformed", method="POST", path=r"^/api/order$"),
    Fault(kind="timeout", method="POST", path=r"^/api/order$"),
    Fault(kind="drop", method="POST", path=r"^/api/order$"),
], ids=["committed-then-502", "committed-then-garbled", "timeout", "dropped"])
def test_a_create_that_failed_in_transit_is_found_on_retry_never_duplicated(
        server: EmulatorServer, integration: Integration, clock: FakeClock, emulator: ShopwareEmulator,
        fault: Fault) -> None:
    shop = make_shop(server, integration, clock, timeout=2.0)
    draft = draft_for(shop)
    emulator.faults.add(fault)
    with pytest.raises(TemporaryFailure):
        shop.create_order(draft)
    created = create_exactly_once(shop, draft)
    assert fault.fired == 1
    assert [o["id"] for o in emulator.store.all("order")] == [created.order_id]
    assert emulator.product_by_number("MB-MUG-BLUE")["stock"] == 118  # stock moved once


def test_a_second_create_without_lookup_returns_the_existing_order(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop)
    first = shop.create_order(draft)
    assert shop.create_order(draft) == first
    assert len(emulator.store.all("order")) == 1


def test_product_deleted_after_matching_holds_the_order(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop)
    emulator.delete_product("MB-TEE-S")
    with pytest.raises(OrderRejected, match="no longer exists") as caught:
        shop.create_order(draft)
    assert caught.value.code == "product_not_found"
    assert emulator.store.all("order") == []


@pytest.mark.parametrize("number", ["MB-MUG-BLUE", "MB-TEE"], ids=["product", "parent-of-variant"])
def test_disabled_product_holds_the_order(shop: ShopwareShop, emulator: ShopwareEmulator, number: str) -> None:
    draft = draft_for(shop)
    emulator.update_product(number, active=False)
    with pytest.raises(OrderRejected, match="disabled in Shopware. Enable it") as caught:
        shop.create_order(draft)
    assert caught.value.code == "product_inactive"


def test_clearance_item_out_of_stock_holds_the_order_but_backorders_pass(
        shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop)
    emulator.update_product("MB-MUG-BLUE", stock=1, isCloseout=True)
    with pytest.raises(OrderRejected, match="only 1 are in stock, but the order needs 2") as caught:
        shop.create_order(draft)
    assert caught.value.code == "out_of_stock"
    emulator.update_product("MB-MUG-BLUE", isCloseout=False)
    assert shop.create_order(draft).order_id  # Shopware sells non-clearance products below zero


def test_required_field_rejected_by_the_shop_holds_the_order(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    data = order_dict(shipping_address={"name": "Erika Mustermann", "line1": "   ", "city": "Köln",
                                        "postal_code": "51147", "country_code": "DE"})
    with pytest.raises(OrderRejected, match=r"addresses\.street: This value should not be blank") as caught:
        shop.create_order(draft_for(shop, data))
    assert caught.value.code == "order_refused"
    assert emulator.store.all("order") == []


def test_a_reference_the_shop_lost_meanwhile_holds_the_order(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    shop.create_order(draft_for(shop))  # lookups are now cached by this adapter instance
    emulator.store.tables["shipping_method"].pop(derived_id("shipping_method", "shipping_standard"))
    with pytest.raises(OrderRejected, match="shipping method no longer exists") as caught:
        shop.create_order(draft_for(shop, order_dict("302-2222222-2222222")))
    assert caught.value.code == "missing_reference"


def test_missing_currency_country_or_initial_status_hold_with_what_to_fix(shop: ShopwareShop) -> None:
    jpy = lambda amount: {"amount": amount, "currency": "JPY"}  # noqa: E731
    data = order_dict(currency="JPY", total=jpy("1000"),
                      lines=[{"line_id": "J1", "title": "Mug", "quantity": 1, "unit_price": jpy("1000"),
                              "tax": jpy("0"), "discount": jpy("0"), "sku": "MB-MUG-RED"}],
                      shipping={"method": "Standard", "price": jpy("0"), "tax": jpy("0"), "discount": jpy("0")})
    with pytest.raises(OrderRejected, match="no currency JPY. Add it"):
        shop.create_order(draft_for(shop, data))
    japan = order_dict(shipping_address={"name": "A B", "line1": "1-1", "city": "Tokyo", "postal_code": "100",
                                         "country_code": "JP"})
    with pytest.raises(OrderRejected, match="no country JP"):
        shop.create_order(draft_for(shop, japan))
    with pytest.raises(OrderRejected, match="\"order.on_hold\" chosen for new orders does not exist"):
        shop.create_order(draft_for(shop, initial_status="order.on_hold"))


def test_missing_create_permission_names_the_privileges(
        server: EmulatorServer, emulator: ShopwareEmulator, clock: FakeClock) -> None:
    limited = emulator.add_integration("Read only", admin=False,
                                       privileges=frozenset(p for p in PRIVILEGES if not p.startswith("order_line_item:create")))
    shop = make_shop(server, limited, clock)
    with pytest.raises(AuthenticationFailed, match="lacks the permission\\(s\\) order_line_item:create") as caught:
        shop.create_order(draft_for(shop))
    assert limited.secret not in str(caught.value)


def test_rate_limit_and_server_errors_on_create_are_retried(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    draft = draft_for(shop)
    body = json.dumps({"errors": [{"status": "429", "code": "FRAMEWORK__RATE_LIMIT_EXCEEDED", "title": "Too Many Requests",
                                   "detail": "Too many requests, try again in 7 seconds.",
                                   "meta": {"parameters": {"seconds": 7}}}]})
    emulator.faults.add(Fault(status=429, body=body, method="POST", path=r"^/api/order$"))
    with pytest.raises(RateLimited) as limited:
        shop.create_order(draft)
    assert limited.value.retry_after == 7
    emulator.faults.add(Fault(status=503, method="POST", path=r"^/api/order$"))
    with pytest.raises(TemporaryFailure, match="HTTP 503"):
        shop.create_order(draft)
    assert emulator.store.all("order") == []
    assert shop.create_order(draft).order_id


def test_garbled_answer_to_a_lookup_is_a_temporary_failure(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    emulator.faults.add(Fault(kind="malformed", method="POST", path="/api/search/order"))
    with pytest.raises(TemporaryFailure) as caught:
        shop.find_order("amazon:302-1234567-1234567")
    assert caught.value.code == "malformed_response"


def test_line_amounts_use_decimal_strings_exactly(shop: ShopwareShop, emulator: ShopwareEmulator) -> None:
    eur = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    data = order_dict("302-3333333-3333333", total=eur("30.00"),
                      lines=[{"line_id": "X", "title": "Candles", "quantity": 3, "unit_price": eur("8.37"),
                              "tax": eur("4.01"), "discount": eur("0"), "sku": "MB-CANDLE"}],
                      shipping={"method": "Standard", "price": eur("4.89"), "tax": eur("0.78"), "discount": eur("0")})
    created = shop.create_order(draft_for(shop, data))
    line = stored_order(emulator, created.order_id)["lineItems"][0]
    assert Decimal(str(line["price"]["totalPrice"])) == Decimal("25.11")
    assert stored_order(emulator, created.order_id)["price"]["totalPrice"] == 30.0  # as given, not 25.11 + 4.89


def test_a_product_deleted_between_check_and_create_is_reported_from_the_foreign_key(
        shop: ShopwareShop, emulator: ShopwareEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketbridge_shopware import orders

    draft = draft_for(shop)
    monkeypatch.setattr(orders, "_check_products", lambda api, d: emulator.delete_product("MB-TEE-S"))
    with pytest.raises(OrderRejected, match="a product of this order no longer exists") as caught:
        shop.create_order(draft)
    assert caught.value.params["table"] == "product"
    assert emulator.store.all("order") == []
