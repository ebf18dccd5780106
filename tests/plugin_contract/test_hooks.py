"""Every hook: documented in the plugin guide, and exercised here (test_hook_<name>)."""
from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint

from marketbridge import hookimpl, hookspecs
from marketbridge.adapters import Shipped, ShopOrderRef
from marketbridge.decisions import CarrierChoice, Hold, ListingFacts, StatusDecision
from marketbridge.engine import outbox, shop_changes, stock
from marketbridge.jobs import work
from marketbridge.models import Listing, Order, StatusMapping, SyncProblem, db
from marketbridge.plugins import AdapterRegistry, make_plugin_manager
from marketbridge.testing.examples import example_channel, example_shop

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "marketbridge_spec"))


def test_plugin_hooks_are_documented():
    """Like datasette's test: each hookspec has a section in docs/plugin-hooks.md."""
    doc = (ROOT / "docs" / "plugin-hooks.md").read_text()
    headings = set(re.findall(r"^### `(\w+)\(", doc, re.MULTILINE))
    assert set(HOOKS) == headings


def test_plugin_hooks_have_tests():
    source = Path(__file__).read_text()
    missing = [h for h in HOOKS if f"def test_hook_{h}(" not in source]
    assert not missing


def test_hookspecs_have_full_docstrings():
    for name in HOOKS:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert "Receives" in doc and "Return" in doc, name


def test_hook_register_shops():
    registry = AdapterRegistry(make_plugin_manager(load_entrypoints=False, extra=[example_shop]))
    assert registry.shop("example_shop") is example_shop.ExampleShop


def test_hook_register_channels():
    registry = AdapterRegistry(make_plugin_manager(load_entrypoints=False, extra=[example_channel]))
    assert registry.channel("example_channel") is example_channel.ExampleChannel


class PagesPlugin:
    __name__ = "pages_plugin"

    @hookimpl
    def register_blueprints(self, app):
        bp = Blueprint("acme_pages", __name__, url_prefix="/acme")
        bp.add_url_rule("/hello", "hello", lambda: f"hello from {app.name}")
        return [bp]

    @hookimpl
    def register_commands(self, cli):
        @cli.command("acme-hello")
        def hello() -> None:
            print("hello")

    @hookimpl
    def register_migrations(self):
        return [str(ROOT / "tests" / "plugin_contract" / "acme_migrations")]


def test_hook_register_blueprints(make_app):
    app = make_app(plugins=[PagesPlugin()], load_entrypoints=False)
    assert app.test_client().get("/acme/hello").data == b"hello from marketbridge"


def test_hook_register_commands():
    import click

    group = click.Group()
    make_plugin_manager(load_entrypoints=False, extra=[PagesPlugin()]).hook.register_commands(cli=group)
    assert "acme-hello" in group.commands


def test_hook_register_migrations(make_app):
    """A plugin's own branch is applied by ``upgrade heads`` next to core's."""
    from flask_migrate import upgrade

    make_app(plugins=[PagesPlugin()], load_entrypoints=False)
    upgrade(revision="heads")
    tables = sa.inspect(db.engine).get_table_names()
    assert "acme_notes" in tables and "orders" in tables


