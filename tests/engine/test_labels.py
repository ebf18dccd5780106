"""Shipping labels from the marketplace (L1, L2): rates with refusals, one purchase, the marketplace told at once.

The example marketplace promises Prime buyers delivery within two days of
the order and others within five; its "Paket" service takes three days,
"Express" one.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketbridge.adapters import Money, Parcel
from marketbridge.engine import labels
from marketbridge.errors import DeliveryRejected, TemporaryFailure
from marketbridge.jobs import work
from marketbridge.models import Order, OrderEvent, OutboxMessage, ShippingLabel, db
from marketbridge.testing import Fault
from marketbridge.testing.crash import SimulatedCrash, crash_at

PARCEL = Parcel(weight_grams=1200, length_cm=Decimal("30"), width_cm=Decimal("20"), height_cm=Decimal("10"))
WAREHOUSE = {"name": "Lager Nord", "line1": "Lagerweg 1", "city": "Hamburg", "postal_code": "20095",
             "country_code": "DE"}


def imported(loop, **order) -> Order:
    oid = loop.marketplace.add_order(**order)
    loop.clock.advance(minutes=2)  # the connection's next fetch is due
    work.connection_cycle(loop.host, loop.connection_id)
    return db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()


def rates_of(loop, order: Order) -> dict:
    quote = labels.quote(loop.host, order, PARCEL, WAREHOUSE)
    return quote, {rate.service: rate for rate in quote.rates}


def buy(loop, order: Order, quote, service: str):
    rate = next(r for r in quote.rates if r.service == service)
    return labels.buy(loop.host, order, quote.token, rate.rate_id)


def test_a_service_too_slow_for_the_prime_promise_is_refused_with_its_reason(loop):
    """L1: rates come back with the refused ones and why; a refused one cannot be bought."""
    order = imported(loop, prime=True, skus=[("MB-KETTLE", 1), ("MB-CANDLE", 2)])
    quote, rates = rates_of(loop, order)
    assert (rates["Express"].eligible, rates["Express"].price) == (True, Money(Decimal("12.90"), "EUR"))
    assert rates["Paket"].eligible is False
    assert rates["Paket"].reason == ("This service arrives after the delivery date promised to the buyer; "
                                     "choose a faster one.")
    with pytest.raises(DeliveryRejected) as refused:
        buy(loop, order, quote, "Paket")
    assert "not available" in refused.value.message
    assert db.session.execute(sa.select(ShippingLabel)).first() is None
    assert db.session.execute(sa.select(OutboxMessage.state).filter_by(kind="label")).scalar_one() == "failed"


def test_buying_a_label_tells_the_marketplace_at_once_and_the_shop_shipment_is_not_sent_again(loop):
    """L2: the purchase is the shipment notice; the order is shipped; the shop's later shipment is not re-sent."""
    order = imported(loop, skus=[("MB-KETTLE", 1), ("MB-CANDLE", 2)])
    quote, _ = rates_of(loop, order)
    label = buy(loop, order, quote, "Paket")
    assert label.document.startswith(b"%PDF") and label.carrier == "DHL" and label.service == "Paket"
    [shipment] = loop.marketplace.shipments
    assert shipment["via_label"] and shipment["tracking"] == label.tracking_number
    assert shipment["lines"] == [{"item": f"{order.marketplace_order_id}-1", "qty": 1},
                                 {"item": f"{order.marketplace_order_id}-2", "qty": 2}]
    db.session.refresh(order)
    assert [line.quantity_shipped for line in order.lines] == [1, 2] and order.shipped_at is not None
    kinds = db.session.execute(sa.select(OrderEvent.kind).filter_by(order_id=order.id)).scalars().all()
    assert "label_bought" in kinds

    loop.shop.ship(order.shop_order_id, label.tracking_number, carrier="DHL")  # the merchant records it in the shop
    work.shop_cycle(loop.host, loop.connection.shop_id)
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert len(loop.marketplace.shipments) == 1, "no second shipment notice"
    [skipped] = db.session.execute(sa.select(OutboxMessage).filter_by(kind="shipment")).scalars().all()
    assert skipped.state == "superseded"
    with pytest.raises(labels.LabelRefused, match="already bought"):
        rates_of(loop, order)


