"""Connections from the pages: created inactive, one active per route, activation (C1–C5, C9, S4)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from marketbridge.models import Connection, Order, db
from marketbridge.web import connections as connection_pages


def count() -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(Connection)).scalar_one())


def new_form(web, loop):
    page = web.get("/connections/new")
    assert page.forms["chooser"]["shop"].value == str(loop.connection.shop_id), "the only shop is preselected"
    return page.forms["connection-form"]


def test_new_connection_offers_live_choices_and_is_created_inactive(web, loop):
    form = new_form(web, loop)
    assert [value for value, *_ in form["marketplace"].options] == ["A1PA6795UKMFR9"], "from the account"
    status_values = [value for value, *_ in form["initial_status"].options]
    assert status_values[:3] == ["", "open", "processing"], "the shop's own statuses (O3)"
    form["name"] = "Example.de FBA"
    form["fulfilment_channel"] = "marketplace"
    form["product_identifier"] = "ean"
    form["require_weights"] = True
    form["initial_status"] = "processing"
    form["default_carrier"] = "DHL"
    form["activation_date"] = "2026-10-01"
    detail = form.submit().follow()
    assert "stays inactive until you activate it" in detail.text
    created = db.session.execute(sa.select(Connection).filter_by(name="Example.de FBA")).scalar_one()
    assert created.active is False and created.activated_at is None
    assert (created.marketplace, created.country, created.fulfilment_channel) == ("A1PA6795UKMFR9", "DE", "marketplace")
    assert (created.product_identifier, created.require_weights, created.initial_status) == ("ean", True, "processing")
    assert created.activation_date == datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert detail.forms["activate"], "an inactive connection offers activation"


def test_bad_input_re_renders_with_errors_and_saves_nothing(web, loop):
    form = new_form(web, loop)
    form["name"] = ""
    form["default_carrier"] = "Pigeon Post"
    form["country"] = "Deutschland"
    form["activation_date"] = "yesterday"
    page = form.submit(status=400)
    errors = {ul["id"]: ul.text for ul in page.html.select("ul.errors")}
    assert set(errors) == {"name-errors", "default_carrier-errors", "country-errors", "activation_date-errors"}
    assert "Pigeon Post" in errors["default_carrier-errors"]
    assert count() == 1


def test_unreachable_ends_fall_back_to_text_fields(web, loop, monkeypatch):
    from marketbridge.errors import TemporaryFailure
    from marketbridge.testing.examples.example_channel import ExampleChannel

    def unreachable(self):
        raise TemporaryFailure("the example marketplace could not be reached", code="unreachable")

    monkeypatch.setattr(ExampleChannel, "marketplaces", unreachable)
    shop = loop.connection.shop
    shop.settings = {"url": "http://127.0.0.1:9/"}
    db.session.commit()
    page = web.get("/connections/new")
    assert "could not be asked for its marketplaces (the example marketplace could not be reached)" in page.text
    assert "could not be asked for its order statuses" in page.text
    form = page.forms["connection-form"]
    assert form["marketplace"].tag == "input"
    form["marketplace"], form["country"] = "A13V1IB3VIYZZH", "fr"
    form.submit().follow()
    created = db.session.execute(sa.select(Connection).where(Connection.id != loop.connection_id)).scalar_one()
    assert (created.marketplace, created.country, created.initial_status) == ("A13V1IB3VIYZZH", "FR", None)


def test_second_active_connection_on_the_same_route_is_refused(web, loop):
    twin = loop.wire(active=False, shop=loop.connection.shop, account=loop.connection.account, name="Twin")
    page = web.get(f"/connections/{twin.id}")
    assert "Cannot be activated while" in page.text
    refused = page.forms["activate"].submit().follow()
    assert f"The connection \u201c{loop.connection.name}\u201d is already active" in refused.text
    db.session.expire_all()
    assert db.session.get(Connection, twin.id).active is False
    other_channel = loop.wire(active=False, shop=loop.connection.shop, account=loop.connection.account,
                              name="FBA", fulfilment_channel="marketplace")
    web.get(f"/connections/{other_channel.id}").forms["activate"].submit().follow()
    db.session.expire_all()
    assert db.session.get(Connection, other_channel.id).active is True, "C4: another fulfilment channel is another route"


def test_editing_an_active_connection_onto_a_taken_route_is_refused(web, loop):
    other = loop.wire(shop=loop.connection.shop, account=loop.connection.account, name="Other marketplace",
                      marketplace="A13V1IB3VIYZZH", country="FR")
    form = web.get(f"/connections/{other.id}/edit").forms["connection-form"]
    form["marketplace"] = "A1PA6795UKMFR9"
    page = form.submit(status=400)
    assert "is already active for the same shop" in page.html.find(id="marketplace-errors").text
    db.session.expire_all()
    assert db.session.get(Connection, other.id).marketplace == "A13V1IB3VIYZZH"


def test_the_database_index_backs_up_the_check(web, loop, monkeypatch):
    """A concurrent request can slip past the check; the partial unique index still refuses, without a 500."""
    twin = loop.wire(active=False, shop=loop.connection.shop, account=loop.connection.account, name="Twin")
    page = web.get(f"/connections/{twin.id}")
    monkeypatch.setattr(connection_pages, "active_rival", lambda connection: None)
    refused = page.forms["activate"].submit().follow()
    assert f"The connection \u201c{loop.connection.name}\u201d is already active" in refused.text
    db.session.expire_all()
    assert db.session.get(Connection, twin.id).active is False


def test_activation_imports_open_orders_and_deactivation_stops(web, loop):
    inactive = loop.wire(active=False, marketplace="A13V1IB3VIYZZH", name="France")
    loop.marketplace.add_order()
    page = web.get(f"/connections/{inactive.id}").forms["activate"].submit().follow()
    assert "The connection is active." in page.text
    db.session.expire_all()
    activated = db.session.get(Connection, inactive.id)
    assert activated.active and activated.activated_at == loop.clock.now()
    assert db.session.execute(sa.select(Order).filter_by(connection_id=inactive.id)).scalars().all(), \
        "the first run started at once (C3)"
    page.forms["deactivate"].submit().follow()
    db.session.expire_all()
    assert db.session.get(Connection, inactive.id).active is False


def test_list_and_detail_say_what_needs_attention(web, loop):
    loop.connection.default_carrier = None
    db.session.commit()
    detail = web.get(f"/connections/{loop.connection_id}")
    assert "No default carrier" in detail.text, "S4: say so in the UI"
    listing = web.get("/connections/")
    assert loop.connection.name in listing.text and "Active" in listing.text


@pytest.mark.parametrize("path", ["/connections/999", "/connections/999/edit", "/connections/new?shop=999&account=1"])
def test_unknown_ids_are_404(web, path):
    assert web.get(path, expect_errors=True).status_int == 404
