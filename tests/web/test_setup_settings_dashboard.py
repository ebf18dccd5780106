"""Prime and stock settings (O5, P1) and the connection dashboard (M2, C8)."""
from __future__ import annotations

from datetime import timedelta

from marketbridge.jobs import work
from marketbridge.models import Connection, QuotaUsage, SyncCursor, SyncProblem, db


def settings_of(connection_id: int) -> dict:
    db.session.expire_all()
    return dict(db.session.get(Connection, connection_id).settings)


def test_settings_are_validated_explained_and_saved(web, loop):
    page = web.get(f"/connections/{loop.connection_id}/sync-settings")
    form = page.forms["sync-settings-form"]
    assert form["prime_cutover"].value == "2023-11-03", "the documented default"
    assert [v for v, *_ in form["prime_pending_status"].options][:3] == ["", "open", "processing"], "live shop statuses"
    assert "never offered, as a safety margin" in page.text and "rounded down" in page.text
    form["stock_percent"], form["stock_buffer"], form["poll_seconds"] = "0", "-2", "3"
    refused = form.submit(status=400)
    assert "from 1 to 100" in refused.html.find(id="stock_percent-errors").text
    assert "0 or more" in refused.html.find(id="stock_buffer-errors").text
    assert "at least 10 seconds" in refused.html.find(id="poll_seconds-errors").text
    assert settings_of(loop.connection_id) == {}, "nothing saved"
    form = refused.forms["sync-settings-form"]
    form["stock_percent"], form["stock_buffer"], form["poll_seconds"] = "50", "2", "120"
    form["stock_max"], form["unlimited_quantity"] = "30", ""
    form["prime_to_awaiting_shipment"] = True
    form["prime_pending_status"] = "open"
    form.submit().follow()
    assert settings_of(loop.connection_id) == {
        "prime_cutover": "2023-11-03", "prime_to_awaiting_shipment": True, "prime_pending_status": "open",
        "stock_percent": 50, "stock_buffer": 2, "stock_max": 30, "poll_seconds": 120}
    form = web.get(f"/connections/{loop.connection_id}/sync-settings").forms["sync-settings-form"]
    assert form["stock_percent"].value == "50" and form["prime_pending_status"].value == "open"
    form["stock_max"] = ""
    form.submit().follow()
    assert "stock_max" not in settings_of(loop.connection_id), "an emptied number goes back to the default"


def test_prime_cutover_explains_the_connection_at_hand(web, loop):
    page = web.get(f"/connections/{loop.connection_id}/sync-settings")
    assert "after the cut-over date" in page.text
    form = page.forms["sync-settings-form"]
    form["prime_cutover"] = "2099-01-01"
    page = form.submit().follow()
    assert "before the cut-over date" in page.text


