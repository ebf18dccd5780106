"""Shipping labels through Amazon Buy Shipping, Shipping v2 (L1, L2), over real HTTP against the emulator.

Every exchange is checked against ``shippingV2.json`` (bodies and header parameters) at teardown.
"""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from marketbridge.adapters import LabelRequest, Money, NoticeLine, Parcel
from marketbridge.errors import DeliveryRejected, RateLimited, TemporaryFailure
from marketbridge.testing import ContractError

from marketbridge_amazon.emulator import OrderGenerator
from marketbridge_amazon.labels import business_id

FR = "A13V1IB3VIYZZH"
SHIP_FROM = {"name": "Marketbridge Lager", "line1": "Lagerweg 5", "line2": "", "city": "Leipzig",
             "postal_code": "04109", "region": "Sachsen", "country_code": "DE", "phone": "+49 341 123456",
             "email": "lager@example.com"}
LATE = "This service cannot deliver by the date promised to the buyer; choose a faster one."


@pytest.fixture
def prime_order(emulator, generator, clock):
    created = clock.now() - timedelta(hours=1)
    return emulator.add_order(generator.order(created, afn=False, pickup=False, prime=True, multi_line=True,
                                              status_events=[(created, "UNSHIPPED")]))


def label_request(order, clock, **changes):
    values = dict(marketplace_order_id=order.order_id,
                  lines=tuple(NoticeLine(i.order_item_id, i.quantity) for i in order.items),
                  parcel=Parcel(1250, Decimal("30"), Decimal("20.5"), Decimal("10")), ship_from=SHIP_FROM,
                  value=Money(order.grand_total(), "EUR"), ship_date=clock.now())
    values.update(changes)
    return LabelRequest(**values)


def rate(quote, service):
    return next(r for r in quote.rates if r.service == service)


def test_rates_of_a_prime_order_refuse_the_late_service_with_a_plain_reason(channel, emulator, prime_order, clock):
    """L1: a service that cannot meet the delivery promise is shown refused, with why."""
    assert "PRIME" in prime_order.programs
    quote = channel.label_rates(label_request(prime_order, clock))

    assert quote.expires_at == clock.now() + timedelta(minutes=10)
    assert quote.token == emulator.calls("POST", "/shipping/v2/shipments/rates")[0].response_json()[
        "payload"]["requestToken"]
    eligible = {r.service: r for r in quote.rates if r.eligible}
    assert set(eligible) == {"DHL Paket", "DHL Express", "UPS Standard", "UPS Express Saver"}
    paket = eligible["DHL Paket"]
    assert (paket.carrier, paket.price) == ("DHL", Money(Decimal("4.99"), "EUR"))
    assert paket.delivery_by == clock.now().replace(microsecond=0) + timedelta(days=2, hours=12)
    assert paket.reason is None
    refused = [r for r in quote.rates if not r.eligible]
    assert len(refused) == 1
    assert (refused[0].carrier, refused[0].service, refused[0].price) == ("Deutsche Post", "Warenpost", None)
    assert refused[0].reason == LATE
    assert all(r.delivery_by <= prime_order.latest_delivery() for r in eligible.values())


def test_rates_request_is_one_package_for_the_amazon_order(channel, emulator, prime_order, clock):
    """What goes to getRates: the Amazon order, one package with every line, no shipTo, no business id for DE."""
    channel.label_rates(label_request(prime_order, clock))
    call = emulator.calls("POST", "/shipping/v2/shipments/rates")[0]
    body = call.json()
    assert body["channelDetails"] == {"channelType": "AMAZON", "amazonOrderDetails": {"orderId": prime_order.order_id}}
    assert "shipTo" not in body
    assert body["shipDate"] == clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["shipFrom"] == {"name": "Marketbridge Lager", "addressLine1": "Lagerweg 5", "city": "Leipzig",
                                "postalCode": "04109", "stateOrRegion": "Sachsen", "countryCode": "DE",
                                "phoneNumber": "+49 341 123456", "email": "lager@example.com"}
    assert len(body["packages"]) == 1  # L2: never more than one package on this route
    package = body["packages"][0]
    assert package["dimensions"] == {"length": 30.0, "width": 20.5, "height": 10.0, "unit": "CENTIMETER"}
    assert package["weight"] == {"value": 1250, "unit": "GRAM"}
    assert package["insuredValue"] == {"value": float(prime_order.grand_total()), "unit": "EUR"}
    assert package["packageClientReferenceId"] == f"{prime_order.order_id}-1"
    assert package["items"] == [{"quantity": i.quantity, "itemIdentifier": i.order_item_id}
                                for i in prime_order.items]
    assert len(package["items"]) == 3
    assert "x-amzn-shipping-business-id" not in {k.lower() for k in call.headers}


