"""Carriers page (S4): the default carrier, carrier rules tested before saving, and the dry run."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.models import CarrierRule, Connection, db
from tests.web.conftest import csrf_token


def rules(connection_id: int) -> list[tuple[str | None, str | None, str]]:
    db.session.expire_all()
    return [(r.pattern, r.shop_carrier, r.carrier_code) for r in db.session.execute(
        sa.select(CarrierRule).filter_by(connection_id=connection_id).order_by(CarrierRule.position, CarrierRule.id))
        .scalars()]


def test_missing_default_carrier_is_said_prominently_and_can_be_set(web, loop):
    loop.connection.default_carrier = None
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}/carriers")
    alert = page.html.find(id="no-default-carrier")
    assert alert["role"] == "alert" and "not sent to the marketplace at all" in alert.text
    assert [o["value"] for o in page.html.find(id="default_carrier-options").find_all("option")] == \
        ["DHL", "DPD", "Other", "UPS"], "the marketplace's own codes, searchable"
    form = page.forms["default-carrier-form"]
    form["default_carrier"] = "Pigeon Post"
    refused = form.submit(status=400)
    assert "does not know the carrier code \u201cPigeon Post\u201d" in refused.html.find(id="default_carrier-errors").text
    db.session.expire_all()
    assert db.session.get(Connection, loop.connection_id).default_carrier is None
    form = refused.forms["default-carrier-form"]
    form["default_carrier"] = "UPS"
    saved = form.submit().follow()
    assert "The default carrier is now \u201cUPS\u201d." in saved.text and saved.html.find(id="no-default-carrier") is None
    db.session.expire_all()
    assert db.session.get(Connection, loop.connection_id).default_carrier == "UPS"


def test_a_rule_is_saved_once_its_pattern_matches_the_samples(web, loop):
    form = web.get(f"/connections/{loop.connection_id}/carriers").forms["carrier-rule-form"]
    form["pattern"], form["samples"], form["carrier_code"] = r"JJD\d{13}", "JJD1410302937991\n", "DHL"
    saved = form.submit().follow()
    assert "The carrier rule was added." in saved.text
    assert "Sample 'JJD1410302937991' matches the pattern." in saved.html.get_text(), "the checker's findings are shown"
    assert rules(loop.connection_id) == [(r"JJD\d{13}", None, "DHL")]
    assert loop.host.connection_info(loop.connection).carrier_rules[0].pattern == r"JJD\d{13}"


def test_unsafe_invalid_or_untested_patterns_are_refused(web, loop):
    url = f"/connections/{loop.connection_id}/carriers"
    cases = [
        (r"(\d+)+X", "12345X", "pattern-errors", "practically forever"),
        (r"JJD[0-9", "JJD1", "pattern-errors", "not a valid regular expression"),
        (r"JJD\d{13}", "", "samples-errors", "Enter at least one tracking number"),
        (r"JJD\d{13}", "1Z999AA10123456784", "samples-errors", "Some samples do not match the pattern: 1Z999AA10123456784"),
    ]
    for pattern, samples, where, expected in cases:
        form = web.get(url).forms["carrier-rule-form"]
        form["pattern"], form["samples"], form["carrier_code"] = pattern, samples, "DHL"
        page = form.submit(status=400)
        text = page.html.find(id=where).text + page.html.find(id="pattern-findings").text \
            if page.html.find(id="pattern-findings") else page.html.find(id=where).text
        assert expected in text, (pattern, samples, text)
    form = web.get(url).forms["carrier-rule-form"]
    form["carrier_code"] = "Pigeon"
    page = form.submit(status=400)
    assert "a rule without either never matches" in page.html.find(id="pattern-errors").text
    assert "does not know the carrier code \u201cPigeon\u201d" in page.html.find(id="carrier_code-errors").text
    form = page.forms["carrier-rule-form"]
    form["shop_carrier"], form["carrier_code"] = "Kurier Müller", "Other"
    page = form.submit(status=400)
    assert "name the carrier" in page.html.find(id="carrier_name-errors").text
    assert rules(loop.connection_id) == [], "nothing saved"


def test_rules_are_edited_reordered_and_deleted(web, loop):
    url = f"/connections/{loop.connection_id}/carriers"
    for shop_name, code in (("UPS Standard", "UPS"), ("DPD Classic", "DPD")):
        form = web.get(url).forms["carrier-rule-form"]
        form["shop_carrier"], form["carrier_code"] = shop_name, code
        form.submit().follow()
    first, second = db.session.execute(sa.select(CarrierRule.id).order_by(CarrierRule.position)).scalars().all()
    page = web.get(url)
    down = page.html.find(id=f"rule-{first}").find("button", value="down")
    assert down is not None and page.html.find(id=f"rule-{first}").find("button", value="up") is None
    token = csrf_token(web, url)
    web.post(f"{url}/rules/{first}/move", {"csrf_token": token, "direction": "down"}).follow()
    assert [r[2] for r in rules(loop.connection_id)] == ["DPD", "UPS"]
    edit = web.get(f"{url}/rules/{second}").forms["carrier-rule-form"]
    assert edit["shop_carrier"].value == "DPD Classic"
    edit["carrier_code"] = "Other"
    edit["carrier_name"] = "DPD"
    edit.submit().follow()
    assert rules(loop.connection_id)[0] == (None, "DPD Classic", "Other")
    web.post(f"{url}/rules/{first}/delete", {"csrf_token": token}).follow()
    assert rules(loop.connection_id) == [(None, "DPD Classic", "Other")]
    assert web.get(f"{url}/rules/{first}", expect_errors=True).status_int == 404


def test_try_a_tracking_number_shows_what_would_be_sent(web, loop):
    url = f"/connections/{loop.connection_id}/carriers"
    db.session.add(CarrierRule(connection_id=loop.connection_id, position=0, pattern=r"ZZ\d{6}", carrier_code="UPS",
                               carrier_name="UPS Express"))
    db.session.commit()
    by_rule = web.get(url, {"tracking": "ZZ 123456", "shop_carrier": "", "country": "DE"})
    result = by_rule.html.find(id="try-result").text
    assert "Would send the carrier code UPS." in result and "rule 1 matches" in result
    by_library = web.get(url, {"tracking": "00340433836442636597", "shop_carrier": "DHL", "country": "DE"})
    assert "Would send the carrier code DHL." in by_library.html.find(id="try-result").text
    assert "built-in tracking-number formats" in by_library.html.find(id="try-result").text
    by_default = web.get(url, {"tracking": "QQQ", "shop_carrier": "", "country": "DE"})
    assert "default carrier is used" in by_default.html.find(id="try-result").text
    loop.connection.default_carrier = None
    db.session.commit()
    nothing = web.get(url, {"tracking": "QQQ", "shop_carrier": "", "country": "DE"})
    assert "Nothing would be sent" in nothing.html.find(id="try-result").text
    assert "does not recognise the carrier of tracking number 'QQQ'" in nothing.html.find(id="try-result").text
    assert loop.marketplace.orders == {} or all(not o.get("shipments") for o in loop.marketplace.orders.values())