def test_dashboard_shows_orders_holds_problems_quota_token_and_jobs(web, loop):
    loop.marketplace.add_order()
    loop.marketplace.add_order(skus=[("MB-UNKNOWN", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    account = loop.connection.account
    account.expires_at = loop.clock.now() + timedelta(days=12)
    db.session.add(QuotaUsage(account_id=account.id, operation="getOrders", calls=7, throttled=2,
                              limit_per_second=0.0167, remaining=1.5, last_call_at=loop.clock.now()))
    db.session.add(SyncProblem(connection_id=loop.connection_id, code="no_carrier", subject="t",
                               message="No carrier for {tracking}", params={"tracking": "QQ1"},
                               first_seen=loop.clock.now(), last_seen=loop.clock.now()))
    db.session.add(SyncCursor(scope="shop", scope_id=loop.connection.shop_id, stream="stock", failures=3,
                              last_error="the shop answered 503"))
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}/dashboard")
    assert page.html.find(id="orders-today").text == "2"
    assert page.html.find(id="held-orders").text == "1"
    held_link = page.html.find("a", string="Show the held orders and why they wait")["href"]
    assert held_link == f"/connections/{loop.connection_id}/orders?held=yes"
    problems = page.html.find(id="problems-title").parent.text
    assert "No carrier matched tracking number QQ1" in problems and "Set a default carrier" in problems
    assert "The authorisation expires in 12 days." in page.html.find(id="authorisation").text
    quota = page.html.find(id="quota").find("tbody").find("tr").find_all("td")
    assert [td.get_text(strip=True) for td in quota[:5]] == ["getOrders", "7", "2", "0.0167", "1.5"]
    jobs = {tr.th.text: tr.find_all("td") for tr in page.html.find(id="jobs").find("tbody").find_all("tr")}
    assert jobs["Fetching orders from the marketplace"][0].text != "Not yet"
    assert "Failing (3 times in a row)" in jobs["Reading stock from the shop"][1].text
    assert "the shop answered 503" in jobs["Reading stock from the shop"][1].text
    assert jobs["Reading status changes and shipments from the shop"][0].text == "Not yet"


def test_dashboard_says_when_the_authorisation_is_gone(web, loop):
    account = loop.connection.account
    account.auth_problem = "The grant was revoked in Seller Central."
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}/dashboard")
    assert "The marketplace refused access: The grant was revoked in Seller Central." in page.text
    assert "No marketplace calls recorded yet." in page.text


def test_price_settings_record_the_marketplace_currency_and_resend_every_listing(web, loop):
    """P2: the selling policy is validated, saved as exact amounts, and the next stock poll reads every listing."""
    full_read = lambda: db.session.execute(db.select(SyncCursor).filter_by(  # noqa: E731
        scope="shop", scope_id=loop.connection.shop_id, stream="stock_full")).scalar_one_or_none()
    page = web.get(f"/connections/{loop.connection_id}/sync-settings")
    assert "Prices sent to the marketplace" in page.text and "only ever rounded up" in page.text
    form = page.forms["sync-settings-form"]
    assert form["price_sync"].checked is False, "off until the merchant decides"
    form["price_sync"], form["price_percent"], form["price_minimum"] = True, "900", "-1"
    refused = form.submit(status=400)
    assert "from -90 to 500" in refused.html.find(id="price_percent-errors").text
    assert "0 or more" in refused.html.find(id="price_minimum-errors").text
    assert settings_of(loop.connection_id) == {}, "nothing saved"
    form = refused.forms["sync-settings-form"]
    form["price_percent"], form["price_fixed"], form["price_minimum"], form["price_ending"] = "10", "1.50", "", "99"
    form.submit().follow()
    prices = {k: v for k, v in settings_of(loop.connection_id).items() if k.startswith("price_")}
    assert prices == {"price_sync": True, "price_percent": "10", "price_fixed": "1.5", "price_ending": "99",
                      "price_currency": "EUR"}
    assert full_read() is not None and full_read().not_before is None, "every listing is read at the next poll"
    page = web.get(f"/connections/{loop.connection_id}/sync-settings")
    assert "Prices are sent in EUR" in page.text
    form = page.forms["sync-settings-form"]
    assert (form["price_percent"].value, form["price_ending"].value) == ("10", "99")
    form["price_sync"] = False
    form.submit().follow()
    assert "price_sync" not in settings_of(loop.connection_id), "switched off"


def test_price_settings_say_when_the_marketplace_cannot_tell_its_currency(web, loop):
    loop.connection.marketplace = "A13V1IB3VIYZZH"  # not among the account's marketplaces any more
    db.session.commit()
    form = web.get(f"/connections/{loop.connection_id}/sync-settings").forms["sync-settings-form"]
    form["price_sync"] = True
    refused = form.submit(status=400)
    assert "no longer offers this connection's marketplace" in refused.html.find(id="price_sync-errors").text
    assert settings_of(loop.connection_id) == {}, "nothing saved, not even the other settings"
    assert "Prices cannot be sent yet" in refused.text
