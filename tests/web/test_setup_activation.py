"""The connection page before and after activation: checklist (C2), backfill with progress (C3), test orders (C6)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from marketbridge.cli import cli
from marketbridge.jobs import work
from marketbridge.models import Connection, Order, StatusMapping, SyncCursor, db
from tests.web.conftest import csrf_token


def checklist_items(page) -> dict[str, str]:
    return {li.get_text(" ", strip=True): li["class"][0]
            for li in page.html.find(id="checklist").select("ul.checklist > li")}


def test_checklist_says_what_is_missing_with_links(web, loop):
    inactive = loop.wire(active=False, name="Not ready", marketplace="A13V1IB3VIYZZH", default_carrier=None)
    db.session.add(StatusMapping(connection_id=inactive.id, marketplace_status="shipped", shop_status="shipped"))
    db.session.commit()
    page = web.get(f"/connections/{inactive.id}")
    items = checklist_items(page)
    carrier = next(text for text in items if "No default carrier" in text)
    assert items[carrier] == "bad" and "will not be sent to the marketplace" in carrier
    mapping = next(text for text in items if "not mapped" in text)
    assert items[mapping] == "warn" and "3 marketplace statuses are not mapped" in mapping
    assert "\u201cCancelled\u201d: this status change is not sent to the marketplace." in mapping
    assert "\u201cReady for pickup\u201d: this Click & Collect step does not reach the marketplace." in mapping
    assert any("Products are matched by SKU / product number" in text for text in items)
    assert items["Done: The shop accepts Marketbridge's access details."] == "ok"
    assert items["Done: The marketplace authorisation is valid."] == "ok"
    links = {a.text: a["href"] for a in page.html.find(id="checklist").find_all("a")}
    assert links["Set the default carrier"] == f"/connections/{inactive.id}/carriers"
    assert links["Map the statuses"] == f"/connections/{inactive.id}/statuses"
    assert "You can activate the connection now, but what is marked above will not work" in page.text
    assert page.forms["activate"], "activation stays possible with warnings"
    assert web.get(f"/connections/{loop.connection_id}").html.find(id="checklist") is None, "not once active"


def test_checklist_shows_the_shops_and_the_marketplaces_own_problems(web, loop):
    inactive = loop.wire(active=False, name="Broken", marketplace="A13V1IB3VIYZZH", default_carrier="DHL")
    from marketbridge.host import current_host

    inactive.shop.secrets = current_host().seal({"api_key": "wrong"})
    inactive.account.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    page = web.get(f"/connections/{inactive.id}")
    text = page.html.find(id="checklist").get_text(" ", strip=True)
    assert "The shop's access details do not work yet:" in text
    assert "The marketplace authorisation could not be checked:" in text
    assert f"/shops/{inactive.shop_id}/edit" in str(page.html.find(id="checklist"))


def test_backfill_moves_the_window_back_and_shows_progress(web, loop):
    for _ in range(3):
        loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    page = web.get(f"/connections/{loop.connection_id}")
    assert page.html.find(id="backfill-text").text.startswith("All 3 orders since ")
    assert page.html.find("progress")["value"] == "100"
    form = page.forms["backfill-form"]
    form["since"] = "2020-01-01"
    moved = form.submit().follow()
    assert "Open orders placed since 2020-01-01 are being fetched." in moved.text
    db.session.expire_all()
    connection = db.session.get(Connection, loop.connection_id)
    assert connection.activation_date == datetime(2020, 1, 1, tzinfo=timezone.utc)
    data = web.get(f"/connections/{loop.connection_id}/progress.json").json
    assert data["since"] == "2020-01-01" and data["total"] == 3 and data["done"] == 3 and data["percent"] == 100
    assert data["running"] is False and data["last_success_at"]
    assert data["text"] == "All 3 orders since 2020-01-01 were fetched."
    later = web.get(f"/connections/{loop.connection_id}").forms["backfill-form"]
    later["since"] = "2030-01-01"
    refused = later.submit(status=400)
    assert "Choose a day before 2020-01-01" in refused.html.find(id="since-errors").text


def test_progress_while_fetching_refreshes_without_js_and_needs_login(web, site, loop):
    cursor = SyncCursor(scope="connection", scope_id=loop.connection_id, stream="orders", value="x",
                        progress_done=40, progress_total=160)
    db.session.add(cursor)
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}")
    box = page.html.find(id="backfill-progress")
    assert box["data-running"] == "true" and box.find("progress")["value"] == "25"
    assert "40 of 160 orders fetched since" in box.text
    assert page.html.find("noscript").find("meta")["http-equiv"] == "refresh"
    web.post("/logout", {"csrf_token": csrf_token(web)})
    assert site.get(f"/connections/{loop.connection_id}/progress.json").status_int == 302


def test_test_order_is_imported_and_never_sent(web, loop):
    page = web.get(f"/connections/{loop.connection_id}")
    form = page.forms["test-order-form"]
    assert form["country"].value == "DE"
    form["value"] = "MB-MUG-BLUE"
    done = form.submit().follow()
    order = db.session.execute(sa.select(Order).where(Order.is_test.is_(True))).scalar_one()
    assert f"Test order {order.marketplace_order_id} was created" in done.text
    assert "never sent to the marketplace" in done.text
    link = done.html.find(id="test-orders").find("a", href=f"/orders/{order.id}")
    assert link is not None and link.text == order.marketplace_order_id
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "created", "imported right away through the real path"
    assert order.marketplace_order_id not in loop.marketplace.orders


def test_test_order_refusals_say_why(web, loop):
    url = f"/connections/{loop.connection_id}/test-order"
    form = web.get(url).forms["test-order-form"]
    form["value"] = "MB-TEE-L"
    low = form.submit(status=400)
    assert "has 3 in stock; a test order needs at least 4" in low.html.find(id="value-errors").text
    form = low.forms["test-order-form"]
    form["value"] = "NOPE"
    page = form.submit(status=400)
    assert "No shop product has the SKU / product number \u201cNOPE\u201d." in page.html.find(id="value-errors").text
    form = page.forms["test-order-form"]
    form["country"] = "Germany"
    page = form.submit(status=400)
    assert "two-letter country code" in page.html.find(id="country-errors").text
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one() == 0


def test_cli_backfill_and_test_order(loop):
    for _ in range(2):
        loop.marketplace.add_order()
    runner = loop.app.test_cli_runner()
    result = runner.invoke(cli, ["backfill", str(loop.connection_id), "--since", "2020-02-01"])
    assert result.exit_code == 0, result.output
    assert "2 orders fetched, 2 created in the shop, 0 held." in result.output
    db.session.expire_all()
    assert db.session.get(Connection, loop.connection_id).activation_date == datetime(2020, 2, 1, tzinfo=timezone.utc)
    assert len(loop.shop.orders) == 2
    result = runner.invoke(cli, ["test-order", str(loop.connection_id), "MB-CANDLE", "--country", "fr"])
    assert result.exit_code == 0, result.output
    assert "never sent to the marketplace" in result.output
    refused = runner.invoke(cli, ["test-order", str(loop.connection_id), "MB-TEE-L"])
    assert refused.exit_code != 0 and "needs at least 4" in refused.output
    assert len(loop.shop.orders) == 3
