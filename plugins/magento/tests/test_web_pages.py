"""The /magento pages through the app (WebTest), on SQLite and PostgreSQL: every route is login- or
signature-protected, the signed admin link opens a shop-scoped session once (M1), and the integration's
activation stores the keys Magento hands out."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

import sqlalchemy as sa

from marketbridge.models import Shop, db

from marketbridge_magento import admin_link
from marketbridge_magento.web import ACTIVATION_TOKEN

LINK_SECRET = "admin-link-secret-of-this-shop"


def add_shop(loop, name: str, settings: dict, secrets: dict) -> Shop:
    shop = Shop(kind="magento", name=name, settings=settings, secrets=loop.host.seal(secrets),
                created_at=loop.clock.now())
    db.session.add(shop)
    db.session.commit()
    return shop


def path_of(url: str) -> str:
    parts = urlparse(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_magento_route_refuses_anonymous_visitors(magento_loop, browser, merchant_exists):
    loop = magento_loop()
    merchant_exists()  # a user exists: anonymous visitors are sent to the login page
    client = browser(loop.app)
    token = client.get("/login").html.find("input", {"name": "csrf_token"})["value"]
    rules = [r for r in loop.app.url_map.iter_rules() if r.endpoint.startswith("magento.")]
    assert {r.endpoint for r in rules} == {"magento.setup", "magento.new_activation_address", "magento.identity",
                                           "magento.activate", "magento.admin", "magento.notify_changes"}
    for rule in rules:
        url = rule.rule.replace("<int:shop_id>", str(loop.connection.shop_id)).replace("<token>", "guess")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                res = client.get(url, expect_errors=True)
            else:
                res = client.post(url, {"csrf_token": token}, expect_errors=True)
            assert res.status_int in (302, 401, 403), f"{method} {url} answered {res.status}"
            if res.status_int == 302:
                assert "/login" in res.headers["Location"], f"{method} {url} redirects elsewhere"


def test_signed_admin_link_opens_a_session_for_that_shop_only_once(magento_loop, browser, merchant_exists):
    loop = magento_loop(shop_secrets={"admin_link_secret": LINK_SECRET})
    merchant_exists()
    other = add_shop(loop, "Another Magento store", {"url": "https://other.example"}, {})
    shop_id = str(loop.connection.shop_id)
    link = admin_link.make_link("http://localhost/magento/admin", LINK_SECRET, shop_id, "admin", loop.clock,
                                locale="de_DE", frame="1", next="/orders")
    client = browser(loop.app)
    page = client.get(path_of(link)).follow()
    assert page.request.path == "/orders" and 'lang="de"' in page.text  # Magento's admin locale
    assert 'id="logout"' not in page.text, "embedded: the Magento admin owns the session"
    shops = client.get("/shops/")
    assert "magento shop" in shops.text and "Another Magento store" not in shops.text
    client.get(f"/shops/{other.id}", status=404)
    assert client.get(path_of(link)).status_int == 302, "the same browser clicking twice is just sent on"

    stranger = browser(loop.app)  # the link copied into another browser (logs, Referer): refused
    refused = stranger.get(path_of(link), status=403)
    assert "used already" in refused.text
    assert stranger.get("/connections/").status_int == 302, "no session was opened"


def test_altered_expired_and_unknown_admin_links_are_refused(magento_loop, browser, merchant_exists):
    loop = magento_loop(shop_secrets={"admin_link_secret": LINK_SECRET})
    merchant_exists()
    no_secret = add_shop(loop, "Magento without a link secret", {"url": "https://other.example"}, {})
    shop_id = str(loop.connection.shop_id)
    client = browser(loop.app)

    def query(**extra):
        link = admin_link.make_link("http://localhost/magento/admin", LINK_SECRET, shop_id, "admin", loop.clock)
        return {**dict(parse_qsl(urlparse(link).query)), **extra}

    cases = [
        (query(user="someone-else"), "signature is wrong"),
        (query(next="/shops/"), "signature is wrong"),  # an option added after signing
        (query(sig="0" * 64), "signature is wrong"),
        (query(sig="ä" * 64), "signature is wrong"),
        ({k: v for k, v in query().items() if k != "sig"}, "incomplete"),
        (query(shop=str(no_secret.id)), "no admin link secret"),
        (query(shop="9999"), "does not belong"),
        ({}, "does not belong"),
    ]
    for params, reason in cases:
        answer = client.get("/magento/admin", params, status=403)
        assert reason in answer.text, (params, answer.text[:300])
    old = query()
    loop.clock.advance(seconds=admin_link.MAX_AGE_SECONDS + 1)
    assert "expired" in client.get("/magento/admin", old, status=403).text
    assert client.get("/connections/").status_int == 302, "no refusal opened a session"


def test_integration_activation_stores_the_keys_magento_hands_out(magento_loop, emulator, server, merchant):
    loop = magento_loop()
    shop = add_shop(loop, "New Magento store", {"url": server.url, "store_code": "default"}, {})
    client = merchant(loop.app)
    page = client.get(f"/magento/shops/{shop.id}/setup")
    endpoint = page.html.find(id="endpoint-url").text
    assert page.html.find(id="notify-url").text.endswith(f"/magento/notify/{shop.id}")

    form = emulator.activation_form(server.url + "/")  # what Magento posts when the merchant clicks Activate
    client.post(path_of(endpoint).replace(path_of(endpoint).split("/")[-1], "guessed-token"), form, status=403)
    assert emulator.calls("POST", "/oauth/token") == [], "a wrong address reaches nobody"
    foreign = {**form, "store_base_url": "https://attacker.example/"}
    client.post(path_of(endpoint), foreign, status=403)

    answer = client.post(path_of(endpoint), form)
    assert answer.json["message"] == "Marketbridge is connected to this store."
    db.session.expire_all()
    stored = loop.host.open(db.session.get(Shop, shop.id).secrets)
    assert stored == {"consumer_key": emulator.consumer_key, "consumer_secret": emulator.consumer_secret,
                      "access_token": emulator.access_token, "access_token_secret": emulator.access_token_secret}
    assert loop.host.shop_adapter(db.session.get(Shop, shop.id)).check_connection().ok
    replay = client.post(path_of(endpoint), form, status=403)
    assert "already used" in replay.json["message"]

    identity = client.get(f"/magento/identity/{shop.id}", {"oauth_consumer_key": emulator.consumer_key,
                                                           "success_call_back": server.url + "/admin/ok"})
    assert "received the integration's keys" in identity.text and identity.html.find(id="finish")
    elsewhere = client.get(f"/magento/identity/{shop.id}", {"oauth_consumer_key": emulator.consumer_key,
                                                            "success_call_back": "https://evil.example/"})
    assert elsewhere.html.find(id="finish") is None, "never an open redirect"


def test_new_activation_address_needs_the_form_token_and_replaces_the_old_one(magento_loop, merchant):
    loop = magento_loop()
    client = merchant(loop.app)
    shop_id = loop.connection.shop_id
    page = client.get(f"/magento/shops/{shop_id}/setup")
    before = page.html.find(id="endpoint-url").text
    client.post(f"/magento/shops/{shop_id}/activation", {}, status=400)  # no CSRF token
    page.forms["activation-form"].submit().follow()
    after = client.get(f"/magento/shops/{shop_id}/setup").html.find(id="endpoint-url").text
    assert after != before and before.rsplit("/", 1)[1] not in after
    tokens = db.session.execute(sa.text("select count(*) from adapter_state where key = :k"),
                                {"k": ACTIVATION_TOKEN}).scalar_one()
    assert tokens == 1
