"""Set-up pages in a real browser: the live duplicate check of the status mapping, and the reprocess dialog."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.jobs import work
from marketbridge.models import AutomationRule, Order, StatusMapping, db


def test_status_mapping_marks_a_duplicate_before_saving(page, loop):
    page.goto(f"/connections/{loop.connection_id}/statuses")
    shipped = page.get_by_label("Shipped", exact=True)
    cancelled = page.get_by_label("Cancelled", exact=True)
    shipped.select_option("shipped")
    cancelled.select_option("shipped")
    errors = page.locator("#status-cancelled-errors")
    assert "already chosen for \u201cShipped\u201d" in errors.inner_text()
    assert cancelled.get_attribute("aria-invalid") == "true"
    assert "already chosen for \u201cCancelled\u201d" in page.locator("#status-shipped-errors").inner_text()
    cancelled.select_option("cancelled")
    assert errors.inner_text().strip() == "" and cancelled.get_attribute("aria-invalid") is None
    cancelled.select_option("shipped")
    page.get_by_role("button", name="Save the mapping").click()
    assert "only one marketplace status" in page.locator("#status-shipped-errors").inner_text(), "the server refuses too"
    db.session.expire_all()
    assert db.session.execute(sa.select(StatusMapping)).first() is None


def test_reprocess_asks_for_confirmation_in_a_dialog(page, loop):
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    db.session.add(AutomationRule(connection_id=loop.connection_id, name="Tag DE", position=0, match="all",
                                  criteria=[{"field": "country", "op": "equals", "value": "DE"}],
                                  actions=[{"type": "add_tag", "value": "Germany"}]))
    db.session.commit()
    page.goto(f"/connections/{loop.connection_id}/rules/reprocess")
    page.get_by_role("button", name="Apply to 1 order").click()
    dialog = page.get_by_role("dialog")
    assert "Change 1 order in the shop now?" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible()
    db.session.expire_all()
    assert "Germany" not in db.session.execute(sa.select(Order)).scalar_one().tags, "cancel sends nothing"
    page.get_by_role("button", name="Apply to 1 order").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, change them").click()
    page.wait_for_url(f"**/connections/{loop.connection_id}/rules")
    assert "The rules were applied again to 1 order." in page.locator(".flash-success").inner_text()
    db.session.expire_all()
    assert "Germany" in db.session.execute(sa.select(Order)).scalar_one().tags


def test_rule_builder_adds_rows_and_fits_comparisons_in_place(page, loop):
    page.goto(f"/connections/{loop.connection_id}/rules/new")
    page.get_by_label("Name").fill("Big orders")
    page.locator("#criteria-0-field").select_option("prime")
    assert page.locator("#criteria-0-value").is_hidden(), "a yes/no field needs no value"
    assert page.locator("#criteria-0-op").input_value() == "is_true"
    url = page.url
    page.get_by_role("button", name="Add a condition").click()
    assert page.url == url and page.locator(".criteria-row").count() == 4, "added in place"
    page.locator("#criteria-3-field").select_option("total")
    page.locator("#criteria-3-op").select_option("gte")
    page.locator("#criteria-3-value").fill("200")
    page.locator("#actions-0-type").select_option("hold")
    page.locator("#actions-0-value").fill("check big Prime orders")
    page.get_by_role("button", name="Save the rule", exact=True).last.click()
    page.wait_for_url(f"**/connections/{loop.connection_id}/rules")
    db.session.expire_all()
    rule = db.session.execute(sa.select(AutomationRule)).scalar_one()
    assert rule.criteria == [{"field": "prime", "op": "is_true", "value": ""},
                             {"field": "total", "op": "gte", "value": "200"}]


def test_backfill_progress_bar_follows_the_cursor(page, loop):
    from playwright.sync_api import expect

    from marketbridge.models import SyncCursor

    cursor = SyncCursor(scope="connection", scope_id=loop.connection_id, stream="orders", value="page-1",
                        progress_done=10, progress_total=40)
    db.session.add(cursor)
    db.session.commit()
    page.goto(f"/connections/{loop.connection_id}")
    text = page.locator("#backfill-text")
    assert "10 of 40 orders fetched" in text.inner_text()
    cursor.progress_done = 40
    db.session.commit()
    expect(text).to_contain_text("All 40 orders since", timeout=10_000)
    assert page.locator("#backfill-progress progress").evaluate("bar => bar.value") == 100
    assert page.locator("#backfill-progress").get_attribute("data-running") == "false", "polling stops"
