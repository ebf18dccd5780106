"""The app page inside the Ecwid admin (M1) and the OAuth install, through the app's test client.

Ecwid's encrypted payload is the only thing trusted from the query string;
it is confirmed with ``GET /profile`` before a session limited to that
shop is opened. The OAuth install brings the token without copy-paste and
is bound to the session that started it.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from marketbridge.accounts import create_or_reset_user
from marketbridge.host import current_host
from marketbridge.models import Shop, db

from marketbridge_ecwid.app_payload import encrypt_payload
from marketbridge_ecwid.signing import LinkSigner

CLIENT_ID = "marketbridge-test-app"
CLIENT_SECRET = "mb-app-secret-0123456789abcdef"
EMAIL, PASSWORD = "merchant@example.com", "correct horse battery"


@pytest.fixture
def ecwid(ecwid_loop):
    """The Marketbridge app registered with Ecwid and installed in the emulated store; a second Ecwid shop exists."""
    ecwid = ecwid_loop(app_settings={"ECWID_CLIENT_ID": CLIENT_ID, "ECWID_CLIENT_SECRET": CLIENT_SECRET})
    ecwid.store.install_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://localhost/ecwid/oauth")
    db.session.add(Shop(kind="ecwid", name="Another Ecwid store", settings={"store_id": "2002"},
                        secrets=current_host().seal({"access_token": "secret_other"}),
                        created_at=ecwid.clock.now()))
    db.session.commit()
    return ecwid


def our_shop(ecwid) -> Shop:
    return db.session.get(Shop, ecwid.connection.shop_id)


def logged_in(ecwid):
    create_or_reset_user(EMAIL, PASSWORD, admin=True)
    client = ecwid.app_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}).status_code == 302
    return client


def test_app_page_opens_the_pages_for_that_shop_only(ecwid):
    client = ecwid.app_client()

    response = client.get("/ecwid/app", query_string=ecwid.store.app_page_query(app_state="orders", lang="de"))

    assert response.status_code == 302 and response.headers["Location"] == "/orders"
    shops = client.get("/shops/").get_data(as_text=True)
    assert our_shop(ecwid).name in shops and "Another Ecwid store" not in shops
    other = db.session.execute(sa.select(Shop.id).filter_by(name="Another Ecwid store")).scalar_one()
    assert client.get(f"/shops/{other}").status_code == 404
    page = client.get("/connections/").get_data(as_text=True)
    assert 'id="logout"' not in page, "embedded: Ecwid's admin owns the session"
    assert 'lang="de"' in page, "the admin's language from the payload"


def test_app_page_reads_only_the_payload(ecwid):
    query = ecwid.store.app_page_query()  # app_state neither inside the payload nor trusted outside it
    query["app_state"] = "problems"

    response = ecwid.app_client().get("/ecwid/app", query_string=query)

    assert response.headers["Location"] == "/connections/"


def test_deep_link_to_an_order(ecwid):
    marketplace_id, ecwid_id = ecwid.import_order()
    client = ecwid.app_client()

    response = client.get("/ecwid/app", query_string=ecwid.store.app_page_query(app_state=f"order:{ecwid_id}"))

    assert re.fullmatch(r"/orders/\d+", response.headers["Location"])
    assert marketplace_id in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("case", ["missing", "other-secret", "tampered", "unconfirmed-token", "not-connected"])
def test_app_page_refusals_open_no_session(ecwid, case):
    query = ecwid.store.app_page_query()
    if case == "missing":
        query = {}
    elif case == "other-secret":
        query["payload"] = encrypt_payload({"store_id": 1003, "access_token": ecwid.store.token},
                                           "someone-elses-secret-123")
    elif case == "tampered":
        payload = query["payload"]
        query["payload"] = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    elif case == "unconfirmed-token":  # decrypts, but Ecwid does not know the token: no proof
        query["payload"] = encrypt_payload({"store_id": 1003, "access_token": "secret_made_up"}, CLIENT_SECRET)
    elif case == "not-connected":
        our_shop(ecwid).settings = {**our_shop(ecwid).settings, "store_id": "9999"}
        db.session.commit()
    client = ecwid.app_client()

    response = client.get("/ecwid/app", query_string=query)

    assert response.status_code == 403
    assert client.get("/connections/").status_code == 302, "no session was opened"
    assert db.session.execute(sa.select(sa.func.count()).select_from(Shop)).scalar_one() == 2


def test_app_page_adds_a_new_store_when_the_installation_allows_it(ecwid):
    our_shop(ecwid).settings = {**our_shop(ecwid).settings, "store_id": "9999"}
    db.session.commit()
    ecwid.loop.app.config["ECWID_AUTO_REGISTER"] = True

    response = ecwid.app_client().get("/ecwid/app", query_string=ecwid.store.app_page_query())

    assert response.status_code == 302
    [added] = [s for s in db.session.execute(sa.select(Shop)).scalars() if s.settings.get("store_id") == "1003"]
    assert added.settings["api_url"] == f"{ecwid.server.url}/api/v3"
    adapter = current_host().shop_adapter(added)
    assert adapter.check_connection().ok, "the token from the payload works"


def test_app_page_replaces_a_refused_token(ecwid):
    shop = our_shop(ecwid)
    shop.secrets = current_host().seal({"access_token": "secret_revoked"})
    shop.auth_problem = "Ecwid did not accept the access token"
    db.session.commit()
    query = ecwid.store.app_page_query()

    ecwid.app_client().get("/ecwid/app", query_string=query)

    db.session.expire_all()
    shop = our_shop(ecwid)
    assert shop.auth_problem is None and current_host().open(shop.secrets)["access_token"] != "secret_revoked"


def _consent(location: str) -> str:
    """The merchant consents on Ecwid's page: follow the authorize link to the redirect with ``?code=``."""
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_connect_installs_the_store_without_copy_paste(ecwid):
    our_shop(ecwid).settings = {**our_shop(ecwid).settings, "store_id": "9999"}
    db.session.commit()
    client = logged_in(ecwid)

    start = client.get("/ecwid/connect")
    back = _consent(start.headers["Location"])
    assert back.startswith("http://localhost/ecwid/oauth/") and "code=" in back
    done = client.get(urlsplit(back).path, query_string=urlsplit(back).query)

    [added] = [s for s in db.session.execute(sa.select(Shop)).scalars() if s.settings.get("store_id") == "1003"]
    assert done.headers["Location"] == f"/shops/{added.id}"
    assert added.name == "Marketbridge demo store (Ecwid 1003)"
    assert current_host().open(added.secrets)["access_token"].startswith("secret_")
    assert current_host().shop_adapter(added).check_connection().ok
    scopes = parse_qs(urlsplit(start.headers["Location"]).query)["scope"][0].split()
    assert {"read_orders", "create_orders", "update_orders", "read_catalog", "add_to_cp"} <= set(scopes)


