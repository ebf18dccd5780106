"""Click & Collect stores (K1), their own stock (K2) and pickup products (K3) through the pages.

The example marketplace has no pickup: every store it is sent is refused,
which is how the refusal is shown here (test_pickup_sync covers a channel
that accepts stores).
"""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.models import Listing, OutboxMessage, OutboxState, Store, StoreStock, db

BERLIN = {"name": "Berlin Mitte", "code": "BERLIN-01", "line1": "Unter den Linden 1", "postal_code": "10117",
          "city": "Berlin", "region": "Berlin", "country_code": "de", "phone": "+49 30 123456",
          "email": "berlin@example.com", "timezone": "Europe/Berlin", "handling_value": "2", "handling_unit": "hours",
          "hold_days": "6", "stock_mode": "shop", "hours_monday": "09:00-13:00, 14:00-18:30",
          "hours_saturday": "10:00 - 16:00"}


def fill(form, values):
    for key, value in values.items():
        form[key] = value
    return form


def add_store(web, loop, status=None, **changes):
    page = web.get(f"/pickup/connections/{loop.connection_id}/stores/new")
    return fill(page.forms["store-form"], {**BERLIN, **changes}).submit(status=status)


def queued_stock():
    """The latest stock quantity queued or sent per (SKU, store code)."""
    db.session.expire_all()
    rows = db.session.execute(sa.select(OutboxMessage.payload).filter_by(kind="stock")
                              .where(OutboxMessage.state != OutboxState.SUPERSEDED).order_by(OutboxMessage.id)).scalars()
    return {(p["sku"], p["store_code"]): p["quantity"] for p in rows}


def store_row(code="BERLIN-01"):
    db.session.expire_all()
    return db.session.execute(sa.select(Store).filter_by(code=code)).scalar_one()


def test_store_is_saved_sent_and_the_refusal_shown_in_plain_words(web, loop):
    done = add_store(web, loop).follow()
    assert "was saved and is being sent to the marketplace" in done.text
    store = store_row()
    assert store.name == "Berlin Mitte" and store.hold_days == 6 and store.handling_time_minutes == 120
    assert store.address == {"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin",
                             "region": "Berlin", "country_code": "DE", "phone": "+49 30 123456",
                             "email": "berlin@example.com", "timezone": "Europe/Berlin"}
    assert store.opening_hours == {"monday": [["09:00", "13:00"], ["14:00", "18:30"]],
                                   "saturday": [["10:00", "16:00"]]}
    # saving queued the store and the delivery ran at once: the example marketplace has no pickup stores
    message = db.session.execute(sa.select(OutboxMessage).filter_by(kind="store")).scalar_one()
    assert message.payload == {"store_id": store.id, "action": "upsert"} and message.state == OutboxState.FAILED
    row = done.html.find("tr", attrs={"data-store": "BERLIN-01"})
    assert "Refused by the marketplace" in row.text
    assert "The marketplace did not accept the store BERLIN-01" in row.text and "no pickup stores" in row.text
    edit = web.get(f"/pickup/stores/{store.id}/edit")
    assert "no pickup stores" in edit.html.find(id="store-problem").text
    assert edit.forms["store-form"]["hours_monday"].value == "09:00-13:00, 14:00-18:30"
    assert edit.forms["store-form"]["handling_value"].value == "2"


