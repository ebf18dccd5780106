"""Stores on a marketplace that takes them (K1), and a channel that offers refunds and refused pickups (S5, K4).

``loop`` is overridden here: the connection's account is a small test channel
(the example marketplace's API) whose ``upsert_store`` answers with an id,
whose ``archive_store`` is recorded, and whose statuses include
``refused_pickup`` and ``refunded``.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import pytest
import sqlalchemy as sa

from marketbridge import hookimpl
from marketbridge.adapters import MarketplaceStatus, StockResult, StockSubmission, StockUpdate
from marketbridge.adapters import Store as StoreNotice
from marketbridge.errors import DeliveryRejected
from marketbridge.host import current_host
from marketbridge.models import Store, SyncProblem, db
from marketbridge.testing.examples.example_channel import ExampleChannel, ExampleMarketplaceEmulator
from marketbridge.testing.examples.example_shop import ExampleShopEmulator
from tests.conftest import EXAMPLE_PLUGINS, Loop
from tests.web.test_pickup_orders import order_row, pickup_orders, sent
from tests.web.test_pickup_stores import BERLIN, add_store, fill, store_row


class PickupChannel(ExampleChannel):
    """The example marketplace, with pickup stores and more statuses."""

    kind = "pickup_channel"
    label = "Pickup Marketplace"
    statuses = (*ExampleChannel.statuses,
                MarketplaceStatus("refused_pickup", "Not collected", pickup=True),
                MarketplaceStatus("refunded", "Refunded"))
    calls: list[tuple[str, Any]] = []

    def upsert_store(self, store: StoreNotice, remote_id: str | None) -> str:
        if store.name.startswith("BAD"):
            raise DeliveryRejected("the store name is not allowed")
        PickupChannel.calls.append(("upsert", store, remote_id))
        return remote_id or f"SRC-{store.code}"

    def archive_store(self, remote_id: str) -> None:
        PickupChannel.calls.append(("archive", remote_id, None))

    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """Per store, as a pickup marketplace takes stock."""
        PickupChannel.calls.append(("stock", [(u.sku, u.store_code, u.quantity) for u in updates], None))
        return StockSubmission(tuple(StockResult(u.sku, True, u.store_code) for u in updates))


class PickupPlugin:
    __name__ = "pickup_test_channel"

    @hookimpl
    def register_channels(self) -> list[type]:
        return [PickupChannel]


@pytest.fixture
def loop(make_app, wire_connection, clock) -> Iterator[Loop]:
    PickupChannel.calls = []
    shop = ExampleShopEmulator(clock=clock)
    marketplace = ExampleMarketplaceEmulator(clock=clock)
    with shop.serve() as shop_server, marketplace.serve() as market_server:
        app = make_app(plugins=(*EXAMPLE_PLUGINS, PickupPlugin()), load_entrypoints=False, HTTP_TIMEOUT=10.0)

        def wire(**fields: Any):
            return wire_connection(
                "example_shop", "pickup_channel",
                shop_settings={"url": shop_server.url}, shop_secrets={"api_key": ExampleShopEmulator.api_key},
                account_settings={"url": market_server.url},
                account_secrets={"token": ExampleMarketplaceEmulator.token}, **fields)

        connection = wire(default_carrier="DHL")
        yield Loop(app, current_host(), shop, marketplace, connection, clock, wire)
        db.session.remove()


def test_store_reaches_the_marketplace_then_changes_and_archive_follow(web, loop):
    done = add_store(web, loop).follow()
    [(action, notice, remote_id)] = PickupChannel.calls
    assert (action, remote_id) == ("upsert", None)
    assert notice.code == "BERLIN-01" and notice.hold_days == 6 and notice.handling_time_minutes == 120
    assert notice.address["region"] == "Berlin" and notice.address["timezone"] == "Europe/Berlin"
    assert dict(notice.opening_hours) == {"monday": [("09:00", "13:00"), ("14:00", "18:30")],
                                          "saturday": [("10:00", "16:00")]}
    store = store_row()
    assert store.remote_id == "SRC-BERLIN-01" and store.synced_at == loop.clock.now()
    assert "On the marketplace" in done.html.find("tr", attrs={"data-store": "BERLIN-01"}).text
    edit = web.get(f"/pickup/stores/{store.id}/edit")
    assert "SRC-BERLIN-01" in edit.html.find("section", class_="sync").text
    form = edit.forms["store-form"]
    form["hold_days"] = "5"
    form.submit().follow()
    assert PickupChannel.calls[-1][0] == "upsert" and PickupChannel.calls[-1][2] == "SRC-BERLIN-01"
    assert PickupChannel.calls[-1][1].hold_days == 5
    web.get(f"/pickup/stores/{store.id}/archive").forms["archive-form"].submit().follow()
    assert PickupChannel.calls[-1] == ("archive", "SRC-BERLIN-01", None)


def test_a_refused_store_is_explained_until_it_is_corrected(web, loop):
    refused = add_store(web, loop, name="BAD name").follow()
    assert "the store name is not allowed" in refused.html.find("tr", attrs={"data-store": "BERLIN-01"}).text
    store = store_row()
    assert store.remote_id is None
    form = web.get(f"/pickup/stores/{store.id}/edit").forms["store-form"]
    assert form["code"].attrs.get("readonly") is None, "never reached the marketplace: the code may change"
    fill(form, {"name": "Berlin Mitte"})
    fixed = form.submit().follow()
    row = fixed.html.find("tr", attrs={"data-store": "BERLIN-01"})
    assert "On the marketplace" in row.text and "not allowed" not in row.text
    assert db.session.execute(sa.select(SyncProblem.resolved_at).filter_by(code="store_rejected")).scalar_one()


def test_refund_and_refused_pickup_are_offered_where_the_channel_lists_them(web, loop):
    oid, = pickup_orders(loop, 1)
    order = order_row(oid)
    labels = [label.text.strip() for label in web.get(f"/orders/{order.id}").html.select("#actions label.option")]
    assert labels == ["Cancel on the marketplace", "Mark as ready for pickup", "Mark as picked up",
                      "Mark as refused or not collected", "Refund"]
    page = web.get("/pickup/")
    assert [o.text for o in page.html.select("#bulk_status option")] == \
        ["Ready for pickup", "Picked up", "Pickup refused or not collected"]
    form = page.forms["pickup-orders"]
    form.get("order", index=0).checked = True
    form["bulk_status"] = "refused_pickup"
    form.submit("bulk").forms["confirm-form"].submit()
    form = web.get(f"/orders/{order.id}").forms["order-action"]
    form["status"], form["reason"] = "refunded", "Not collected in time"
    form.submit().forms["confirm-form"].submit().follow()
    assert sent(loop) == [(oid, "refused_pickup"), (oid, "refunded")]


def test_new_store_form_proposes_the_connection_country(web, loop):
    form = web.get(f"/pickup/connections/{loop.connection_id}/stores/new").forms["store-form"]
    assert form["country_code"].value == "DE" and form["timezone"].value == "Europe/Berlin"
    assert form["hold_days"].value == "7"
    assert BERLIN["code"] not in web.get("/pickup/stores").text
    assert db.session.execute(sa.select(sa.func.count()).select_from(Store)).scalar_one() == 0


def test_pickup_products_and_store_figures_reach_the_store_on_the_marketplace(web, loop):
    add_store(web, loop, stock_mode="own")
    store = store_row()
    form = web.get(f"/pickup/stores/{store.id}/products").forms["products-form"]
    form["values"] = "MB-KETTLE"
    page = form.submit().follow()
    kettle = loop.shop.product_by_sku("MB-KETTLE")["stock"]
    assert PickupChannel.calls[-1] == ("stock", [("MB-KETTLE", "BERLIN-01", kettle)], None)
    row = page.html.find("tr", attrs={"data-sku": "MB-KETTLE"})
    assert row.find_all("td")[3].text.strip() == str(kettle), "confirmed by the marketplace"
    stock = web.get(f"/pickup/stores/{store.id}/stock").forms["stock-form"]
    assert stock["sku-0"].value == "MB-KETTLE"
    stock["qty-0"] = "2"
    stock.submit().follow()
    assert PickupChannel.calls[-1] == ("stock", [("MB-KETTLE", "BERLIN-01", 2)], None)
    page = web.get(f"/pickup/stores/{store.id}/products")
    listing_id = int(page.html.find("tr", attrs={"data-sku": "MB-KETTLE"}).find("form")["id"].split("-")[1])
    page.forms[f"stop-{listing_id}"].submit().follow()
    assert PickupChannel.calls[-1] == ("stock", [("MB-KETTLE", "BERLIN-01", 0)], None)
