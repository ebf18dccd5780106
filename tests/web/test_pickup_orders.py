"""The Click & Collect overview (K5, K6), partial pickups and the order page's marketplace actions (S5).

Without JavaScript every change goes through a confirmation page (the same
endpoint without ``confirm=yes``); test_pickup_dialog covers the dialog.
"""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.engine import stores
from marketbridge.jobs import work
from marketbridge.models import Order, OrderState, OutboxMessage, Store, db


def order_row(oid: str) -> Order:
    db.session.expire_all()
    return db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()


def cycle(loop) -> None:
    """Fetch and import now (the connection polls at most once a minute)."""
    loop.clock.advance(minutes=2)
    work.connection_cycle(loop.host, loop.connection_id)


def pickup_orders(loop, count: int = 1, *, store_code: str = "BERLIN-01", skus=(("MB-MUG-BLUE", 1),)) -> list[str]:
    """Place ``count`` orders, import them, and make them pickup orders of ``store_code``."""
    ids = [loop.marketplace.add_order(skus=skus) for _ in range(count)]
    cycle(loop)
    for oid in ids:
        order = order_row(oid)
        order.pickup = True
        order.payload = {**order.payload, "pickup_store_code": store_code,
                         "flags": {**order.payload.get("flags", {}), "pickup": True}}
        db.session.commit()
    return ids


def add_store(loop, code: str = "BERLIN-01", name: str = "Berlin Mitte", **fields) -> Store:
    store = Store(connection_id=loop.connection_id, code=code, name=name, address={}, opening_hours={}, **fields)
    db.session.add(store)
    db.session.commit()
    return store


def rows(page) -> list[str]:
    return [tr["data-label"] for tr in page.html.select("tr[data-order-row]")]


def sent(loop) -> list[tuple[str, str]]:
    return [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls]


def test_bulk_change_is_confirmed_then_sent_with_results_per_order(web, loop):
    add_store(loop)
    first, second, test_order = pickup_orders(loop, 3)
    plain = loop.marketplace.add_order()
    cycle(loop)
    assert order_row(plain).state == OrderState.CREATED
    order_row(test_order).is_test = True
    db.session.commit()
    page = web.get("/pickup/")
    assert sorted(rows(page)) == sorted([first, second, test_order]) and plain not in page.text
    assert "Berlin Mitte" in page.html.find("tr", attrs={"data-label": first}).text
    form = page.forms["pickup-orders"]
    for box in form.fields["order"]:
        box.checked = True
    form["bulk_status"] = "ready_for_pickup"
    confirm = form.submit("bulk")
    assert confirm.status_int == 200 and "Confirm the change" in confirm.text
    assert "Send \u201cReady for pickup\u201d to the marketplace for these 3 orders?" in confirm.text
    assert sent(loop) == [], "nothing is sent before the confirmation"
    results = confirm.forms["confirm-form"].submit()
    table = results.html.find(id="pickup-results")
    by_order = {tr["data-order"]: tr for tr in table.select("tbody tr")}
    assert "2 of 3 orders done." in results.text
    assert "is being sent to the marketplace" in by_order[first].text
    assert "test order" in by_order[test_order].text and "Not sent" in by_order[test_order].text
    assert sorted(sent(loop)) == sorted([(first, "ready_for_pickup"), (second, "ready_for_pickup")])
    assert "sent" in by_order[first].find_all("td")[2].text, "delivered at once, shown per order"
    overview = web.get("/pickup/")
    status = overview.html.find("tr", attrs={"data-label": first}).find("td", class_="status").text
    assert "Ready for pickup" in status and "sent" in status
    history = web.get(f"/orders/{order_row(first).id}").html.find("ol", class_="history").text
    assert "Ready for pickup requested from the order page." in history


def test_one_row_change_and_a_second_send_of_the_same_status(web, loop):
    add_store(loop)
    first, second = pickup_orders(loop, 2)
    order_id = order_row(second).id
    form = web.get("/pickup/").forms["pickup-orders"]
    form[f"status_{order_id}"] = "picked_up"
    form.get("order", index=0).checked = True  # a selection elsewhere does not matter for a row's button
    confirm = form.submit("apply", value=str(order_id))
    assert "Send \u201cPicked up\u201d to the marketplace for 1 order?" in confirm.text
    assert [i["value"] for i in confirm.html.select("#confirm-form input[name=order]")] == [str(order_id)]
    confirm.forms["confirm-form"].submit()
    assert sent(loop) == [(second, "picked_up")]
    again = web.get("/pickup/").forms["pickup-orders"]
    again[f"status_{order_id}"] = "picked_up"
    results = again.submit("apply", value=str(order_id)).forms["confirm-form"].submit()
    assert "was already sent for this order; it is not sent twice" in results.text
    assert sent(loop) == [(second, "picked_up")]
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="status")).scalar_one()
    message.state, message.last_error = "failed", "order is closed"
    db.session.commit()
    again = web.get("/pickup/").forms["pickup-orders"]
    again[f"status_{order_id}"] = "picked_up"
    results = again.submit("apply", value=str(order_id)).forms["confirm-form"].submit()
    assert "\u201cPicked up\u201d is being sent to the marketplace." in results.text, "a refused status can be asked again"
    db.session.refresh(message)
    assert message.state == "delivered" and message.attempts == 1, "queued anew and sent"