def test_bad_store_input_shows_field_errors_and_saves_nothing(web, loop):
    page = add_store(web, loop, name="", code="bad code!", country_code="Germany", hold_days="45",
                     hours_monday="9-18", hours_tuesday="14:00-18:00, 09:00-15:00", hours_friday="18:00-09:00",
                     handling_value="", email="nope", status=400)
    assert page.status_int == 400
    errors = {li.find_parent("div", class_="field").find("label").text.strip(): li.text
              for li in page.html.select(".field ul.errors li")}
    assert errors["Store name"] == "This field is required."
    assert "letters, digits" in errors["Supply source code"]
    assert "two-letter country code" in errors["Country"]
    assert "from 1 to 30" in errors["Hold period in days"]
    assert "\u201c9-18\u201d is not a time span" in errors["Monday"]
    assert "overlap" in errors["Tuesday"]
    assert "opening time must come before the closing time" in errors["Friday"]
    assert "Enter how long" in errors["Order handling time"]
    assert "Enter an e-mail address." == errors["E-mail address"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Store)).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_code_is_unique_per_connection(web, loop):
    add_store(web, loop)
    again = add_store(web, loop, code="berlin-01", name="Second", status=400)
    assert "Another store of this connection already has this code." in again.text
    other = loop.wire(marketplace="A13V1IB3VIYZZH", shop=loop.connection.shop)
    page = web.get(f"/pickup/connections/{other.id}/stores/new")
    fill(page.forms["store-form"], BERLIN).submit().follow()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Store)).scalar_one() == 2


def test_edit_changes_the_store_and_its_listings_until_it_reached_the_marketplace(web, loop):
    add_store(web, loop)
    store = store_row()
    db.session.add(Listing(connection_id=loop.connection_id, sku="MB-MUG-RED", product_id="2", store_code="BERLIN-01"))
    db.session.commit()
    form = web.get(f"/pickup/stores/{store.id}/edit").forms["store-form"]
    fill(form, {"code": "BERLIN-02", "hold_days": "5", "handling_value": "90", "handling_unit": "minutes",
                "stock_mode": "own", "hours_monday": ""})
    form["active"] = False
    form.submit().follow()
    store = store_row("BERLIN-02")
    assert (store.hold_days, store.handling_time_minutes, store.stock_mode, store.active) == (5, 90, "own", False)
    assert "monday" not in store.opening_hours
    assert db.session.execute(sa.select(Listing.store_code)).scalar_one() == "BERLIN-02"
    # once the marketplace knows the store, its code is fixed
    store.remote_id, store.synced_at = "SRC-1", loop.clock.now()
    db.session.commit()
    page = web.get(f"/pickup/stores/{store.id}/edit")
    assert page.forms["store-form"]["code"].attrs.get("readonly") is not None
    form = page.forms["store-form"]
    form["name"] = "Berlin Mitte (new)"
    form.fields["code"][0].force_value("HACKED")
    form.submit().follow()
    store = store_row("BERLIN-02")
    assert store.name == "Berlin Mitte (new)"


def test_archive_asks_first_then_retires_the_store_and_its_products(web, loop):
    add_store(web, loop)
    store = store_row()
    db.session.add(Listing(connection_id=loop.connection_id, sku="MB-MUG-RED", product_id="2", store_code="BERLIN-01"))
    db.session.commit()
    confirm = web.get("/pickup/stores").click("Archive")
    assert "cannot be restored" in confirm.text and "1 product is no longer offered" in confirm.text
    assert db.session.execute(sa.select(OutboxMessage.payload).order_by(OutboxMessage.id.desc())).scalars().first() \
        == {"store_id": store.id, "action": "upsert"}, "nothing archived by looking"
    done = confirm.forms["archive-form"].submit().follow()
    assert "is being archived on the marketplace" in done.text
    store = store_row()
    assert store.active is False
    assert db.session.execute(sa.select(Listing.active)).scalar_one() is False
    messages = db.session.execute(sa.select(OutboxMessage.payload).filter_by(kind="store")
                                  .order_by(OutboxMessage.id)).scalars().all()
    assert messages[-1] == {"store_id": store.id, "action": "archive"}
    assert "Archived" in done.html.find("tr", attrs={"data-store": "BERLIN-01"}).text
    again = web.get(f"/pickup/stores/{store.id}/edit").follow()
    assert "was archived; it cannot be changed" in again.text


