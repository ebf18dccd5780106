"""Click & Collect in the browser: the confirmation dialog, the bulk selection and the per-order results (K5, S5)."""
from __future__ import annotations

from playwright.sync_api import expect

from marketbridge.models import db
from tests.browser.conftest import ARTIFACTS
from tests.web.test_pickup_orders import add_store, order_row, pickup_orders, sent


def test_bulk_change_is_confirmed_in_a_dialog_and_reported_per_order(page, loop):
    add_store(loop)
    first, second, test_order, untouched = pickup_orders(loop, 4)
    order_row(test_order).is_test = True
    db.session.commit()
    page.goto("/")
    page.get_by_role("link", name="Click & Collect").click()
    for oid in (first, second, test_order):
        page.get_by_label(f"Select order {oid}").check()
    page.get_by_label("Change their marketplace status to").select_option("picked_up")
    page.get_by_role("button", name="Change selected orders…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-slot=what]")).to_have_text("Picked up")
    expect(dialog.locator("[data-slot=items] li")).to_have_text(_in_page_order(page, first, second, test_order))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pickup_bulk_dialog.png"), full_page=True)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.url.endswith("/pickup/") and sent(loop) == [], "cancelled: nothing sent"
    page.get_by_role("button", name="Change selected orders…").click()
    dialog.get_by_role("button", name="Send").click()
    results = page.locator("#pickup-results")
    expect(results).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("2 of 3 orders done.")
    expect(results.locator(f"tr[data-order='{first}']")).to_contain_text("Sent")
    expect(results.locator(f"tr[data-order='{test_order}']")).to_contain_text("Not sent")
    expect(results.locator(f"tr[data-order='{test_order}']")).to_contain_text("test order")
    assert sorted(sent(loop)) == sorted([(first, "picked_up"), (second, "picked_up")])
    assert untouched not in page.content()


def _in_page_order(page, *oids: str) -> list[str]:
    """The order numbers as the table lists them (newest first)."""
    listed = page.locator("tr[data-order-row]").evaluate_all("rows => rows.map(r => r.dataset.label)")
    return [oid for oid in listed if oid in oids]


def test_select_all_and_one_rows_button_send_only_that_order(page, loop):
    add_store(loop)
    first, second = pickup_orders(loop, 2)
    page.goto("/pickup/")
    page.get_by_label("Select all orders on this page").check()
    expect(page.get_by_label(f"Select order {first}")).to_be_checked()
    expect(page.get_by_label(f"Select order {second}")).to_be_checked()
    page.get_by_label(f"New status for order {second}").select_option("ready_for_pickup")
    page.locator(f"tr[data-label='{second}']").get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-slot=items] li")).to_have_text([second])
    expect(dialog.locator("[data-slot=what]")).to_have_text("Ready for pickup")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator("#pickup-results tbody tr")).to_have_count(1)
    assert sent(loop) == [(second, "ready_for_pickup")]
    page.get_by_role("link", name="Back to the pickup orders").click()
    expect(page.locator(f"tr[data-label='{second}'] td.status")).to_contain_text("Ready for pickup")


def test_order_page_cancellation_is_confirmed_in_the_dialog(page, loop):
    oid, = pickup_orders(loop, 1)
    page.goto(f"/orders/{order_row(oid).id}")
    page.get_by_label("Cancel on the marketplace").check()
    page.get_by_label("Reason").fill("Out of stock")
    page.get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-slot=what]")).to_have_text("Cancelled")
    expect(dialog.locator("[data-slot=items] li")).to_have_text([oid, "Out of stock"])
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_have_text("\u201cCancelled\u201d is being sent to the marketplace.")
    expect(page.locator("ol.history")).to_contain_text("Cancelled requested from the order page.")
    assert sent(loop) == [(oid, "cancelled")]


def test_partial_pickup_dialog_lists_the_quantities(page, loop):
    oid, = pickup_orders(loop, 1, skus=(("MB-MUG-BLUE", 2), ("MB-CANDLE", 1)))
    order = order_row(oid)
    blue, candle = order.lines
    page.goto(f"/pickup/orders/{order.id}/lines")
    page.get_by_label(f"Quantity of {blue.title}").fill("1")
    page.get_by_label(f"Quantity of {candle.title}").fill("0")
    page.get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-slot=items] li")).to_have_text([f"1 \u00d7 {blue.title}"])
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_contain_text("Picked up")
    assert sent(loop) == [(oid, "picked_up")]


def test_store_form_in_the_browser(page, loop):
    page.goto("/pickup/stores")
    page.get_by_role("link", name="Add a store").click()
    page.get_by_label("Store name").fill("Berlin Mitte")
    page.get_by_label("Supply source code").fill("BERLIN-01")
    page.get_by_label("Street and number").fill("Unter den Linden 1")
    page.get_by_label("Postal code").fill("10117")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("State or region").fill("Berlin")
    page.get_by_label("Monday").fill("09:00-13:00, 12:00-18:00")
    page.get_by_role("button", name="Save and send to the marketplace").click()
    expect(page.get_by_label("Monday")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field.has-errors")).to_contain_text("overlap")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pickup_store_form_errors.png"), full_page=True)
    page.get_by_label("Monday").fill("09:00-13:00, 14:00-18:00")
    page.get_by_role("button", name="Save and send to the marketplace").click()
    row = page.locator("tr[data-store='BERLIN-01']")
    expect(row).to_contain_text("Refused by the marketplace")
    expect(row).to_contain_text("no pickup stores")
