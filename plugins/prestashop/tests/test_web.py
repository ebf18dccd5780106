"""The ``/prestashop`` blueprint through the app's test client, with real signatures (M1, S2, S3).

* ``/prestashop/open`` – the signed back-office link opens the pages for that one shop; unsigned (401),
  forged, expired, foreign and replayed links (403) sign nobody in and leave nothing behind.
* ``/prestashop/notify`` – a signed change notice reads the order from the Webservice and the marketplace
  gets the change in the same request; unsigned, forged and replayed notices record nothing.
* ``/prestashop/shops/<id>/back-office`` – the set-up page: login required, secret shown once.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from marketbridge.accounts import create_or_reset_user
from marketbridge.models import AdapterState, OutboxMessage, Shop, StatusMapping, db
from marketbridge_prestashop.admin_link import sign, sign_link, sign_notice, verify_link
from marketbridge_prestashop.replay import PREFIX
from marketbridge_prestashop.web import SECRET_NAME

from .conftest import LINK_SECRET

DHL = "00340434161094042557"


def browser(app: Any) -> Any:
    """A test client whose every request runs in a fresh app context, as under a real server."""
    if not getattr(app, "_fresh_contexts", False):
        inner = app.wsgi_app

        def fresh(environ: dict[str, Any], start_response: Any) -> Any:
            with app.app_context():
                return list(inner(environ, start_response))

        app.wsgi_app, app._fresh_contexts = fresh, True
    return app.test_client()


def link(loop, *, secret: str = LINK_SECRET, age: int = 0, **extra: Any) -> str:
    params = {"shop": str(loop.connection.shop_id), "employee": "7",
              "now": loop.clock.now() - timedelta(seconds=age), **extra}
    return sign_link("/prestashop/open", secret, **params)


def signed_in(client) -> bool:
    return client.get("/connections/").status_code == 200


def used_signatures() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AdapterState).where(
        AdapterState.key.startswith(PREFIX))).scalar_one()


def test_a_signed_link_opens_the_pages_for_that_shop_only(loop):
    other = Shop(kind="prestashop", name="Another shop", settings={}, created_at=loop.clock.now())
    db.session.add(other)
    db.session.commit()
    client = browser(loop.app)
    answer = client.get(link(loop, language="fr"))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/connections/")
    page = client.get("/connections/")
    assert page.status_code == 200 and loop.connection.name in page.text
    assert '<html lang="fr">' in page.text, "the employee's language"
    assert client.get(f"/shops/{loop.connection.shop_id}").status_code == 200
    assert client.get(f"/shops/{other.id}").status_code == 404, "an embedded session sees its own shop only"
    assert 'id="logout"' in page.text, "opened in a tab of its own: the merchant may log out"
    framed = browser(loop.app)
    framed.get(link(loop, frame=True, employee="8"))
    assert 'id="logout"' not in framed.get("/connections/").text, "inside the back office's frame"


@pytest.mark.usefixtures("any_database_url")
def test_unsigned_forged_expired_foreign_and_replayed_links_sign_nobody_in(loop):
    client = browser(loop.app)
    valid = link(loop)
    params = dict(parse_qsl(urlsplit(valid).query))
    refused = {
        "unsigned": ("/prestashop/open?mb_shop=1&mb_employee=7&mb_ts=1", 401),
        "no parameters": ("/prestashop/open", 401),
        "another secret": (link(loop, secret="not-the-shops-secret"), 403),
        "tampered shop": (valid.replace(f"mb_shop={params['mb_shop']}", "mb_shop=999"), 403),
        "added parameter": (valid + "&mb_frame=1", 403),
        "expired": (link(loop, age=301), 403),
        "not a PrestaShop shop id": ("/prestashop/open?" + "&".join(
            f"{k}={v}" for k, v in sign(LINK_SECRET, {**params, "mb_shop": "abc"}).items()), 403),
    }
    for name, (url, status) in refused.items():
        answer = client.get(url)
        assert answer.status_code == status, name
        assert "did not sign you in" in answer.text and LINK_SECRET not in answer.text, name
        assert not signed_in(client), name
    assert used_signatures() == 0, "a refused link leaves nothing behind"

    assert client.get(valid).status_code == 302
    assert signed_in(client)
    thief = browser(loop.app)
    answer = thief.get(valid)
    assert answer.status_code == 403 and "already used" in answer.text
    assert not signed_in(thief)
    assert used_signatures() == 1


def test_the_same_browser_reloading_a_used_link_stays_signed_in(loop):
    client = browser(loop.app)
    url = link(loop)
    client.get(url)
    again = client.get(url)
    assert again.status_code == 302 and again.headers["Location"].endswith("/connections/")


def test_a_link_without_a_secret_in_the_shop_settings_is_refused(loop):
    host = loop.host
    shop = db.session.get(Shop, loop.connection.shop_id)
    secrets = host.open(shop.secrets)
    del secrets[SECRET_NAME]
    shop.secrets = host.seal(secrets)
    db.session.commit()
    answer = browser(loop.app).get(link(loop))
    assert answer.status_code == 403 and "No back-office link secret" in answer.text


def imported(loop):
    oid = loop.marketplace.add_order(skus=[("MB-CANDLE", 2)])
    loop.cycle()
    [row] = loop.orders()
    return oid, row.shop_order_id


def notice(loop, order_id: str, *, secret: str = LINK_SECRET, age: int = 0) -> dict[str, str]:
    return sign_notice(secret, shop=str(loop.connection.shop_id), order_id=order_id,
                       now=loop.clock.now() - timedelta(seconds=age))


@pytest.mark.usefixtures("any_database_url")
def test_a_signed_notice_brings_the_shipment_to_the_marketplace_in_the_same_request(loop, shop):
    oid, shop_order = imported(loop)
    shop.ship_order(shop_order, DHL, carrier_reference=3)
    answer = browser(loop.app).post("/prestashop/notify", data=notice(loop, shop_order))  # no CSRF token: exempt
    assert answer.status_code == 200 and answer.json["queued"] == 1
    assert [(s["order_id"], s["tracking"], s["carrier"]) for s in loop.marketplace.shipments] == [(oid, DHL, "DHL")]
    db.session.expire_all()
    assert db.session.execute(sa.select(OutboxMessage.state)).scalar_one() == "delivered"
    loop.shop_cycle()  # the safety-net poll sees the same shipment: nothing new is sent
    assert len(loop.marketplace.shipments) == 1


@pytest.mark.usefixtures("any_database_url")
def test_unsigned_forged_expired_and_replayed_notices_record_nothing(loop, shop):
    db.session.add(StatusMapping(connection_id=loop.connection.id, marketplace_status="cancelled", shop_status="6"))
    db.session.commit()
    oid, shop_order = imported(loop)
    client = browser(loop.app)
    valid = notice(loop, shop_order)
    shop.change_order_state(shop_order, 6)
    attempts = {
        "unsigned": ({k: v for k, v in valid.items() if k != "mb_sig"}, 401),
        "forged": (notice(loop, shop_order, secret="guessed"), 403),
        "other order": ({**valid, "mb_order": "99"}, 403),
        "expired": (notice(loop, shop_order, age=400), 403),
        "a back-office link's signature": (dict(parse_qsl(urlsplit(link(loop)).query)), 401),
    }
    for name, (form, status) in attempts.items():
        answer = client.post("/prestashop/notify", data=form)
        assert answer.status_code == status, name
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 0
    assert loop.marketplace.status_calls == [] and used_signatures() == 0
    assert client.post("/prestashop/notify", data=valid).status_code == 200
    assert [(c["order_id"], c["status"]) for c in loop.marketplace.status_calls] == [(oid, "cancelled")]
    shop.change_order_state(shop_order, 3)
    replayed = client.post("/prestashop/notify", data=valid)
    assert replayed.status_code == 403 and "already received" in replayed.json["error"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 1


def test_notices_for_foreign_orders_or_a_paused_shop_send_nothing(loop, shop):
    _, shop_order = imported(loop)
    client = browser(loop.app)
    answer = client.post("/prestashop/notify", data=notice(loop, "4242"))
    assert answer.status_code == 200 and answer.json == {"status": "ok", "events": 0, "queued": 0}
    shop_row = db.session.get(Shop, loop.connection.shop_id)
    shop_row.auth_problem = "PrestaShop refused the Webservice key."
    db.session.commit()
    shop.ship_order(shop_order, DHL, carrier_reference=3)
    before = len(shop.log)
    paused = client.post("/prestashop/notify", data=notice(loop, shop_order))
    assert paused.status_code == 202 and paused.json["status"] == "paused"
    assert len(shop.log) == before, "a paused shop is not called"
    assert loop.marketplace.shipments == []


def test_a_shop_failure_while_reading_a_notice_leaves_it_to_polling(loop, shop):
    from marketbridge.testing import Fault

    _, shop_order = imported(loop)
    shop.ship_order(shop_order, DHL, carrier_reference=3)
    shop.faults.add(Fault(status=503, path=r"^/api/orders/\d+$"))
    answer = browser(loop.app).post("/prestashop/notify", data=notice(loop, shop_order))
    assert answer.status_code == 202 and answer.json["status"] == "later"
    loop.clock.advance(minutes=2)
    loop.shop_cycle()
    assert len(loop.marketplace.shipments) == 1


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def merchant(loop) -> Any:
    user = create_or_reset_user("merchant@example.com", "correct horse battery", admin=True)
    client = browser(loop.app)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(user.id), True
    return client


def test_the_set_up_page_needs_a_login_and_shows_the_secret_only_once(loop):
    url = f"/prestashop/shops/{loop.connection.shop_id}/back-office"
    client = merchant(loop)
    anonymous = browser(loop.app)
    assert anonymous.get(url).status_code == 302 and "/login" in anonymous.get(url).headers["Location"]
    assert anonymous.post(url).status_code in (302, 400)  # CSRF or login: never a new secret
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "http://localhost/prestashop/open" in page.text and "http://localhost/prestashop/notify" in page.text
    assert f'<code id="shop-id">{loop.connection.shop_id}</code>' in page.text
    assert LINK_SECRET not in page.text and "stored (hidden)" in page.text
    created = client.post(url, data={"csrf_token": csrf_of(page.text)})
    secret = re.search(r'<code id="secret-value">([^<]+)</code>', created.text).group(1)
    assert secret != LINK_SECRET and len(secret) >= 43
    db.session.expire_all()
    stored = loop.host.open(db.session.get(Shop, loop.connection.shop_id).secrets)
    assert stored[SECRET_NAME] == secret and stored["webservice_key"], "the Webservice key is kept"
    assert secret not in client.get(url).text, "shown once"
    fresh = dict(parse_qsl(urlsplit(link(loop, secret=secret)).query))
    verify_link(fresh, secret, now=loop.clock.now())
    assert browser(loop.app).get(link(loop, secret=secret)).status_code == 302
    assert browser(loop.app).get(link(loop, employee="9")).status_code == 403, "the old secret stopped working"


def test_an_embedded_session_may_look_but_not_replace_the_secret_and_other_kinds_are_not_found(loop):
    example = Shop(kind="example_shop", name="Example", settings={}, created_at=loop.clock.now())
    db.session.add(example)
    db.session.commit()
    client = browser(loop.app)
    client.get(link(loop))
    url = f"/prestashop/shops/{loop.connection.shop_id}/back-office"
    page = client.get(url)
    assert page.status_code == 200
    assert client.post(url, data={"csrf_token": csrf_of(page.text)}).status_code == 403
    assert merchant(loop).get(f"/prestashop/shops/{example.id}/back-office").status_code == 404


def test_every_route_of_the_blueprint_is_signed_or_needs_a_login(loop):
    create_or_reset_user("merchant@example.com", "correct horse battery", admin=True)
    client = browser(loop.app)
    rules = [rule for rule in loop.app.url_map.iter_rules() if rule.endpoint.startswith("prestashop.")]
    assert {rule.endpoint for rule in rules} == {"prestashop.open_link", "prestashop.notify", "prestashop.back_office"}
    for rule in rules:
        url = rule.rule.replace("<int:shop_id>", str(loop.connection.shop_id))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method)
            assert answer.status_code in (302, 400, 401, 403), (method, url)
            if answer.status_code == 302:
                assert "/login" in answer.headers["Location"]