def test_store_stock_rows_and_pasted_lines_validated_then_saved_and_sent(web, loop):
    add_store(web, loop, stock_mode="own")
    store = store_row()
    products = {sku: loop.shop.product_by_sku(sku)["id"] for sku in ("MB-MUG-RED", "MB-KETTLE")}
    for sku, product_id in products.items():
        db.session.add(Listing(connection_id=loop.connection_id, sku=sku, product_id=product_id,
                               store_code="BERLIN-01"))
    db.session.commit()
    page = web.get(f"/pickup/stores/{store.id}/stock")
    form = page.forms["stock-form"]
    assert [form[f"sku-{i}"].value for i in range(2)] == ["MB-KETTLE", "MB-MUG-RED"], "offered SKUs listed"
    form["qty-0"] = "3"
    form["qty-1"] = "-1"
    form["sku-2"] = "NOT-LISTED"
    form["qty-2"] = "4"
    form["paste"] = "MB-MUG-RED;two\nMB-KETTLE 5\n"
    bad = form.submit(status=400)
    text = bad.html.find(id="stock-form").text
    assert "\u201c-1\u201d is not a quantity" in text
    assert "SKU \u201cNOT-LISTED\u201d is not listed on this connection" in text
    assert "Line 1: \u201ctwo\u201d is not a quantity" in text and "Line 2: write \u201cSKU;quantity\u201d" in text
    assert bad.forms["stock-form"]["paste"].value.startswith("MB-MUG-RED;two"), "the input is kept"
    assert db.session.execute(sa.select(sa.func.count()).select_from(StoreStock)).scalar_one() == 0
    form = bad.forms["stock-form"]
    form["qty-1"] = "1"
    form["sku-2"] = ""
    form["qty-2"] = ""
    form["paste"] = "MB-MUG-RED;2\n"
    done = form.submit().follow()
    assert "2 stock figures changed." in done.text
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(StoreStock.sku, StoreStock.quantity)).all()) == \
        {"MB-KETTLE": 3, "MB-MUG-RED": 2}
    # recomputed and sent at once: the store offers its own figures
    assert queued_stock() == {("MB-KETTLE", "BERLIN-01"): 3, ("MB-MUG-RED", "BERLIN-01"): 2}
    sent = [item for call in loop.marketplace.stock_calls for item in call]
    assert {"sku": "MB-KETTLE", "quantity": 3, "store": "BERLIN-01"} in sent
    assert {"sku": "MB-MUG-RED", "quantity": 2, "store": "BERLIN-01"} in sent
    form = done.forms["stock-form"]
    form["qty-0"] = ""
    form.submit().follow()
    db.session.expire_all()
    assert db.session.execute(sa.select(StoreStock.sku)).scalars().all() == ["MB-MUG-RED"], "empty removes"


def test_store_in_shop_mode_has_no_figures(web, loop):
    add_store(web, loop)
    store = store_row()
    page = web.get(f"/pickup/stores/{store.id}/stock")
    assert "stock-form" not in page.forms and "offers the shop's stock" in page.text
    token = page.forms["language-menu"]["csrf_token"].value
    web.post(f"/pickup/stores/{store.id}/stock", {"csrf_token": token, "rows": "1", "sku-0": "MB-KETTLE",
                                                   "qty-0": "4"}).follow()
    assert db.session.execute(sa.select(sa.func.count()).select_from(StoreStock)).scalar_one() == 0


