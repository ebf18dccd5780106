"""Order lists (filters, pages) and the order page: holds, history, personal data, retry/hold/release."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketbridge.jobs import work
from marketbridge.models import Order, OrderState, db
from marketbridge.web.orders import PER_PAGE


def make_orders(loop, prefix: str, count: int, **flags) -> None:
    now = loop.clock.now()
    for i in range(count):
        oid = f"{prefix}-{i:04d}"
        db.session.add(Order(connection_id=loop.connection_id, marketplace="example_channel", marketplace_order_id=oid,
                             order_key=f"example_channel:{oid}", received_at=now, changed_at=now,
                             purchased_at=now - timedelta(minutes=i), holds=[], tags=[], **flags))
    db.session.commit()


def numbers(page) -> list[str]:
    return [a.text for a in page.html.select("table.orders tbody td:first-child a")]


def test_filters_and_pages_in_sql(web, loop):
    make_orders(loop, "PLAIN", PER_PAGE + 5, state=OrderState.CREATED)
    make_orders(loop, "PRIME", 3, state=OrderState.HELD, prime=True)
    make_orders(loop, "PICKUP", 2, state=OrderState.CREATED, pickup=True, is_test=True)
    first = web.get("/orders")
    assert len(numbers(first)) == PER_PAGE and f"{PER_PAGE + 10} orders" in first.text
    second = first.click(linkid=None, href="page=2")
    assert len(numbers(second)) == 10
    assert not set(numbers(first)) & set(numbers(second))
    prime = web.get("/orders", {"prime": "yes"})
    assert sorted(numbers(prime)) == [f"PRIME-{i:04d}" for i in range(3)]
    held = web.get(f"/connections/{loop.connection_id}/orders", {"held": "yes"})
    assert len(numbers(held)) == 3
    assert len(numbers(web.get("/orders", {"pickup": "yes", "test": "yes"}))) == 2
    assert len(numbers(web.get("/orders", {"state": "held", "prime": "no"}))) == 0
    assert numbers(web.get("/orders", {"q": "PRIME-0002"})) == ["PRIME-0002"]
    kept = web.get("/orders", {"held": "no", "page": "2"})
    assert "held=no" in kept.html.find("a", rel="prev")["href"], "pages keep the filters"
    assert web.get("/orders", {"state": "nonsense"}).status_int == 200


def test_held_order_page_explains_and_retries(web, loop):
    oid = loop.marketplace.add_order(skus=[("MB-UNKNOWN", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    page = web.get(f"/orders/{order.id}")
    holds = page.html.find("section", class_="holds").text
    assert "No shop product has SKU \u201cMB-UNKNOWN\u201d" in holds
    assert "Anna Schmidt" in page.text, "personal data shown while kept"
    assert "Received from the marketplace" in page.text and "Held:" in page.text, "the whole history"
    loop.shop.products["99"] = {"id": "99", "sku": "MB-UNKNOWN", "ean": "1", "name": "New", "weight": "1",
                                "stock": 5, "active": True}
    done = page.forms["retry"].submit().follow()
    assert "The order is checked again now." in done.text
    db.session.expire_all()
    assert order.state == OrderState.CREATED, "retried at once instead of after the hold period"
    assert order.shop_order_number and order.shop_order_number in done.text


def test_hold_and_release(web, loop):
    oid = loop.marketplace.add_order(state="pending")
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    order_id = order.id
    assert order.state == OrderState.WAITING
    held = web.get(f"/orders/{order.id}").forms["hold"].submit().follow()
    assert "You are holding this order" in held.text
    db.session.expire_all()
    order = db.session.get(Order, order_id)  # the engine detaches the rows it processed
    assert order.held_by_merchant and order.state == OrderState.HELD
    loop.marketplace.orders[oid]["state"] = "paid"
    loop.clock.advance(minutes=10)
    work.connection_cycle(loop.host, loop.connection_id)
    db.session.expire_all()
    order = db.session.get(Order, order_id)  # the engine detaches the rows it processed
    assert order.state == OrderState.HELD, "a merchant hold keeps the order out of the shop"
    assert "retry" not in held.forms
    held.forms["release"].submit().follow()
    db.session.expire_all()
    order = db.session.get(Order, order_id)  # the engine detaches the rows it processed
    assert not order.held_by_merchant and order.state == OrderState.WAITING, "checked again at once"
    work.connection_cycle(loop.host, loop.connection_id)
    db.session.expire_all()
    order = db.session.get(Order, order_id)  # the engine detaches the rows it processed
    assert order.state == OrderState.CREATED
    history = web.get(f"/orders/{order.id}").html.find("ol", class_="history").text
    assert "Held by the merchant." in history and "Released by the merchant." in history
    assert web.post(f"/orders/{order.id}/hold", {"csrf_token": held.forms["language-menu"]["csrf_token"].value},
                    expect_errors=True).follow().status_int == 200
    db.session.expire_all()
    order = db.session.get(Order, order_id)  # the engine detaches the rows it processed
    assert not order.held_by_merchant, "an order already in the shop cannot be held"


def test_purged_personal_data_is_not_shown(web, loop):
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    order.personal_data_purged_at = loop.clock.now()
    db.session.commit()
    page = web.get(f"/orders/{order.id}")
    assert "Anna Schmidt" not in page.text and "Hauptstr" not in page.text
    assert "Personal data was erased" in page.text
