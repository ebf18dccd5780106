"""Automation rules pages (O7): builder without JS, validation, order, scope, and reprocessing imported orders."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, url_for

from marketbridge.jobs import work
from marketbridge.models import AutomationRule, Order, Shop, db
from tests.web.conftest import csrf_token


def saved_rules() -> list[AutomationRule]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(AutomationRule).order_by(AutomationRule.position)).scalars())


def fill(form, name: str, criteria: list[tuple[str, str, str]], actions: list[tuple[str, str]]) -> None:
    form["name"] = name
    for i, (field, op, value) in enumerate(criteria):
        form[f"criteria-{i}-field"], form[f"criteria-{i}-op"], form[f"criteria-{i}-value"] = field, op, value
    for i, (kind, value) in enumerate(actions):
        form[f"actions-{i}-type"], form[f"actions-{i}-value"] = kind, value


def test_a_rule_is_built_saved_and_used_by_the_engine(web, loop):
    page = web.get(f"/connections/{loop.connection_id}/rules/new")
    form = page.forms["rule-form"]
    assert form["criteria_rows"].value == "3" and form["action_rows"].value == "2", "fixed rows without JS"
    fill(form, "German orders", [("country", "equals", "DE"), ("total", "gt", "10")],
         [("add_tag", "DE"), ("set_status", "processing")])
    form["match"] = "all"
    listed = form.submit().follow()
    assert "The rule \u201cGerman orders\u201d was saved." in listed.text
    row = listed.html.find(id="rules").find("tbody").find("tr")
    assert "Shipping country is \u201cDE\u201d" in row.text and "Order total is more than \u201c10\u201d" in row.text
    assert "Add the tag \u201cDE\u201d" in row.text
    (rule,) = saved_rules()
    assert rule.connection_id == loop.connection_id and rule.match == "all" and rule.active
    assert rule.criteria == [{"field": "country", "op": "equals", "value": "DE"},
                             {"field": "total", "op": "gt", "value": "10"}]
    assert rule.actions == [{"type": "add_tag", "value": "DE"}, {"type": "set_status", "value": "processing"}]
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order)).scalar_one()
    assert "DE" in order.tags and order.shop_status == "processing"


def test_bad_rules_re_render_with_field_errors_and_save_nothing(web, loop):
    form = web.get(f"/connections/{loop.connection_id}/rules/new").forms["rule-form"]
    fill(form, "", [("country", "gt", "5"), ("total", "gte", "lots"), ("tags", "contains", "")],
         [("set_status", "teleported")])
    page = form.submit(status=400)
    errors = {ul["id"]: ul.text for ul in page.html.select("ul.errors") if ul.text.strip()}
    assert "Enter a name" in errors["name-errors"]
    assert "\u201cis more than\u201d does not apply to \u201cShipping country\u201d" in errors["criteria-0-op-errors"]
    assert "Enter a number" in errors["criteria-1-value-errors"]
    assert "Enter a value to compare with" in errors["criteria-2-value-errors"]
    assert "The shop has no status \u201cteleported\u201d" in errors["actions-0-value-errors"]
    assert page.html.find(id="criteria-1-value")["value"] == "lots", "what was typed is kept"
    form = page.forms["rule-form"]
    for i in range(3):
        form[f"criteria-{i}-field"] = ""
    form["actions-0-type"] = ""
    form["name"] = "Empty"
    page = form.submit(status=400)
    assert "Add at least one condition." in page.html.find(id="criteria-errors").text
    assert "Add at least one action." in page.html.find(id="actions-errors").text
    assert saved_rules() == []


def test_add_a_row_without_js_keeps_the_input_and_saves_nothing(web, loop):
    form = web.get(f"/connections/{loop.connection_id}/rules/new").forms["rule-form"]
    fill(form, "Many", [("sku", "contains", "MUG")], [("hold", "check the mugs")])
    page = form.submit("add", value="criteria")
    assert page.status_int == 200
    form = page.forms["rule-form"]
    assert form["criteria_rows"].value == "4" and "criteria-3-field" in form.fields
    assert form["criteria-0-value"].value == "MUG" and form["name"].value == "Many"
    form = form.submit("add", value="action").forms["rule-form"]
    assert form["action_rows"].value == "3"
    assert saved_rules() == []
    form.submit().follow()
    assert [r.actions for r in saved_rules()] == [[{"type": "hold", "value": "check the mugs"}]]


def test_rules_are_edited_reordered_and_deleted(web, loop):
    for name in ("First", "Second"):
        form = web.get(f"/connections/{loop.connection_id}/rules/new").forms["rule-form"]
        fill(form, name, [("prime", "is_true", "")], [("add_tag", name)])
        form.submit().follow()
    first, second = saved_rules()
    token = csrf_token(web)
    web.post(f"/connections/{loop.connection_id}/rules/{second.id}/move", {"csrf_token": token, "direction": "up"})
    assert [r.name for r in saved_rules()] == ["Second", "First"]
    assert [r["name"] for r in loop.host.connection_info(loop.connection).automation_rules] == ["Second", "First"]
    form = web.get(f"/connections/{loop.connection_id}/rules/{first.id}").forms["rule-form"]
    assert form["criteria-0-field"].value == "prime"
    form["active"] = False
    form.submit().follow()
    assert [r.active for r in saved_rules()] == [True, False]
    web.post(f"/connections/{loop.connection_id}/rules/{second.id}/delete", {"csrf_token": token}).follow()
    assert [r.name for r in saved_rules()] == ["First"]


def test_rules_for_every_connection_and_embedded_sessions(loop, site):
    other = loop.wire(marketplace="OTHER", active=False, name="Other shop link")
    shared = AutomationRule(connection_id=None, name="Everywhere", position=0, match="all",
                            criteria=[{"field": "prime", "op": "is_true", "value": ""}],
                            actions=[{"type": "add_tag", "value": "prime"}])
    foreign = AutomationRule(connection_id=other.id, name="Foreign", position=1, match="all",
                             criteria=[{"field": "prime", "op": "is_true", "value": ""}],
                             actions=[{"type": "add_tag", "value": "x"}])
    db.session.add_all([shared, foreign])
    db.session.commit()
    bp = Blueprint("embed_setup_rules", __name__)

    @bp.get("/embed-rules/<int:shop_id>")
    def embed(shop_id: int) -> Any:
        from marketbridge.web import login_embedded

        login_embedded(db.session.get(Shop, shop_id))
        return redirect(url_for("connections.index"))

    loop.app.register_blueprint(bp)
    site.get(f"/embed-rules/{loop.connection.shop_id}")
    page = site.get(f"/connections/{loop.connection_id}/rules")
    assert "Everywhere" in page.text and "Foreign" not in page.text
    assert "Shared by every connection" in page.text, "read-only for a shop's session"
    form = site.get(f"/connections/{loop.connection_id}/rules/new").forms["rule-form"]
    assert "applies_to" not in form.fields
    token = form["csrf_token"].value
    assert site.post(f"/connections/{loop.connection_id}/rules/{shared.id}/delete", {"csrf_token": token},
                     expect_errors=True).status_int == 403
    assert site.get(f"/connections/{loop.connection_id}/rules/{foreign.id}", expect_errors=True).status_int == 404
    assert site.get(f"/connections/{other.id}/rules", expect_errors=True).status_int == 404
    assert {r.name for r in saved_rules()} == {"Everywhere", "Foreign"}


def test_reprocess_previews_then_applies_to_imported_orders(web, loop):
    loop.marketplace.add_order()
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    nothing = web.get(f"/connections/{loop.connection_id}/rules/reprocess")
    assert nothing.html.find(id="reprocess-nothing") is not None
    db.session.add(AutomationRule(connection_id=loop.connection_id, name="Tag DE", position=0, match="all",
                                  criteria=[{"field": "country", "op": "equals", "value": "DE"}],
                                  actions=[{"type": "add_tag", "value": "Germany"},
                                           {"type": "set_status", "value": "processing"}]))
    db.session.commit()
    page = web.get(f"/connections/{loop.connection_id}/rules/reprocess")
    rows = page.html.find(id="reprocess-preview").find("tbody").find_all("tr")
    assert len(rows) == 2 and "Germany" in rows[0].text and "In progress" in rows[0].text
    form = page.forms["reprocess-form"]
    assert page.html.find(id="reprocess-form")["data-confirm"].startswith("Change 2 orders in the shop now?")
    db.session.expire_all()
    assert all(o.tags == [] or "Germany" not in o.tags for o in db.session.execute(sa.select(Order)).scalars()), \
        "the preview changes nothing"
    done = form.submit().follow()
    assert "The rules were applied again to 2 orders." in done.text
    db.session.expire_all()
    orders = db.session.execute(sa.select(Order)).scalars().all()
    assert all("Germany" in o.tags and o.shop_status == "processing" for o in orders)
    assert {loop.shop.orders[o.shop_order_id]["status"] for o in orders} == {"processing"}