def test_pickup_products_found_in_the_shop_unknown_ones_refused(web, loop):
    add_store(web, loop)
    store = store_row()
    page = web.get(f"/pickup/stores/{store.id}/products")
    assert "Products by SKU, one a line" in page.text
    form = page.forms["products-form"]
    form["values"] = "MB-KETTLE\nNO-SUCH-THING\nMB-MUG-RED"
    bad = form.submit(status=400)
    assert "No shop product has this SKU: \u201cNO-SUCH-THING\u201d" in bad.text and "nothing was saved" in bad.text
    assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() == 0
    form = bad.forms["products-form"]
    form["values"] = "MB-KETTLE\nMB-MUG-RED"
    done = form.submit().follow()
    assert "2 products can now be picked up in Berlin Mitte" in done.text
    rows = db.session.execute(sa.select(Listing.sku, Listing.product_id, Listing.store_code)
                              .order_by(Listing.sku)).all()
    assert rows == [("MB-KETTLE", loop.shop.product_by_sku("MB-KETTLE")["id"], "BERLIN-01"),
                    ("MB-MUG-RED", loop.shop.product_by_sku("MB-MUG-RED")["id"], "BERLIN-01")]
    # enabling queued the stock for the store, and it was sent at once (K3)
    kettle, mug = (loop.shop.product_by_sku(sku)["stock"] for sku in ("MB-KETTLE", "MB-MUG-RED"))
    assert queued_stock() == {("MB-KETTLE", "BERLIN-01"): kettle, ("MB-MUG-RED", "BERLIN-01"): mug}
    assert {"sku": "MB-KETTLE", "quantity": kettle, "store": "BERLIN-01"} in [
        i for call in loop.marketplace.stock_calls for i in call]
    assert "Offered for pickup" in done.html.find("tr", attrs={"data-sku": "MB-KETTLE"}).text
    # stopping offers zero in the store
    stopped = done.forms[f"stop-{db.session.execute(sa.select(Listing.id).filter_by(sku='MB-KETTLE')).scalar_one()}"] \
        .submit().follow()
    assert "MB-KETTLE can no longer be picked up in Berlin Mitte" in stopped.text
    assert queued_stock()[("MB-KETTLE", "BERLIN-01")] == 0
    assert "Not offered" in stopped.html.find("tr", attrs={"data-sku": "MB-KETTLE"}).text
    again = stopped.forms["products-form"]
    again["values"] = "MB-KETTLE"
    again.submit().follow()
    db.session.expire_all()
    assert db.session.execute(sa.select(Listing.active).filter_by(sku="MB-KETTLE")).scalar_one() is True
    assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() == 2


def test_pickup_products_by_ean_and_an_unreachable_shop(web, loop):
    loop.connection.product_identifier = "ean"
    db.session.commit()
    add_store(web, loop)
    store = store_row()
    kettle = loop.shop.product_by_sku("MB-KETTLE")
    form = web.get(f"/pickup/stores/{store.id}/products").forms["products-form"]
    form["values"] = kettle["ean"]
    form.submit().follow()
    assert db.session.execute(sa.select(Listing.sku)).scalar_one() == "MB-KETTLE", "the listing carries the SKU"
    loop.connection.shop.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    form = web.get(f"/pickup/stores/{store.id}/products").forms["products-form"]
    form["values"] = "4006381333931"
    down = form.submit(status=400)
    assert "The shop could not be asked for these products" in down.text and "Nothing was saved" in down.text


def test_another_shops_session_cannot_see_the_stores(loop, site):
    """An embedded session of another shop sees none of this connection's stores (M1)."""
    from flask import Blueprint, redirect

    from marketbridge.models import Shop
    from marketbridge.web import login_embedded

    store = Store(connection_id=loop.connection_id, code="BERLIN-01", name="Berlin Mitte", address={},
                  opening_hours={})
    other = Shop(kind="example_shop", name="Other shop", settings={}, created_at=loop.clock.now())
    db.session.add_all([store, other])
    db.session.commit()
    bp = Blueprint("pickup_embed_test", __name__)

    @bp.get("/pickup-embed-test/<int:shop_id>")
    def embed(shop_id):
        login_embedded(db.session.get(Shop, shop_id))
        return redirect("/pickup/stores")

    loop.app.register_blueprint(bp)
    page = site.get(f"/pickup-embed-test/{other.id}").follow()
    assert page.status_int == 200 and "Berlin Mitte" not in page.text
    for url in (f"/pickup/stores/{store.id}/edit", f"/pickup/stores/{store.id}/stock",
                f"/pickup/stores/{store.id}/products", f"/pickup/stores/{store.id}/archive",
                f"/pickup/connections/{loop.connection_id}/stores",
                f"/pickup/connections/{loop.connection_id}/stores/new"):
        assert site.get(url, expect_errors=True).status_int == 404, url
    own = site.get(f"/pickup-embed-test/{loop.connection.shop_id}").follow()
    assert "Berlin Mitte" in own.text