def test_nothing_selected_or_no_status_is_explained(web, loop):
    add_store(loop)
    pickup_orders(loop, 1)
    form = web.get("/pickup/").forms["pickup-orders"]
    page = form.submit("bulk").follow()
    assert "Select at least one order." in page.text
    token = page.forms["language-menu"]["csrf_token"].value
    order_id = db.session.execute(sa.select(Order.id)).scalar_one()
    page = web.post("/pickup/status", {"csrf_token": token, "order": str(order_id), "status": "shipped",
                                       "confirm": "yes"}).follow()
    assert "Choose the status to send." in page.text
    assert sent(loop) == [] and db.session.execute(sa.select(OutboxMessage.id).filter_by(kind="status")).first() is None


def test_filters_and_the_overdue_reminder(web, loop):
    add_store(loop, hold_days=5)
    add_store(loop, code="HAMBURG", name="Hamburg")
    waiting, collected, fresh = pickup_orders(loop, 3)
    elsewhere, = pickup_orders(loop, 1, store_code="HAMBURG")
    page = web.get("/pickup/")
    form = page.forms["pickup-orders"]
    ids = {oid: order_row(oid).id for oid in (waiting, collected)}
    for oid in (waiting, collected):
        form.set("order", True, index=rows(page).index(oid))
    form["bulk_status"] = "ready_for_pickup"
    form.submit("bulk").forms["confirm-form"].submit()
    form = web.get("/pickup/").forms["pickup-orders"]
    form[f"status_{ids[collected]}"] = "picked_up"
    form.submit("apply", value=str(ids[collected])).forms["confirm-form"].submit()
    assert rows(web.get("/pickup/", {"store": f"{loop.connection_id}:HAMBURG"})) == [elsewhere]
    assert rows(web.get("/pickup/", {"status": "ready_for_pickup"})) == [waiting]
    assert sorted(rows(web.get("/pickup/", {"status": "none"}))) == sorted([fresh, elsewhere])
    assert "overdue-notice" not in web.get("/pickup/").text
    loop.clock.advance(days=6)
    assert stores.flag_overdue_pickups(loop.host) == 1
    page = web.get("/pickup/")
    assert "1 order was not collected within its store's hold period" in page.html.find(id="overdue-notice").text
    badge = page.html.find("tr", attrs={"data-label": waiting}).find("a", class_="badge")
    assert badge.text == "Over: cancel or refund" and "hold period of 5 days is over" in badge["title"]
    assert rows(web.get("/pickup/", {"overdue": "yes"})) == [waiting]
    assert waiting not in rows(web.get("/pickup/", {"overdue": "no"}))
    order_page = web.get(badge["href"].split("#")[0])
    assert "hold period of 5 days is over. Cancel or refund it." in order_page.html.find(id="actions").text
    assert web.get("/pickup/", {"store": "nonsense", "status": "x", "overdue": "maybe"}).status_int == 200


