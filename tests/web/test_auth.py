"""Login, first run, logout, embedded sessions: nothing is visible without logging in (M1)."""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Blueprint, redirect, url_for

from marketbridge.models import Order, User, db
from marketbridge.web import login_embedded, login_required
from tests.web.conftest import EMAIL, PASSWORD, client, csrf_token

PUBLIC = {"auth.login", "auth.setup", "static", "mb_ui.static"}


def sample_url(app: Any, rule: Any, ids: dict[str, int]) -> str:
    """A URL for ``rule`` with real ids for its arguments."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name == "kind":
            values[name] = "example_shop"
        elif name == "filename":
            values[name] = "marketbridge.css"
        else:
            values[name] = ids.get(name, 1)
    with app.test_request_context():
        return str(url_for(rule.endpoint, **values))


def ids_of(loop: Any) -> dict[str, int]:
    order_id = db.session.execute(sa.select(Order.id)).scalars().first()
    return {"connection_id": loop.connection_id, "shop_id": loop.connection.shop_id,
            "account_id": loop.connection.account_id, "row_id": loop.connection.shop_id, "order_id": order_id or 1}


def test_every_page_requires_login(site, loop):
    loop.marketplace.add_order()
    from marketbridge.jobs import work

    work.connection_cycle(loop.host, loop.connection_id)
    ids = ids_of(loop)
    checked = 0
    for rule in loop.app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = sample_url(loop.app, rule, ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                res = site.get(url, expect_errors=True)
            else:
                token = csrf_token(site, "/login")  # a valid anonymous token: only the login check may refuse
                res = getattr(site, method.lower())(url, {"csrf_token": token}, expect_errors=True)
            assert res.status_int in (302, 401, 403), f"{method} {url} answered {res.status} without login"
            if res.status_int == 302:
                assert "/login" in res.headers["Location"], f"{method} {url} redirects elsewhere"
            checked += 1
    assert checked > 25


def test_public_pages_and_static(site):
    assert site.get("/login").status_int == 200
    assert site.get("/setup", expect_errors=True).status_int == 404, "first-run page gone once a user exists"
    css = site.get("/mb-static/marketbridge.css")
    assert css.content_type == "text/css"


def test_first_run_creates_the_admin_then_disappears(make_app):
    from tests.conftest import EXAMPLE_PLUGINS

    app = make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False)
    browser = client(app)
    assert browser.get("/connections/").follow().request.path == "/setup"
    assert browser.get("/login").headers["Location"].endswith("/setup")
    form = browser.get("/setup").forms["setup-form"]
    form["email"], form["password"], form["confirm"] = "Owner@Example.com", "short", "short"
    page = form.submit(status=400)
    assert "Use at least 10 characters." in page.text
    assert db.session.execute(sa.select(User)).first() is None, "nothing saved on bad input"
    form = page.forms["setup-form"]
    form["email"], form["password"], form["confirm"], form["locale"] = "Owner@Example.com", PASSWORD, PASSWORD, "de"
    landing = form.submit().follow()
    assert landing.request.path.startswith("/shops/new")
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email == "owner@example.com" and user.is_admin and user.locale == "de"
    assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
    assert browser.get("/setup", expect_errors=True).status_int == 404


def test_login_logout(site):
    page = site.get("/orders").follow()
    assert page.request.path == "/login"
    form = page.forms["login-form"]
    form["email"], form["password"] = EMAIL, "wrong password!"
    failed = form.submit(status=400)
    assert "E-mail address or password is wrong." in failed.text
    form = failed.forms["login-form"]
    form["email"], form["password"] = EMAIL, PASSWORD
    landed = form.submit()
    assert landed.headers["Location"].endswith("/orders"), "back to the page that asked for the login"
    site.post("/logout", {"csrf_token": csrf_token(site)}).follow()
    assert site.get("/orders").status_int == 302


def test_login_ignores_foreign_next(site):
    form = site.get("/login?next=https://evil.example/").forms["login-form"]
    form["email"], form["password"] = EMAIL, PASSWORD
    assert form.submit().headers["Location"].endswith("/connections/")


def test_logout_needs_post_with_csrf(web):
    assert web.get("/logout", expect_errors=True).status_int == 405
    assert web.post("/logout", expect_errors=True).status_int == 400
    assert web.get("/orders").status_int == 200, "still logged in"


def test_login_embedded_for_a_shop_sees_only_that_shop(loop, site):
    """A plugin's verified signed request opens the pages limited to its shop (M1)."""
    other = loop.wire(marketplace="OTHER", active=False, name="Other shop link")
    bp = Blueprint("embed_test", __name__)

    @bp.get("/embed-test/<int:shop_id>")
    def embed(shop_id: int) -> Any:
        from marketbridge.models import Shop

        login_embedded(db.session.get(Shop, shop_id), locale="fr-FR")
        return redirect(url_for("connections.index"))

    @bp.get("/embed-test/protected")
    @login_required
    def protected() -> str:
        return "secret plugin page"

    loop.app.register_blueprint(bp)
    assert site.get("/embed-test/protected").status_int == 302
    page = site.get(f"/embed-test/{loop.connection.shop_id}").follow()
    assert page.html.html["lang"] == "fr", "the admin's language from the signed request"
    assert loop.connection.name in page.text and other.name not in page.text
    assert "Se déconnecter" not in page.text, "the shop's admin owns an embedded session"
    assert site.get(f"/connections/{other.id}", expect_errors=True).status_int == 404
    assert site.get(f"/shops/{other.shop_id}", expect_errors=True).status_int == 404
    assert site.get("/shops/new", expect_errors=True).status_int == 403
    assert site.get("/embed-test/protected").text == "secret plugin page"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_language_switch_never_redirects_away(web, target):
    res = web.post("/language", {"csrf_token": csrf_token(web), "locale": "de", "next": target})
    assert res.headers["Location"].endswith("/connections/")


def test_password_change_checks_the_current_password(web):
    form = web.get("/me").forms["password-form"]
    form["pw-current"], form["pw-new"], form["pw-confirm"] = "not my password", "a brand new passphrase", \
        "a brand new passphrase"
    refused = form.submit("pw-submit", status=400)
    assert "This is not your current password." in refused.text
    form = refused.forms["password-form"]
    form["pw-current"], form["pw-new"], form["pw-confirm"] = PASSWORD, "a brand new passphrase", \
        "a brand new passphrase"
    assert "Your password was changed." in form.submit("pw-submit").follow().text
    db.session.expire_all()
    user = db.session.execute(sa.select(User).filter_by(email=EMAIL)).scalar_one()
    assert user.check_password("a brand new passphrase") and not user.check_password(PASSWORD)