@pytest.mark.parametrize("point", ["labels.before_purchase", "labels.after_purchase", "labels.before_commit"])
def test_a_crash_around_the_purchase_never_buys_a_second_label(loop, point):
    order = imported(loop)
    quote, _ = rates_of(loop, order)
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        buy(loop, order, quote, "Express")
    assert fired == [point]
    db.session.rollback()
    order = db.session.get(Order, order.id)
    label = buy(loop, order, quote, "Express")  # the merchant clicks again: the open attempt is resumed
    assert len(loop.marketplace.labels) == 1 and len(loop.marketplace.shipments) == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(ShippingLabel)).scalar_one() == 1
    assert label.tracking_number == loop.marketplace.shipments[0]["tracking"]


@pytest.mark.parametrize("fault", [
    Fault(kind="after", status=503, method="POST", path=r"^/labels$"),  # sold, then the gateway failed
    Fault(kind="malformed", method="POST", path=r"^/labels$"),  # sold, answer garbled
], ids=["sold-then-503", "sold-then-garbled"])
def test_a_lost_answer_keeps_the_attempt_open_and_the_retry_resumes_it(loop, fault):
    order = imported(loop)
    quote, _ = rates_of(loop, order)
    loop.marketplace.faults.add(fault)
    with pytest.raises(TemporaryFailure):
        buy(loop, order, quote, "Express")  # sold, but the answer was lost
    attempt = db.session.execute(sa.select(OutboxMessage).filter_by(kind="label")).scalar_one()
    assert attempt.state == "sending"
    label = buy(loop, order, quote, "Express")
    assert len(loop.marketplace.labels) == 1 and len(loop.marketplace.shipments) == 1
    assert label.tracking_number == loop.marketplace.shipments[0]["tracking"]


def test_a_garbled_rates_answer_is_a_temporary_failure_and_stores_nothing(loop):
    order = imported(loop)
    loop.marketplace.faults.add(Fault(kind="malformed", method="POST", path=r"^/labels/rates$"))
    with pytest.raises(TemporaryFailure):
        rates_of(loop, order)
    assert db.session.execute(sa.select(OutboxMessage).filter_by(kind="label")).first() is None
    quote, rates = rates_of(loop, order)  # asked again, it works
    assert rates["Express"].eligible


def test_expired_rates_are_refused_and_fresh_ones_can_be_bought(loop):
    order = imported(loop)
    quote, _ = rates_of(loop, order)
    loop.clock.advance(minutes=11)
    with pytest.raises(DeliveryRejected, match="expired"):
        buy(loop, order, quote, "Express")
    fresh, _ = rates_of(loop, order)
    label = buy(loop, order, fresh, "Express")
    keys = db.session.execute(sa.select(OutboxMessage.idempotency_key, OutboxMessage.state)
                              .filter_by(kind="label").order_by(OutboxMessage.id)).all()
    assert [state for _, state in keys] == ["failed", "delivered"] and keys[0][0] != keys[1][0]
    assert label.tracking_number


def test_labels_are_not_offered_for_pickup_test_or_unimported_orders(loop):
    pickup = imported(loop)
    pickup.pickup = True
    test = imported(loop)
    test.is_test = True
    waiting = imported(loop, state="pending")
    db.session.commit()
    assert "collected in the store" in labels.refusal(loop.host, pickup)
    assert "Test orders" in labels.refusal(loop.host, test)
    assert "open orders that are in the shop" in labels.refusal(loop.host, waiting)
    loop.connection.fulfilment_channel = "marketplace"
    db.session.commit()
    assert labels.offered(loop.host, imported(loop)) is False


def test_the_printed_label_is_erased_with_the_buyers_other_personal_data(loop):
    """D1: the label document shows the buyer's address; it goes with the retention period, the tracking stays."""
    from marketbridge.jobs import housekeeping

    order = imported(loop)
    quote, _ = rates_of(loop, order)
    label = buy(loop, order, quote, "Express")
    loop.clock.advance(days=29)
    assert housekeeping.purge_personal_data(loop.host, 30) == 0
    loop.clock.advance(days=2)
    assert housekeeping.purge_personal_data(loop.host, 30) == 1
    db.session.refresh(label)
    assert label.document is None and label.tracking_number and label.carrier == "DHL"