def test_the_marketplace_country_picks_the_shipping_business(make_channel, emulator, clock):
    order = emulator.add_order(OrderGenerator("A3EMULATORSELLER", FR, seed=3).order(
        clock.now() - timedelta(hours=1), afn=False, pickup=False, status_events=[(clock.now() - timedelta(hours=1),
                                                                                   "UNSHIPPED")]))
    make_channel(marketplace=FR).label_rates(label_request(order, clock))
    call = emulator.calls("POST", "/shipping/v2/shipments/rates")[0]
    assert {k.lower(): v for k, v in call.headers.items()}["x-amzn-shipping-business-id"] == "AmazonShipping_FR"
    assert [business_id(c) for c in ("GB", "US", "JP", "DE", "NL")] == [
        "AmazonShipping_UK", "AmazonShipping_US", "AmazonShipping_JP", None, None]


def test_buying_a_label_ships_the_order_at_once(channel, emulator, prime_order, clock):
    """L2: the purchase itself tells Amazon; no confirmShipment is sent."""
    quote = channel.label_rates(label_request(prime_order, clock))
    label = channel.buy_label(quote.token, rate(quote, "DHL Paket").rate_id, "label-key-1")

    bought = emulator.label_purchases
    assert len(bought) == 1
    assert (label.label_id, label.tracking_number) == (bought[0]["shipmentId"], bought[0]["trackingId"])
    assert label.tracking_number.startswith("DHL")
    assert (label.carrier, label.service, label.carrier_code) == ("DHL", "DHL Paket", "DHL")
    assert label.price == Money(Decimal("4.99"), "EUR")
    assert label.media_type == "application/pdf"
    assert label.document.startswith(b"%PDF") and label.document.rstrip().endswith(b"%%EOF")
    assert label.tracking_number.encode() in label.document

    call = emulator.calls("POST", "/shipping/v2/shipments")[-1]
    assert call.json() == {"requestToken": quote.token, "rateId": rate(quote, "DHL Paket").rate_id,
                           "requestedDocumentSpecification": {
                               "format": "PDF", "size": {"width": 4, "length": 6, "unit": "INCH"},
                               "needFileJoining": False, "requestedDocumentTypes": ["LABEL"]}}
    assert {k.lower(): v for k, v in call.headers.items()}["x-amzn-idempotencykey"] == "label-key-1"

    assert prime_order.status_at(clock.now()) == "SHIPPED"
    page = channel.refresh_orders([prime_order.order_id])  # getOrder over HTTP, as the engine reads it
    assert page.orders[0]["status"] == "shipped"
    assert not emulator.calls("POST", "/shipmentConfirmation") and not emulator.confirmations


def test_the_same_key_returns_the_same_label_and_buys_once(channel, emulator, prime_order, clock):
    quote = channel.label_rates(label_request(prime_order, clock))
    rate_id = rate(quote, "UPS Express Saver").rate_id
    first = channel.buy_label(quote.token, rate_id, "order-42-label")
    again = channel.buy_label(quote.token, rate_id, "order-42-label")  # a retry after a crash or a timeout
    assert again == first
    assert (first.carrier, first.service, first.carrier_code) == ("UPS", "UPS Express Saver", "UPS")
    assert len(emulator.calls("POST", "/shipping/v2/shipments")) - 1 == 2  # two purchase calls (plus getRates)
    assert len(emulator.label_purchases) == 1

    with pytest.raises(DeliveryRejected) as caught:  # another key: a second label, which Amazon refuses
        channel.buy_label(quote.token, rate_id, "another-key")
    assert caught.value.code == "label_refused"
    assert caught.value.message == ("Amazon refused to sell this label: InvalidRequest: Request is missing or has "
                                    "invalid parameters (The order is SHIPPED and cannot be shipped)")
    assert len(emulator.label_purchases) == 1


def test_an_expired_quote_asks_for_new_rates(channel, emulator, prime_order, clock):
    quote = channel.label_rates(label_request(prime_order, clock))
    clock.advance(minutes=11)
    with pytest.raises(DeliveryRejected) as caught:
        channel.buy_label(quote.token, rate(quote, "DHL Paket").rate_id, "key-expired")
    assert caught.value.code == "label_quote_expired"
    assert caught.value.message == "The rates have expired (Amazon keeps them 10 minutes); ask for rates again."
    assert emulator.calls("POST", "/shipping/v2/shipments")[-1].response_json()["errors"][0]["code"] == "TOKEN_EXPIRED"
    assert not emulator.label_purchases and prime_order.status_at(clock.now()) == "UNSHIPPED"
    fresh = channel.label_rates(label_request(prime_order, clock))
    assert channel.buy_label(fresh.token, rate(fresh, "DHL Paket").rate_id, "key-expired-2").tracking_number