def test_hook_register_translations(make_app, tmp_path):
    """A plugin's own catalog is merged into the host's: its page speaks French."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from flask_babel import gettext

    folder = tmp_path / "translations" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="fr")
    catalog.add("Hello from Acme", "Bonjour de la part d’Acme")
    with open(folder / "messages.mo", "wb") as handle:
        write_mo(handle, catalog)

    class Translated:
        __name__ = "translated"

        @hookimpl
        def register_translations(self):
            return [str(tmp_path / "translations")]

        @hookimpl
        def register_blueprints(self, app):
            bp = Blueprint("acme_hello", __name__)
            bp.add_url_rule("/acme/hello", "hello", lambda: gettext("Hello from Acme"))
            return [bp]

    app = make_app(plugins=[Translated()], load_entrypoints=False)
    page = app.test_client().get("/acme/hello", headers={"Accept-Language": "fr"})
    assert page.get_data(as_text=True) == "Bonjour de la part d’Acme"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert gettext("Log in") == "Se connecter", "core's own catalog is still loaded"


class HoldsBigOrders:
    __name__ = "holds_big_orders"

    @hookimpl
    def order_import(self, order, context):
        order.add_tag("checked by acme")
        if sum(line.quantity for line in order.lines) > 3:
            return Hold("too_many", "Orders of more than 3 items need a look ({count}).",
                        {"count": sum(line.quantity for line in order.lines)})
        return None


def test_hook_order_import(loop):
    loop.host.pm.register(HoldsBigOrders())
    small = loop.marketplace.add_order(skus=[("MB-CANDLE", 1)])
    big = loop.marketplace.add_order(skus=[("MB-CANDLE", 5)])
    work.connection_cycle(loop.host, loop.connection_id)
    rows = {o.marketplace_order_id: o for o in db.session.execute(sa.select(Order)).scalars()}
    assert rows[small].state == "created" and "checked by acme" in rows[small].tags
    assert rows[big].state == "held" and rows[big].holds[0]["code"] == "too_many"
    shop_tags = next(o for o in loop.shop.orders.values())["tags"]
    assert "checked by acme" in shop_tags


class Explodes:
    __name__ = "explodes"

    @hookimpl
    def order_import(self, order, context):
        raise RuntimeError("boom")


def test_a_raising_plugin_holds_the_order_and_names_itself(loop):
    """One plugin raising must not take down other orders or connections; the merchant sees who failed."""
    loop.host.pm.register(Explodes())
    oid = loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    assert order.state == "held"
    assert order.holds[0]["params"] == {"plugin": "explodes", "error": "boom"}
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="plugin_error")).scalar_one()
    assert problem.plugin == "explodes"
    loop.host.pm.unregister(name="explodes")
    loop.clock.advance(minutes=6)
    work.connection_cycle(loop.host, loop.connection_id)
    assert db.session.execute(sa.select(Order.state).filter_by(marketplace_order_id=oid)).scalar_one() == "created"


class PickupStatuses:
    __name__ = "pickup_statuses"

    @hookimpl
    def map_status(self, connection, shop_status, order):
        if shop_status == "ready":
            return StatusDecision("ready_for_pickup", reason="acme pickup rule")
        return None


def test_hook_map_status(loop):
    """A third-party answer wins (firstresult); otherwise the mapping table decides."""
    loop.host.pm.register(PickupStatuses())
    db.session.add(StatusMapping(connection_id=loop.connection_id, marketplace_status="cancelled",
                                 shop_status="cancelled"))
    db.session.commit()
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    shop_order = next(iter(loop.shop.orders))
    loop.shop.set_status(shop_order, "ready")
    loop.shop.set_status(shop_order, "cancelled")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    assert [c["status"] for c in loop.marketplace.status_calls] == ["ready_for_pickup", "cancelled"]


class HalfStock:
    __name__ = "half_stock"

    @hookimpl
    def stock_source(self, connection, listing: ListingFacts, level, store_code):
        return (level.quantity or 0) // 2


def test_hook_stock_source(loop):
    loop.host.pm.register(HalfStock())
    product = loop.shop.product_by_sku("MB-KETTLE")
    db.session.add(Listing(connection_id=loop.connection_id, sku="MB-KETTLE", product_id=product["id"], store_code=""))
    db.session.commit()
    loop.shop.set_stock("MB-KETTLE", 9)
    stock.poll_stock(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert loop.marketplace.stock == {"MB-KETTLE": 4}


class ByShopName:
    __name__ = "by_shop_name"

    @hookimpl
    def detect_carrier(self, connection, shipment: Shipped, order, carrier_codes):
        if shipment.carrier == "Paketdienst":
            assert carrier_codes is not None and "DPD" in carrier_codes
            return CarrierChoice("DPD", "shop_name")
        return None


def test_hook_detect_carrier(loop):
    loop.host.pm.register(ByShopName())
    loop.marketplace.add_order()
    work.connection_cycle(loop.host, loop.connection_id)
    first = next(iter(loop.shop.orders))
    loop.shop.ship(first, "0123456789", carrier="Paketdienst")
    loop.shop.ship(first, "9876543210", carrier="Someone else")  # falls through to the default (DHL)
    shop_changes.poll_shop_changes(loop.host, loop.connection.shop_id)
    outbox.deliver(loop.host, loop.connection_id)
    assert [(s["carrier"], s["tracking"]) for s in loop.marketplace.shipments] == [
        ("DPD", "0123456789"), ("DHL", "9876543210")]
    assert ShopOrderRef(first).order_id == first


def test_an_adapter_bug_is_retried_and_shown_not_crashing_the_job(loop, monkeypatch):
    """A plugin raising KeyError (not a Marketbridge error) becomes a visible, retried problem."""
    from marketbridge.testing.examples.example_channel import ExampleChannel

    def broken(self, request):
        raise KeyError("Orders")

    monkeypatch.setattr(ExampleChannel, "fetch_orders", broken)
    loop.marketplace.add_order()
    for _ in range(3):
        work.connection_cycle(loop.host, loop.connection_id)  # never raises
        loop.clock.advance(hours=1)
    problem = db.session.execute(sa.select(SyncProblem).filter_by(code="fetch_failed")).scalar_one()
    assert "marketbridge" in problem.params["error"] and "KeyError" in problem.params["error"]
    monkeypatch.undo()
    work.connection_cycle(loop.host, loop.connection_id)
    assert db.session.execute(sa.select(Order.state)).scalar_one() == "created"


def test_guarded_adapters_still_look_like_the_plugins_class(loop):
    from marketbridge.testing.examples.example_shop import ExampleShop

    adapter = loop.host.shop_adapter(loop.connection.shop)
    assert isinstance(adapter, ExampleShop) and adapter.kind == "example_shop"
