"""The shipping-label page (L1, L2): parcel form, rates with refusals, a confirmed purchase, the label download."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.jobs import work
from marketbridge.models import Connection, Order, ShippingLabel, db


def imported(loop, **order) -> Order:
    oid = loop.marketplace.add_order(**order)
    loop.clock.advance(minutes=2)
    work.connection_cycle(loop.host, loop.connection_id)
    return db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()


def fill(form, **values) -> None:
    defaults = {"weight_grams": "1200", "length_cm": "30", "width_cm": "20", "height_cm": "10", "name": "Lager Nord",
                "line1": "Lagerweg 1", "postal_code": "20095", "city": "Hamburg", "country_code": "DE"}
    for key, value in {**defaults, **values}.items():
        form[key] = value


def test_rates_show_the_refused_service_and_buying_one_tells_the_marketplace(web, loop):
    order = imported(loop, prime=True)
    detail = web.get(f"/orders/{order.id}")
    page = detail.click(href=f"/orders/{order.id}/label")
    form = page.forms["parcel-form"]
    fill(form, weight_grams="0", country_code="Germany")
    refused = form.submit(status=400)
    assert "from 1 to 70000" in refused.text and "two-letter country code" in refused.text
    fill(form := refused.forms["parcel-form"])
    rates = form.submit()
    rows = {row.select("td")[1].text: row for row in rates.html.select("#rates tbody tr")}
    assert "arrives after the delivery date promised to the buyer" in rows["Paket"].text, "L1: refused, with why"
    assert rows["Paket"].select("form") == [], "a refused service cannot be bought"
    buy = rates.forms["buy-2"]  # Express
    confirm = rates.html.find("form", id="buy-2")["data-confirm"]
    assert "Express" in confirm and "told about the shipment at once" in confirm, "confirmed in a dialog first"
    done = buy.submit().follow()
    assert "bought" in done.text and "knows the shipment already" in done.text
    label = db.session.execute(sa.select(ShippingLabel)).scalar_one()
    assert [s["tracking"] for s in loop.marketplace.shipments] == [label.tracking_number]
    download = done.click(href=f"/orders/{order.id}/label/document")
    assert download.content_type == "application/pdf" and download.body.startswith(b"%PDF")
    assert f"label-{order.marketplace_order_id}.pdf" in download.headers["Content-Disposition"]
    assert "Show the label" in web.get(f"/orders/{order.id}").text
    again = web.get(f"/orders/{order.id}/label")
    assert "parcel-form" not in again.text and label.tracking_number in again.text, "one label per order"
    db.session.expire_all()
    assert db.session.get(Connection, loop.connection_id).settings["ship_from"]["city"] == "Hamburg", \
        "the address is offered again next time"


def test_a_purchase_without_csrf_or_for_a_marketplace_fulfilled_connection_is_refused(web, loop):
    order = imported(loop)
    web.post(f"/orders/{order.id}/label/buy", {"token": "Q-1", "rate_id": "dhl-exp"}, status=400)
    assert not loop.marketplace.labels
    loop.connection.fulfilment_channel = "marketplace"
    db.session.commit()
    web.get(f"/orders/{order.id}/label", status=404)
    assert "Buy a shipping label" not in web.get(f"/orders/{order.id}").text


def test_the_order_page_says_why_no_label_can_be_bought(web, loop):
    order = imported(loop)
    loop.shop.ship(order.shop_order_id, "00340434161234567890", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    page = web.get(f"/orders/{order.id}", headers={"Accept-Language": "de"})
    refusal = page.html.find(id="shipping-label-refusal").text
    assert "bereits versandt" in refusal and page.html.find(id="shipping-label-link") is None


def test_a_label_of_an_unexpected_type_is_downloaded_as_bytes_never_rendered(web, loop):
    """The media type comes from the marketplace: an HTML "label" must not run in the merchant's session."""
    order = imported(loop)
    db.session.add(ShippingLabel(order_id=order.id, label_id="L-1", tracking_number="T1", carrier="DHL",
                                 service="Paket", media_type="text/html", document=b"<script>alert(1)</script>",
                                 bought_at=loop.clock.now()))
    db.session.commit()
    download = web.get(f"/orders/{order.id}/label/document")
    assert download.content_type == "application/octet-stream"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_label_pages_need_a_login(site, loop):
    order = imported(loop)
    page = site.get(f"/orders/{order.id}/label", status=302)
    assert "/login" in page.headers["Location"]


def test_every_refusal_of_the_engine_has_its_translation():
    from marketbridge.engine import labels
    from marketbridge.web.labels import REFUSALS

    sentences = {value for name, value in vars(labels).items() if name.isupper() and isinstance(value, str)
                 and name != "KIND"}
    assert sentences == set(REFUSALS) and all(str(REFUSALS[s]) == s for s in sentences), \
        "each English refusal is translated, word for word"
