"""The Amazon pages: website authorisation through the emulated consent page (C7), renewal (C8), refusals
without side effects, the quota page, login and CSRF on every route, three languages."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
import webtest

from marketbridge.accounts import create_or_reset_user
from marketbridge.models import MarketplaceAccount, Order, SyncProblem, db

from marketbridge_amazon.authorization import GRANT_KEY, make_state
from marketbridge_amazon.emulator import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET

EMAIL, PASSWORD = "merchant@example.com", "correct horse battery"
DE = "A1PA6795UKMFR9"


class FreshContext:
    """Each request in an app context of its own, as under a real server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.app.app_context():
            return list(self.app.wsgi_app(environ, start_response))


def browser(app: Any, language: str = "en") -> webtest.TestApp:
    return webtest.TestApp(FreshContext(app), extra_environ={"HTTP_ACCEPT_LANGUAGE": language})


def logged_in(app: Any, language: str = "en", email: str = EMAIL) -> webtest.TestApp:
    create_or_reset_user(email, PASSWORD, admin=True)
    site = browser(app, language)
    form = site.get("/login").forms["login-form"]
    form["email"], form["password"] = email, PASSWORD
    form.submit().follow()
    return site


@pytest.fixture
def site(amazon_loop, server):
    """The app with the installation's Amazon app pointing at the emulator, and a logged-in merchant."""
    loop = amazon_loop(settings={"AMAZON_APPLICATION_ID": APPLICATION_ID, "AMAZON_LWA_CLIENT_ID": CLIENT_ID,
                                 "AMAZON_LWA_CLIENT_SECRET": CLIENT_SECRET, "AMAZON_SELLER_CENTRAL_URL": server.url,
                                 "AMAZON_ENDPOINT": server.url, "AMAZON_LWA_TOKEN_URL": server.url + "/auth/o2/token"})
    web = logged_in(loop.app)
    web.loop = loop
    yield web
    db.session.rollback()


def start(web: webtest.TestApp, account_id: int | None = None, marketplace: str = DE) -> str:
    """Submit the start page; returns the consent page address Amazon's browser redirect goes to."""
    url = "/amazon/authorize" + (f"?account_id={account_id}" if account_id else "")
    form = web.get(url).forms["amazon-authorize-form"]
    form["marketplace"] = marketplace
    answer = form.submit(status=302)
    return answer.headers["Location"]


def consent(location: str) -> str:
    """The seller confirms on (emulated) Seller Central; returns the callback path with its query."""
    page = requests.get(location, timeout=5)
    assert page.status_code == 200 and "Confirm" in page.text
    confirm = requests.get(location.replace("/consent?", "/confirm?"), allow_redirects=False, timeout=5)
    back = urlsplit(confirm.headers["Location"])
    return f"{back.path}?{back.query}"


def another_seller(emulator: Any, seller_id: str = "A2NEWSELLER") -> str:
    """The seller who confirms on the emulated consent page from now on."""
    from marketbridge_amazon.emulator.core import Seller

    emulator.sellers[seller_id] = Seller(seller_id)
    emulator.default_seller = seller_id
    return seller_id


def amazon_accounts() -> list[MarketplaceAccount]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(MarketplaceAccount).filter_by(kind="amazon")
                                   .order_by(MarketplaceAccount.id)).scalars())


def test_a_new_account_is_authorised_through_the_consent_page(site, server, emulator, clock):
    seller = another_seller(emulator)
    location = start(site)
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert location.startswith(server.url + "/apps/authorize/consent?")
    assert query["application_id"] == [APPLICATION_ID] and query["redirect_uri"] == ["http://localhost/amazon/callback"]
    before = len(amazon_accounts())
    done = site.get(consent(location), status=302)
    accounts = amazon_accounts()
    assert len(accounts) == before + 1
    account = accounts[-1]
    assert done.headers["Location"].endswith(f"/accounts/{account.id}")
    assert account.granted_at == clock.now() and account.expires_at == clock.now() + timedelta(days=365)
    assert account.settings["selling_partner_id"] == seller and account.settings["region"] == "eu"
    host = site.loop.host
    secrets = host.open(account.secrets)
    assert secrets["refresh_token"].startswith("Atzr|") and secrets["refresh_token"] not in str(account.settings)
    assert host.account_adapter(account).context.state.get(GRANT_KEY)["selling_partner_id"] == seller
    assert [m.id for m in host.account_adapter(account).marketplaces()][0] == DE, "the new grant works"
    db.session.commit()  # the adapter's state writes (token cache, buckets)
    page = done.follow()
    assert f"Amazon seller account {seller} is authorised until" in page.text
    assert secrets["refresh_token"] not in page.text and CLIENT_SECRET not in page.text

    again = site.get(consent(start(site)), status=302)  # the same seller once more: renewed, not duplicated
    assert again.headers["Location"].endswith(f"/accounts/{account.id}") and len(amazon_accounts()) == before + 1


def test_forged_expired_foreign_and_replayed_answers_change_nothing(site, emulator, clock):
    another_seller(emulator)
    callback = consent(start(site))
    state = parse_qs(urlsplit(callback).query)["state"][0]
    body, signature = state.split(".")
    tampered = callback.replace(state, body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature)
    tokens_before = len(emulator.calls("POST", "/auth/o2/token"))
    page = site.get(tampered, status=400)
    assert "does not come from an authorisation started here" in page.text
    foreign = make_state(b"x" * 32, "", clock.now())
    assert "does not come from" in site.get(callback.replace(state, foreign), status=400).text
    accounts = len(amazon_accounts())

    site.get(callback, status=302)  # the real one, once
    assert len(amazon_accounts()) == accounts + 1
    replay = site.get(callback, status=400)
    assert "already used" in replay.text
    other = logged_in(site.loop.app, email="colleague@example.com")
    assert "started by someone else" in other.get(callback, status=403).text
    slow = consent(start(site))
    clock.advance(minutes=11)
    assert "more than ten minutes" in site.get(slow, status=400).text
    assert len(amazon_accounts()) == accounts + 1
    assert len(emulator.calls("POST", "/auth/o2/token")) == tokens_before + 1, "only the real answer reached LWA"


