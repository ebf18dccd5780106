"""Problems in plain words in English, French and German; language by user setting or browser (M2, M3)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import marketbridge
from marketbridge.engine import problems
from marketbridge.jobs import work
from marketbridge.models import Order, SyncProblem, User, db
from marketbridge.web.problem_text import known_codes, problem_text
from tests.web.conftest import EMAIL, csrf_token

ENGINE = Path(marketbridge.__file__).parent
CODE_PATTERNS = (re.compile(r'code="([a-z_]+)"'), re.compile(r'Hold\(\s*"([a-z_]+)"'),
                 re.compile(r'"code": "([a-z_]+)"'), re.compile(r'\(\s*"([a-z_]+)",\s*"[A-Z]'))
#: Why a shop price is not offered: each ``PriceNotOffered`` subclass's ``code`` becomes a stored problem.
PRICE_CODE = re.compile(r'^\s+code = "([a-z_]+)"', re.M)
#: Codes that name exceptions' kinds (http.py transport errors), never a stored problem on their own.
NOT_PROBLEMS = {"timeout", "unreachable", "request_failed", "malformed_response"}


def emitted_codes() -> set[str]:
    found: set[str] = set()
    found.update(PRICE_CODE.findall((ENGINE / "pricing.py").read_text()))
    for folder in ("engine", "policies", "jobs"):
        for path in (ENGINE / folder).rglob("*.py"):
            text = path.read_text()
            for pattern in CODE_PATTERNS:
                found.update(pattern.findall(text))
    return found - NOT_PROBLEMS


def test_every_code_the_engine_emits_has_a_text():
    codes = emitted_codes()
    assert {"product_not_found", "missing_weight", "authentication_failed", "no_carrier", "price_not_positive"} <= codes
    assert not codes - known_codes(), f"add texts (EN/FR/DE) to web/problem_text.py for {codes - known_codes()}"


def test_problem_texts_in_three_languages(loop):
    params = {"identifier": "ean", "value": "4006381333931", "title": "Blue mug"}
    message = "No shop product has {identifier} \"{value}\"."
    with loop.app.test_request_context():
        with force_locale("en"):
            english = problem_text("product_not_found", message, params)
        with force_locale("fr"):
            french = problem_text("product_not_found", message, params)
        with force_locale("de"):
            german = problem_text("product_not_found", message, params)
            expiring = problem_text("grant_expiring", "", {"account": "Amazon EU", "date": "2026-12-01"})
            unknown = problem_text("shopware_flow_missing", "Flow {flow} is missing.", {"flow": "mb-export"})
    assert english.startswith("No shop product has EAN \u201c4006381333931\u201d (line \u201cBlue mug\u201d).")
    assert french.startswith("Aucun produit de la boutique n\u2019a \u00ab\u00a04006381333931\u00a0\u00bb comme EAN")
    assert german.startswith("Kein Produkt im Shop hat \u201e4006381333931\u201c als EAN (Position \u201eBlue mug\u201c).")
    assert expiring == ("Die Autorisierung von Amazon EU l\u00e4uft am 1. Dezember 2026 ab. Erneuern Sie sie vorher, "
                        "damit weiter Bestellungen ankommen.")
    assert unknown == "Flow mb-export is missing.", "a plugin's own code: its English text, filled in"


def test_problem_page_speaks_the_browser_language_and_hides_resolved(web, loop):
    loop.marketplace.add_order(skus=[("MB-LAMP-NOWEIGHT", 1)])
    loop.connection.require_weights = True
    db.session.commit()
    work.connection_cycle(loop.host, loop.connection_id)
    problems.report(loop.clock.now(), code="stock_rejected", connection_id=loop.connection_id, subject="MB-X",
                    message="The marketplace refused the stock update for {sku}: {error}",
                    params={"sku": "MB-X", "error": "listing closed"})
    problems.resolve(loop.clock.now(), connection_id=loop.connection_id, codes=("stock_rejected",))
    db.session.commit()
    path = f"/connections/{loop.connection_id}/problems"
    english = web.get(path)
    assert "has no package weight, and this connection requires weights" in english.text
    assert "listing closed" not in english.text, "resolved problems hidden by default"
    assert "listing closed" in web.get(path, {"resolved": "1"}).text
    french = web.get(path, headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert "n\u2019a pas de poids de colis" in french.text and french.html.html["lang"] == "fr"
    german = web.get("/problems", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "hat kein Paketgewicht" in german.text and "Probleme" in german.text
    held = db.session.execute(sa.select(Order).where(Order.state == "held")).scalar_one()
    order_page = web.get(f"/orders/{held.id}", headers={"Accept-Language": "de"})
    assert "Warum die Bestellung zur\u00fcckgehalten wird" in order_page.text
    assert "Zur\u00fcckgehalten:" in order_page.html.find("ol", class_="history").text, "history translated too"


def test_user_setting_beats_the_browser(web):
    assert "Connections" in web.get("/connections/", headers={"Accept-Language": "en"}).text
    menu = web.get("/connections/").forms["language-menu"]
    german = menu.submit("locale", value="de").follow(headers={"Accept-Language": "fr"})
    assert "Verbindungen" in german.text and german.html.html["lang"] == "de"
    assert db.session.execute(sa.select(User.locale).filter_by(email=EMAIL)).scalar_one() == "de"
    assert "Verbindungen" in web.get("/orders", headers={"Accept-Language": "fr"}).text
    web.post("/language", {"csrf_token": csrf_token(web), "locale": ""})
    assert "Connexions" in web.get("/connections/", headers={"Accept-Language": "fr"}).text, "back to the browser"


@pytest.mark.parametrize("language,word", [("en", "Log in"), ("fr", "Se connecter"), ("de", "Anmelden")])
def test_login_page_follows_the_browser(site, language, word):
    page = site.get("/login", headers={"Accept-Language": language})
    assert page.html.find("h1").text == word


def test_wtforms_messages_are_translated_too(site):
    form = site.get("/login", headers={"Accept-Language": "de"}).forms["login-form"]
    page = form.submit(status=400, headers={"Accept-Language": "de"})
    assert "Dieses Feld wird benötigt." in page.text, "WTForms ships its own German"


def test_problems_are_listed_per_shop_and_account(web, loop):
    problems.report(loop.clock.now(), code="grant_expiring", account_id=loop.connection.account_id,
                    message="The authorisation of {account} expires on {date}.",
                    params={"account": "example account", "date": "2026-12-01"})
    db.session.commit()
    page = web.get(f"/accounts/{loop.connection.account_id}/problems")
    assert "expires on December 1, 2026" in page.text
    assert "expires on December 1, 2026" in web.get(f"/accounts/{loop.connection.account_id}").text
    assert "No open problems" in web.get(f"/shops/{loop.connection.shop_id}/problems").text
    assert db.session.execute(sa.select(sa.func.count()).select_from(SyncProblem)).scalar_one() == 1