def test_partial_pickup_sends_the_quantities_after_confirmation(web, loop):
    add_store(loop)
    oid, = pickup_orders(loop, 1, skus=(("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)))
    order = order_row(oid)
    blue, candle = order.lines
    page = web.get(f"/pickup/orders/{order.id}/lines")
    form = page.forms["partial-form"]
    assert form[f"qty-{blue.line_id}"].value == "2" and form["status"].value == "picked_up"
    form[f"qty-{blue.line_id}"] = "3"
    bad = form.submit(status=400)
    assert "Enter a whole number from 0 to 2." in bad.text
    form = bad.forms["partial-form"]
    form[f"qty-{blue.line_id}"] = "0"
    form[f"qty-{candle.line_id}"] = "0"
    assert "Enter a quantity for at least one line." in form.submit(status=400).text
    form[f"qty-{blue.line_id}"] = "1"
    confirm = form.submit()
    assert f"1 \u00d7 {blue.title}" in confirm.html.find("ul", class_="confirm-list").text
    assert sent(loop) == []
    done = confirm.forms["confirm-form"].submit().follow()
    assert "\u201cPicked up\u201d is being sent to the marketplace." in done.text
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="status")).scalar_one()
    assert message.payload["lines"] == [{"line_id": blue.line_id, "quantity": 1}]
    assert sent(loop) == [(oid, "picked_up")]
    assert web.get(f"/pickup/orders/{order.id}/lines").status_int == 200
    plain = loop.marketplace.add_order()
    cycle(loop)
    assert web.get(f"/pickup/orders/{order_row(plain).id}/lines", expect_errors=True).status_int == 404


def test_order_page_cancels_with_a_reason_after_confirmation(web, loop):
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    order = order_row(oid)
    page = web.get(f"/orders/{order.id}")
    card = page.html.find(id="actions")
    labels = [label.text.strip() for label in card.select("label.option")]
    assert labels == ["Cancel on the marketplace"], "no refund (not listed), no pickup statuses, no shipment"
    form = page.forms["order-action"]
    form["status"] = "cancelled"
    bad = form.submit(status=400)
    assert "Enter the reason" in bad.html.find(id="actions").text
    form = bad.forms["order-action"]
    form["reason"] = "Out of stock"
    confirm = form.submit()
    assert "Send \u201cCancelled\u201d to the marketplace for order" in confirm.text and "Out of stock" in confirm.text
    assert sent(loop) == []
    done = confirm.forms["confirm-form"].submit().follow()
    assert "\u201cCancelled\u201d is being sent to the marketplace." in done.text
    assert sent(loop) == [(oid, "cancelled")]
    assert db.session.execute(sa.select(OutboxMessage.payload)).scalar_one()["reason"] == "Out of stock"
    card = done.html.find(id="actions")
    assert "Statuses sent for this order" in card.text and "Reason: Out of stock" in card.text
    assert "order-action" not in done.forms, "a status already requested is not offered again"
    assert "was requested already" in card.text
    assert "Cancelled requested from the order page." in done.html.find("ol", class_="history").text


def test_order_page_offers_pickup_statuses_for_pickup_orders_and_refuses_plainly(web, loop):
    oid, = pickup_orders(loop, 1)
    order = order_row(oid)
    labels = [label.text.strip() for label in web.get(f"/orders/{order.id}").html.select("#actions label.option")]
    assert labels == ["Cancel on the marketplace", "Mark as ready for pickup", "Mark as picked up"]
    token = web.get("/pickup/").forms["pickup-orders"]["csrf_token"].value
    refused = web.post(f"/orders/{order.id}/marketplace-status",
                       {"csrf_token": token, "status": "shipped", "confirm": "yes"}, status=400)
    assert "Choose what to send." in refused.text and sent(loop) == []
    order = order_row(oid)
    order.is_test = True
    db.session.commit()
    page = web.get(f"/orders/{order.id}")
    assert "order-action" not in page.forms
    assert "This is a test order: nothing about it is ever sent" in page.html.find(id="actions").text
    done = web.post(f"/orders/{order.id}/marketplace-status",
                    {"csrf_token": token, "status": "picked_up", "confirm": "yes"}).follow()
    assert "This is a test order" in done.text and sent(loop) == []


def test_held_order_cannot_be_changed_and_an_unreachable_marketplace_is_no_error(web, loop):
    held = loop.marketplace.add_order(skus=[("MB-UNKNOWN", 1)])
    ok = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    assert order_row(held).state == OrderState.HELD
    card = web.get(f"/orders/{order_row(held).id}").html.find(id="actions")
    assert "Only orders that are in the shop can be changed on the marketplace" in card.text
    loop.connection.account.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    form = web.get(f"/orders/{order_row(ok).id}").forms["order-action"]
    form["status"], form["reason"] = "cancelled", "Buyer asked"
    done = form.submit().forms["confirm-form"].submit().follow()
    assert "is being sent to the marketplace" in done.text
    assert "queued" in done.html.find("ul", class_="sent-statuses").text, "retried later, shown as queued"


def test_an_embedded_session_of_another_shop_sees_no_pickup_orders(loop, site):
    from flask import Blueprint, redirect

    from marketbridge.models import Shop
    from marketbridge.web import login_embedded

    oid, = pickup_orders(loop, 1)
    other = Shop(kind="example_shop", name="Other shop", settings={}, created_at=loop.clock.now())
    db.session.add(other)
    db.session.commit()
    bp = Blueprint("pickup_orders_embed_test", __name__)

    @bp.get("/pickup-orders-embed-test/<int:shop_id>")
    def embed(shop_id):
        login_embedded(db.session.get(Shop, shop_id))
        return redirect("/pickup/")

    loop.app.register_blueprint(bp)
    page = site.get(f"/pickup-orders-embed-test/{other.id}").follow()
    assert oid not in page.text and "No pickup order matches" in page.text
    order_id = order_row(oid).id
    assert site.get(f"/pickup/orders/{order_id}/lines", expect_errors=True).status_int == 404
    token = page.forms["language-menu"]["csrf_token"].value
    res = site.post("/pickup/status", {"csrf_token": token, "order": str(order_id), "status": "picked_up",
                                       "confirm": "yes"}, expect_errors=True)
    assert res.status_int in (302, 404) and sent(loop) == []
    assert db.session.execute(sa.select(OutboxMessage.id)).first() is None
    assert rows(site.get(f"/pickup-orders-embed-test/{loop.connection.shop_id}").follow()) == [oid]