def test_a_spent_code_or_amazons_refusal_is_explained(site, emulator):
    callback = consent(start(site))
    code = parse_qs(urlsplit(callback).query)["spapi_oauth_code"][0]
    emulator.codes.pop(code)  # older than five minutes or used elsewhere
    assert "already used or is older than five minutes" in site.get(callback, status=400).text
    assert "access_denied" in site.get("/amazon/callback?error=access_denied", status=400).text
    assert len(amazon_accounts()) == 1, "only the connection's own account"


def test_renewal_keeps_the_account_and_clears_the_problem(site, emulator, clock):
    loop = site.loop
    placed = loop.place(skus=["MB-CANDLE"])
    loop.run(minutes=6, step=3, shop=False)
    emulator.revoke("Atzr|emulator-refresh-token")
    later = loop.place(skus=["MB-MUG-RED"])
    loop.run(minutes=3, step=3, shop=False)
    account = db.session.get(MarketplaceAccount, loop.connection.account_id)
    assert account.auth_problem
    renew_link = site.get(f"/accounts/{account.id}").text
    assert f"/amazon/authorize?account_id={account.id}" in renew_link

    clock.advance(days=30)
    site.get(consent(start(site, account.id)), status=302)
    account = amazon_accounts()[0]
    assert account.id == loop.connection.account_id and account.auth_problem is None
    assert account.granted_at == clock.now() and account.expires_at == clock.now() + timedelta(days=365)
    assert loop.host.open(account.secrets)["refresh_token"] != "Atzr|emulator-refresh-token"
    assert not db.session.execute(sa.select(SyncProblem).filter_by(account_id=account.id)
                                  .where(SyncProblem.resolved_at.is_(None))).scalars().all()
    loop.run(minutes=9, step=3, shop=False)
    ids = set(db.session.execute(sa.select(Order.marketplace_order_id)).scalars())
    assert ids == {placed.order_id, later.order_id}, "orders kept, and the import resumed"


def test_renewal_by_another_seller_is_refused(site, emulator):
    loop = site.loop
    another_seller(emulator, "A2OTHERSELLER")
    page = site.get(consent(start(site, loop.connection.account_id)), status=400)
    assert "A2OTHERSELLER" in page.text and "A3EMULATORSELLER" in page.text
    assert loop.host.open(amazon_accounts()[0].secrets)["refresh_token"] == "Atzr|emulator-refresh-token"


def test_quota_page_shows_calls_rates_and_levels(site):
    loop = site.loop
    loop.place(skus=["MB-CANDLE"])
    loop.run(minutes=6, step=3, shop=False)
    account_id = loop.connection.account_id
    page = site.get(f"/amazon/accounts/{account_id}/quota")
    table = page.html.find(id="amazon-quota")
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.tbody.find_all("tr")}
    calls, ran_out, announced, documented, burst, available, _ = rows["searchOrders"]
    assert int(calls) >= 2 and ran_out == "0" and announced == documented == "one every 179 s" and burst == "20"
    assert available.endswith("of 20")
    assert "getOrder" in rows or "searchOrders" in rows
    index = site.get("/amazon/")
    assert f"/amazon/accounts/{account_id}/quota" in index.text


def test_every_amazon_page_needs_a_login_and_posts_need_the_csrf_token(site):
    app = site.loop.app
    anonymous = browser(app)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("amazon.")]
    assert {r.endpoint for r in rules} == {"amazon.index", "amazon.authorize", "amazon.callback", "amazon.quota"}
    for rule in rules:
        url = rule.rule.replace("<int:account_id>", str(site.loop.connection.account_id))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                answer = anonymous.get(url, expect_errors=True)
            else:  # a valid anonymous CSRF token: only the login check may refuse
                token = anonymous.get("/login").forms["login-form"]["csrf_token"].value
                answer = anonymous.post(url, {"csrf_token": token, "marketplace": DE}, expect_errors=True)
            assert answer.status_int == 302 and "/login" in answer.headers["Location"], f"{method} {url}"
    refused = site.post("/amazon/authorize", {"marketplace": DE}, expect_errors=True)
    assert refused.status_int == 400 and "Location" not in refused.headers


def test_a_foreign_or_unknown_account_is_not_found(site):
    assert site.get("/amazon/accounts/999/quota", expect_errors=True).status_int == 404
    assert site.get("/amazon/authorize?account_id=999", expect_errors=True).status_int == 404


def test_pages_speak_french_and_german(site):
    for language, words, title in (("fr", ["Associer un compte vendeur Amazon", "Place de marché"], "Quota Amazon"),
                                   ("de", ["Amazon-Verkäuferkonto verbinden", "Marktplatz"], "Amazon-Kontingent")):
        web = logged_in(site.loop.app, language, email=f"{language}@example.com")
        page = web.get("/amazon/authorize").text
        assert all(word in page for word in words), language
        assert title in web.get(f"/amazon/accounts/{site.loop.connection.account_id}/quota").text