def test_server_errors_are_temporary_and_the_retry_buys_once(channel, emulator, prime_order, clock):
    emulator.fail("/shipping/v2/shipments/rates$", status=503)
    with pytest.raises(TemporaryFailure) as caught:
        channel.label_rates(label_request(prime_order, clock))
    assert caught.value.params["status"] == 503
    quote = channel.label_rates(label_request(prime_order, clock))
    emulator.fail("/shipping/v2/shipments$", status=503)
    with pytest.raises(TemporaryFailure):
        channel.buy_label(quote.token, rate(quote, "DHL Express").rate_id, "key-503")
    assert not emulator.label_purchases
    label = channel.buy_label(quote.token, rate(quote, "DHL Express").rate_id, "key-503")
    assert label.service == "DHL Express" and len(emulator.label_purchases) == 1


def test_throttling_is_rate_limited(channel, emulator, prime_order, clock):
    emulator.throttle("/shipping/v2/shipments/rates$", operation="getRates")
    with pytest.raises(RateLimited) as caught:
        channel.label_rates(label_request(prime_order, clock))
    assert caught.value.operation == "getRates" and caught.value.retry_after > 0


def test_amazon_fulfilled_connections_buy_no_labels(make_channel, emulator, prime_order, clock):
    channel = make_channel(fulfilment_channel="marketplace")
    assert channel.buys_labels is True
    with pytest.raises(DeliveryRejected) as caught:
        channel.label_rates(label_request(prime_order, clock))
    assert caught.value.code == "labels_not_offered" and "merchant-fulfilled orders only" in caught.value.message
    with pytest.raises(DeliveryRejected):
        channel.buy_label("token", "rate", "key")
    assert not emulator.calls(path="/shipping/")


def test_refused_rates_and_incomplete_requests_never_reach_amazon(channel, emulator, prime_order, clock):
    quote = channel.label_rates(label_request(prime_order, clock))
    late = next(r for r in quote.rates if not r.eligible)
    with pytest.raises(DeliveryRejected) as caught:
        channel.buy_label(quote.token, late.rate_id, "key-late")
    assert caught.value.code == "label_rate_ineligible"
    with pytest.raises(DeliveryRejected) as caught:
        channel.label_rates(label_request(prime_order, clock, ship_from={**SHIP_FROM, "region": ""}))
    assert caught.value.code == "label_address_incomplete" and "state or region" in caught.value.message
    with pytest.raises(DeliveryRejected) as caught:
        channel.label_rates(label_request(prime_order, clock, parcel=Parcel(0, Decimal(1), Decimal(1), Decimal(1))))
    assert caught.value.code == "label_parcel_incomplete"
    assert len(emulator.calls(path="/shipping/")) == 1


def test_amazons_refusal_of_rates_is_shown(channel, emulator, prime_order, clock):
    afn = emulator.add_order(OrderGenerator("A3EMULATORSELLER", seed=9).order(
        clock.now() - timedelta(hours=1), afn=True, status_events=[(clock.now() - timedelta(hours=1), "UNSHIPPED")]))
    with pytest.raises(DeliveryRejected) as caught:
        channel.label_rates(label_request(afn, clock))
    assert caught.value.code == "label_rates_refused"
    assert "Buy Shipping is only available for seller-fulfilled orders" in caught.value.message


def test_the_contract_check_covers_shipping_bodies_and_headers(channel, emulator, prime_order, clock, traffic_check):
    quote = channel.label_rates(label_request(prime_order, clock))
    channel.buy_label(quote.token, rate(quote, "DHL Paket").rate_id, "key-contract")
    assert traffic_check(emulator) >= 2
    rates_call = emulator.calls("POST", "/shipping/v2/shipments/rates")[0]
    body = rates_call.response_json()
    del body["payload"]["rates"][0]["promise"]
    rates_call.response_body = json.dumps(body).encode()
    with pytest.raises(ContractError, match="promise"):
        traffic_check(emulator)
    rates_call.response_body = json.dumps({"payload": {**body["payload"], "rates": []}}).encode()
    rates_call.headers["x-amzn-shipping-business-id"] = "AmazonShipping_DE"
    with pytest.raises(ContractError, match="x-amzn-shipping-business-id"):
        traffic_check(emulator)
    emulator.log.clear()
