"""Status mapping page (S1, K4): live shop statuses, one shop status per marketplace status, kept when unreachable."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, url_for

from marketbridge.models import Shop, StatusMapping, db


def mapping(connection_id: int) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)
                              .filter_by(connection_id=connection_id)).all()
    return dict(rows)


def test_mapping_offers_the_shops_statuses_and_saves(web, loop):
    page = web.get(f"/connections/{loop.connection_id}/statuses")
    form = page.forms["status-mapping"]
    assert [value for value, *_ in form["status-shipped"].options] == \
        ["", "open", "processing", "shipped", "cancelled", "ready", "collected"], "live from the shop"
    assert page.html.find("label", {"for": "status-ready_for_pickup"}).parent.find(class_="badge").text == \
        "Click & Collect"
    form["status-shipped"], form["status-cancelled"] = "shipped", "cancelled"
    form["status-ready_for_pickup"], form["status-picked_up"] = "ready", "collected"
    saved = form.submit().follow()
    assert "The status mapping was saved." in saved.text
    assert mapping(loop.connection_id) == {"shipped": "shipped", "cancelled": "cancelled",
                                           "ready_for_pickup": "ready", "picked_up": "collected"}
    sentences = saved.html.find(id="transitions-title").parent.text
    assert ("When an order moves to \u201cShipped\u201d in the shop, Marketbridge confirms the shipment to the "
            "marketplace with the tracking number.") in sentences
    assert "When an order moves to \u201cCancelled\u201d in the shop, Marketbridge sends \u201cCancelled\u201d" in sentences
    assert "These shop statuses send nothing: Open, In progress." in sentences
    assert loop.host.connection_info(loop.connection).status_mapping["picked_up"] == "collected", "the engine sees it"


def test_one_shop_status_for_two_marketplace_statuses_is_refused(web, loop):
    db.session.add(StatusMapping(connection_id=loop.connection_id, marketplace_status="shipped", shop_status="shipped"))
    db.session.commit()
    form = web.get(f"/connections/{loop.connection_id}/statuses").forms["status-mapping"]
    form["status-shipped"], form["status-cancelled"] = "processing", "processing"
    page = form.submit(status=400)
    message = page.html.find(id="status-shipped-errors").text
    assert "\u201cIn progress\u201d is chosen for \u201cShipped\u201d and \u201cCancelled\u201d" in message
    assert "only one marketplace status" in message
    assert page.html.find(id="status-cancelled")["aria-invalid"] == "true"
    assert mapping(loop.connection_id) == {"shipped": "shipped"}, "nothing saved"


def test_pickup_statuses_need_distinct_shop_statuses(web, loop):
    form = web.get(f"/connections/{loop.connection_id}/statuses").forms["status-mapping"]
    form["status-ready_for_pickup"], form["status-picked_up"] = "ready", "ready"
    page = form.submit(status=400)
    message = page.html.find(id="status-picked_up-errors").text
    assert "\u201cReady for pickup\u201d and \u201cPicked up\u201d" in message
    assert "Click & Collect statuses each need a shop status of their own" in message
    assert mapping(loop.connection_id) == {}


def test_unknown_shop_status_is_refused(web, loop):
    page = web.get(f"/connections/{loop.connection_id}/statuses")
    token = page.forms["status-mapping"]["csrf_token"].value
    refused = web.post(f"/connections/{loop.connection_id}/statuses",
                       {"csrf_token": token, "status-shipped": "teleported"}, status=400)
    assert "The shop has no status \u201cteleported\u201d" in refused.text
    assert mapping(loop.connection_id) == {}


def test_unreachable_shop_keeps_the_saved_mapping(web, loop):
    db.session.add(StatusMapping(connection_id=loop.connection_id, marketplace_status="shipped", shop_status="shipped"))
    shop = loop.connection.shop
    shop.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}/statuses")
    assert "could not be asked for its order statuses" in page.text
    assert "stays as it is until the shop can be reached" in page.text
    assert page.html.find(id="status-shipped").text == "shipped", "the saved mapping is shown"
    assert "status-shipped" not in page.forms["status-mapping"].fields, "no choice offered without the shop's list"
    token = page.forms["status-mapping"]["csrf_token"].value
    refused = web.post(f"/connections/{loop.connection_id}/statuses", {"csrf_token": token, "status-shipped": ""},
                       status=503)
    assert "the mapping was not changed" in refused.text
    assert mapping(loop.connection_id) == {"shipped": "shipped"}


def test_embedded_session_sees_only_its_own_connections_mapping(loop, site):
    other = loop.wire(marketplace="OTHER", active=False, name="Other shop link")
    bp = Blueprint("embed_setup_statuses", __name__)

    @bp.get("/embed-setup/<int:shop_id>")
    def embed(shop_id: int) -> Any:
        from marketbridge.web import login_embedded

        login_embedded(db.session.get(Shop, shop_id))
        return redirect(url_for("connections.index"))

    loop.app.register_blueprint(bp)
    site.get(f"/embed-setup/{loop.connection.shop_id}")
    assert site.get(f"/connections/{loop.connection_id}/statuses").status_int == 200
    missing = site.get(f"/connections/{other.id}/statuses", expect_errors=True)
    assert missing.status_int == 404 and "There is nothing here" in missing.text
