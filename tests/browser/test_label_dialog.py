"""Buying a shipping label in a real browser: the purchase waits for the confirmation dialog (L2)."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.jobs import work
from marketbridge.models import Order, ShippingLabel, db


def test_a_label_is_bought_only_after_the_dialog_is_confirmed(page, loop):
    oid = loop.marketplace.add_order(prime=True)
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    page.goto(f"/orders/{order.id}")
    page.get_by_role("link", name="Buy a shipping label from the marketplace").click()
    for label, value in (("Weight (g)", "1200"), ("Length (cm)", "30"), ("Width (cm)", "20"), ("Height (cm)", "10"),
                         ("Sender name", "Lager Nord"), ("Street and number", "Lagerweg 1"),
                         ("Postal code", "20095"), ("City", "Hamburg"), ("Country code", "DE")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Get rates").click()
    rates = page.locator("#rates")
    assert "arrives after the delivery date promised to the buyer" in rates.inner_text()
    assert rates.get_by_role("button", name="Buy").count() == 1, "only the service that keeps the promise"
    rates.get_by_role("button", name="Buy").click()
    dialog = page.get_by_role("dialog")
    assert "The marketplace is told about the shipment at once." in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert not loop.marketplace.labels, "cancel buys nothing"
    rates.get_by_role("button", name="Buy").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, buy it").click()
    page.wait_for_selector("#label")
    db.session.expire_all()
    label = db.session.execute(sa.select(ShippingLabel)).scalar_one()
    assert label.tracking_number in page.locator("#label").inner_text()
    assert len(loop.marketplace.labels) == 1 and loop.marketplace.shipments[0]["via_label"]
