"""Price sync (P2): the shop's price, through the connection's selling policy, with the stock to the marketplace.

The example shop reports each product's gross price with its stock; the
example marketplace declares ``syncs_prices`` and keeps the offer prices it
accepted.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from marketbridge.engine import outbox, stock
from marketbridge.engine.stock import queue_stock
from marketbridge.models import Listing, OutboxMessage, SyncProblem, db
from marketbridge.order.model import Money
from marketbridge.pricing import CurrencyMismatch, NotPositive, SellingPolicy

EUR = "EUR"
SELLING = {"price_sync": True, "price_percent": "10", "price_fixed": "1.50", "price_ending": "99",
           "price_currency": EUR}


def listing(loop: Any, sku: str, store_code: str = "") -> Listing:
    row = Listing(connection_id=loop.connection_id, sku=sku, product_id=loop.shop.product_by_sku(sku)["id"],
                  store_code=store_code)
    db.session.add(row)
    db.session.commit()
    return row


def sync(loop: Any) -> None:
    """One stock poll of the shop and one delivery, as the scheduler runs them."""
    stock.poll_stock(loop.host, loop.connection.shop_id, force=True)
    outbox.deliver(loop.host, loop.connection_id)


def sent(loop: Any) -> list[dict[str, Any]]:
    return [item for call in loop.marketplace.stock_calls for item in call]


@pytest.mark.parametrize(("settings", "shop_price", "offered"), [
    ({}, "19.90", "19.90"),
    ({"price_percent": "10"}, "19.90", "21.89"),
    ({"price_percent": "10", "price_fixed": "1.50", "price_ending": "99"}, "19.90", "23.99"),
    ({"price_ending": "99"}, "23.99", "23.99"),  # already ending so: kept, never raised a whole unit
    ({"price_ending": "95"}, "24.96", "25.95"),
    ({"price_ending": "00"}, "23.01", "24.00"),
    ({"price_percent": "-5"}, "10.00", "9.50"),
    ({"price_percent": "-50", "price_minimum": "10"}, "12.00", "10.00"),
    ({"price_percent": "not a number", "price_ending": "42"}, "12.34", "12.34"),  # unreadable: no adjustment
])
def test_selling_policy_adjusts_then_rounds_up_then_floors(settings, shop_price, offered):
    policy = SellingPolicy.from_settings({"price_sync": True, **settings})
    assert policy.offer(Money(Decimal(shop_price), EUR)) == Money(Decimal(offered), EUR)


@pytest.mark.parametrize(("settings", "shop_price"), [
    ({}, "0.00"),  # a mistyped shop price
    ({"price_fixed": "-30"}, "12.00"),  # an adjustment that eats the whole price
    ({"price_percent": "-90", "price_fixed": "-1.20"}, "12.00"),
])
def test_an_offer_of_zero_or_less_is_refused_never_sent(settings, shop_price):
    with pytest.raises(NotPositive) as refused:
        SellingPolicy.from_settings({"price_sync": True, **settings}).offer(Money(Decimal(shop_price), EUR))
    assert refused.value.code == "price_not_positive" and refused.value.params["shop_price"] == f"{shop_price} EUR"


def test_a_price_in_another_currency_is_refused_not_converted():
    with pytest.raises(CurrencyMismatch) as refused:
        SellingPolicy.from_settings(SELLING).offer(Money(Decimal("10"), "CHF"))
    assert refused.value.params == {"shop_currency": "CHF", "currency": EUR}


def test_prices_are_not_sent_unless_the_merchant_switches_price_sync_on(loop):
    listing(loop, "MB-MUG-BLUE")
    sync(loop)
    assert sent(loop) == [{"sku": "MB-MUG-BLUE", "quantity": loop.shop.product_by_sku("MB-MUG-BLUE")["stock"]}]
    assert loop.marketplace.prices == {}


def test_the_adjusted_price_goes_with_the_stock_and_only_changes_are_sent_again(loop):
    loop.connection.settings = dict(SELLING)
    db.session.commit()
    row = listing(loop, "MB-MUG-BLUE")
    loop.shop.set_price("MB-MUG-BLUE", "19.90")
    sync(loop)
    quantity = loop.shop.product_by_sku("MB-MUG-BLUE")["stock"]
    assert sent(loop) == [{"sku": "MB-MUG-BLUE", "quantity": quantity, "price": {"amount": "23.99", "currency": EUR}}]
    db.session.refresh(row)
    assert (row.last_sent_quantity, row.last_sent_price) == (quantity, Decimal("23.99"))

    loop.shop.set_price("MB-MUG-BLUE", "19.95")  # the same offer after rounding: nothing to send
    loop.shop.set_stock("MB-MUG-BLUE", quantity)
    sync(loop)
    assert len(loop.marketplace.stock_calls) == 1

    loop.shop.set_price("MB-MUG-BLUE", "24.90")  # a price change alone: one update, same quantity
    sync(loop)
    assert sent(loop)[-1] == {"sku": "MB-MUG-BLUE", "quantity": quantity,
                              "price": {"amount": "28.99", "currency": EUR}}
    loop.shop.set_stock("MB-MUG-BLUE", quantity - 1)  # a stock change alone: the price is not repeated
    sync(loop)
    assert sent(loop)[-1] == {"sku": "MB-MUG-BLUE", "quantity": quantity - 1}
    assert loop.marketplace.prices == {"MB-MUG-BLUE": {"amount": "28.99", "currency": EUR}}


def test_a_price_never_goes_to_a_pickup_store_listing(loop):
    loop.connection.settings = dict(SELLING)
    db.session.commit()
    listing(loop, "MB-CANDLE")
    listing(loop, "MB-CANDLE", store_code="berlin-mitte")
    sync(loop)
    by_store = {item.get("store"): item for item in sent(loop)}
    assert "price" in by_store[None] and "price" not in by_store["berlin-mitte"]


def test_a_shop_price_in_another_currency_is_a_problem_and_the_stock_still_goes(loop):
    loop.connection.settings = {**SELLING, "price_currency": "GBP"}
    db.session.commit()
    row = listing(loop, "MB-KETTLE")
    sync(loop)
    assert sent(loop) == [{"sku": "MB-KETTLE", "quantity": loop.shop.product_by_sku("MB-KETTLE")["stock"]}]
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="price_currency")).scalar_one()
    assert problem.subject == "MB-KETTLE" and problem.params == {"sku": "MB-KETTLE", "shop_currency": EUR,
                                                                  "currency": "GBP"}
    loop.connection.settings = dict(SELLING)  # the merchant fixes it; the next read sends the price
    stock.read_all_listings_soon(loop.connection.shop_id)
    db.session.commit()
    sync(loop)
    assert "price" in sent(loop)[-1]
    db.session.refresh(problem)
    db.session.refresh(row)
    assert problem.resolved_at is not None and row.last_sent_price is not None


def test_a_shop_price_of_zero_is_a_problem_and_only_the_stock_goes(loop):
    """Bad input from the shop (a price of 0) never becomes a free offer; fixed, the price goes out."""
    loop.connection.settings = dict(SELLING)
    db.session.commit()
    row = listing(loop, "MB-CANDLE")
    loop.shop.set_price("MB-CANDLE", "0.00")
    sync(loop)
    assert sent(loop) == [{"sku": "MB-CANDLE", "quantity": loop.shop.product_by_sku("MB-CANDLE")["stock"]}]
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="price_not_positive")).scalar_one()
    assert problem.subject == "MB-CANDLE"
    assert problem.params == {"sku": "MB-CANDLE", "shop_price": "0.00 EUR", "offer": "0.00 EUR"}
    loop.shop.set_price("MB-CANDLE", "10.00")
    sync(loop)
    assert sent(loop)[-1]["price"] == {"amount": "12.99", "currency": EUR}  # 10 × 1.1 + 1.50 = 12.50 → .99
    db.session.refresh(problem)
    db.session.refresh(row)
    assert problem.resolved_at is not None and row.last_sent_price == Decimal("12.99")


def test_a_refused_price_is_a_problem_and_is_not_remembered_as_sent(loop):
    loop.connection.settings = dict(SELLING)
    db.session.commit()
    row = listing(loop, "MB-MUG-RED")
    loop.shop.set_price("MB-MUG-RED", "9.00")
    sync(loop)
    db.session.refresh(row)
    assert row.last_sent_price == Decimal("11.99")  # 9 × 1.1 + 1.50 = 11.40 → .99
    message = OutboxMessage(connection_id=loop.connection_id, kind="stock", coalesce_key="x", idempotency_key="bad",
                            payload={"sku": "MB-MUG-RED", "quantity": 3, "store_code": "",
                                     "price": {"amount": "5.00", "currency": "USD"}},
                            state="pending", attempts=0, next_attempt_at=loop.clock.now(),
                            created_at=loop.clock.now())
    db.session.add(message)
    db.session.commit()
    outbox.deliver(loop.host, loop.connection_id)
    db.session.refresh(row)
    assert row.last_sent_price == Decimal("11.99"), "only an accepted price counts as sent"
    assert db.session.execute(sa.select(SyncProblem.subject).filter_by(code="stock_rejected")).scalar_one() \
        == "MB-MUG-RED"


def test_a_waiting_update_takes_the_newest_price_and_drops_it_once_it_is_the_sent_one(loop):
    row = listing(loop, "MB-BOOK-COOK")
    row.last_sent_quantity, row.last_sent_price = 5, Decimal("20.00")
    db.session.commit()
    now = loop.clock.now()
    assert queue_stock(now, row, 5, price=Money(Decimal("21.00"), EUR))
    assert not queue_stock(now, row, 5, price=Money(Decimal("21.00"), EUR)), "the same offer: no change"
    assert queue_stock(now, row, 6), "a quantity without a price keeps the waiting price"
    db.session.commit()
    [pending] = db.session.execute(sa.select(OutboxMessage).filter_by(state="pending")).scalars().all()
    assert pending.payload["quantity"] == 6 and pending.payload["price"] == {"amount": "21.00", "currency": EUR}
    assert queue_stock(now, row, 5, price=Money(Decimal("20.00"), EUR))
    db.session.commit()
    db.session.refresh(pending)
    assert pending.state == "superseded", "back to what the marketplace has: nothing left to send"
