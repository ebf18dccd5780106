"""Shops and marketplace accounts: forms from the adapters' settings, secrets never shown, connection checks (D2)."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.host import current_host
from marketbridge.models import MarketplaceAccount, Shop, db
from marketbridge.testing.examples.example_shop import ExampleShopEmulator
from tests.web.conftest import login

SECRET = "s3cr3t-value-that-must-never-show"


def shop_url(loop) -> str:
    return str(loop.connection.shop.settings["url"])


def add_shop(web, url: str, name: str = "My shop", api_key: str = SECRET, status: int | None = None):
    choose = web.get("/shops/new")
    form = choose.click(href="/shops/new/example_shop").forms["settings-form"]
    form["name"], form["setting_url"], form["setting_api_key"] = name, url, api_key
    return form.submit(status=status)


def test_add_shop_seals_the_secret_and_never_shows_it(web, loop):
    detail = add_shop(web, shop_url(loop)).follow()
    assert "The shop was saved." in detail.text
    shop = db.session.execute(sa.select(Shop).filter_by(name="My shop")).scalar_one()
    assert shop.settings == {"url": shop_url(loop)}
    assert SECRET not in (shop.secrets or ""), "encrypted at rest"
    assert current_host().open(shop.secrets) == {"api_key": SECRET}
    assert SECRET not in detail.text and "stored (hidden)" in detail.text
    edit = web.get(f"/shops/{shop.id}/edit")
    assert SECRET not in edit.text
    assert edit.forms["settings-form"]["setting_api_key"].value == ""
    assert "Leave this empty to keep it." in edit.text
    for path in ("/shops/", "/connections/", f"/shops/{shop.id}"):
        assert SECRET not in web.get(path).text


def test_empty_secret_keeps_the_stored_one_and_a_new_one_replaces_it(web, loop):
    add_shop(web, shop_url(loop))
    shop = db.session.execute(sa.select(Shop).filter_by(name="My shop")).scalar_one()
    shop.auth_problem = "The example shop refused the API key."
    db.session.commit()
    form = web.get(f"/shops/{shop.id}/edit").forms["settings-form"]
    form["name"] = "Renamed"
    form.submit().follow()
    db.session.expire_all()
    assert shop.name == "Renamed" and current_host().open(shop.secrets) == {"api_key": SECRET}
    assert shop.auth_problem is not None, "nothing about the access changed"
    form = web.get(f"/shops/{shop.id}/edit").forms["settings-form"]
    form["setting_api_key"] = "new-key-987654"
    form.submit().follow()
    db.session.expire_all()
    assert current_host().open(shop.secrets) == {"api_key": "new-key-987654"}
    assert shop.auth_problem is None, "new credentials: the paused jobs try again"


def test_bad_input_shows_field_errors_and_saves_nothing(web, loop):
    page = add_shop(web, "not a url", name="", api_key="", status=400)
    assert page.status_int == 400
    errors = {li.find_parent("div").find("input")["name"]: li.text for li in page.html.select("ul.errors li")}
    assert set(errors) == {"name", "setting_url", "setting_api_key"}
    assert "https://" in errors["setting_url"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Shop)).scalar_one() == 1
    shop_id = loop.connection.shop_id
    form = web.get(f"/shops/{shop_id}/edit").forms["settings-form"]
    form["setting_url"] = "ftp:/broken"
    assert form.submit(status=400).html.select("ul.errors")
    db.session.expire_all()
    assert db.session.get(Shop, shop_id).settings["url"] == shop_url(loop)


def test_check_connection_reports_success_refusal_and_outage(web, loop):
    shop_id = loop.connection.shop_id
    ok = web.get(f"/shops/{shop_id}").forms["check-form"].submit()
    assert "Everything works" in ok.text
    loop.shop.api_key = "rotated"
    refused = web.get(f"/shops/{shop_id}").forms["check-form"].submit()
    assert "Check the API key in the shop settings." in refused.text and "Everything works" not in refused.text
    loop.shop.api_key = ExampleShopEmulator.api_key
    shop = db.session.get(Shop, shop_id)
    shop.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    down = web.get(f"/shops/{shop_id}").forms["check-form"].submit()
    assert down.status_int == 200
    assert "It could not be reached" in down.text


def test_accounts_use_the_channel_fields(web, loop):
    page = web.get("/accounts/new").follow()
    assert page.request.path == "/accounts/new/example_channel", "one channel installed: straight to its form"
    form = page.forms["settings-form"]
    form["name"], form["setting_url"], form["setting_token"] = "Second account", loop.connection.account.settings["url"], SECRET
    detail = form.submit().follow()
    assert SECRET not in detail.text
    account = db.session.execute(sa.select(MarketplaceAccount).filter_by(name="Second account")).scalar_one()
    assert current_host().open(account.secrets) == {"token": SECRET}
    refused = detail.forms["check-form"].submit()
    assert "Renew the API token." in refused.text, "the marketplace refused this token: said in plain words"
    assert SECRET not in refused.text
    assert SECRET not in web.get(f"/accounts/{account.id}/edit").text


def test_oauth_channel_links_to_its_own_authorisation_page(site, loop):
    from flask import Blueprint

    from marketbridge.testing.examples.example_channel import ExampleChannel

    bp = Blueprint("consent_test", __name__)
    bp.add_url_rule("/consent-test/start", "start", lambda: "consent")
    loop.app.register_blueprint(bp)
    web = site
    login(web)
    ExampleChannel.authorize_endpoint = "consent_test.start"  # type: ignore[attr-defined]
    try:
        choose = web.get("/accounts/new")
        assert choose.html.find("a", href="/consent-test/start") is not None
        detail = web.get(f"/accounts/{loop.connection.account_id}")
        assert detail.html.find("a", href=f"/consent-test/start?account_id={loop.connection.account_id}")
    finally:
        del ExampleChannel.authorize_endpoint  # type: ignore[attr-defined]