@pytest.mark.parametrize("case", ["forged", "other-session", "expired"])
def test_oauth_return_is_bound_to_the_session_that_started_it(ecwid, case):
    client = logged_in(ecwid)
    back = _consent(client.get("/ecwid/connect").headers["Location"])
    path, query = urlsplit(back).path, urlsplit(back).query
    if case == "forged":
        path = "/ecwid/oauth/forged-state"
    elif case == "other-session":
        state = LinkSigner(ecwid.loop.app.secret_key, ecwid.clock, purpose="ecwid-oauth").sign({"principal": "999"})
        path = f"/ecwid/oauth/{state}"
    else:
        ecwid.clock.advance(minutes=16)

    assert client.get(path, query_string=query).status_code == 403
    assert ecwid.store.calls("GET", "/api/oauth/token") == [], "the code was never exchanged"


def test_app_market_install_is_confirmed_before_the_code_is_used(ecwid):
    client = logged_in(ecwid)
    code = ecwid.store.authorize()

    page = client.get("/ecwid/oauth", query_string={"code": code})
    assert page.status_code == 200 and "ecwid-install-form" in page.get_data(as_text=True)
    assert client.post("/ecwid/oauth", data={"code": code}).status_code == 400, "no CSRF token, no install"
    assert ecwid.store.calls("GET", "/api/oauth/token") == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post("/ecwid/oauth", data={"code": code, "csrf_token": token})

    assert done.headers["Location"] == f"/shops/{ecwid.connection.shop_id}", "the known store got the new token"
    assert len(ecwid.store.calls("GET", "/api/oauth/token")) == 1


def test_declined_install_says_so(ecwid):
    client = logged_in(ecwid)

    response = client.get("/ecwid/oauth", query_string={"error": "access_denied"}, follow_redirects=True)

    assert "did not grant access" in response.get_data(as_text=True)


def test_every_ecwid_route_protects_itself(ecwid):
    create_or_reset_user(EMAIL, PASSWORD, admin=True)  # so the login page (not first-run set-up) is the answer
    client = ecwid.app_client()
    checked = 0
    for rule in ecwid.loop.app.url_map.iter_rules():
        if not rule.endpoint.startswith("ecwid."):
            continue
        url = rule.rule.replace("<state>", "some-state")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data=b"{}")
            assert response.status_code in (302, 400, 401, 403), f"{method} {url}: {response.status_code}"
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]
            checked += 1
    assert checked == 6
    assert db.session.execute(sa.select(sa.func.count()).select_from(Shop)).scalar_one() == 2


def test_signed_state_expires_with_the_host_clock(ecwid):
    signer = LinkSigner("key", ecwid.clock, purpose="ecwid-oauth")
    state = signer.sign({"principal": "1"})
    ecwid.clock.advance(minutes=14)
    assert signer.verify(state, 15 * 60) == {"principal": "1"}
