"""The demo (issue 8, "two commands"): emulators of installed plugins, a demo connection, a moving world."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.demo import DEMO_EMAIL, DemoRuntime, choose
from marketbridge.host import current_host
from marketbridge.jobs import work
from marketbridge.models import Connection, Listing, Order, User, db
from tests.conftest import EXAMPLE_PLUGINS


def test_demo_loop_runs_without_any_account(make_app):
    app = make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False)
    runtime = DemoRuntime(app, interval=3600)
    try:
        message = runtime.start()
        assert DEMO_EMAIL in message
        host = current_host()
        connection = db.session.execute(sa.select(Connection)).scalar_one()
        assert connection.active and connection.name == "Demo connection"
        assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() >= 10
        assert db.session.execute(sa.select(User.email)).scalar_one() == DEMO_EMAIL
        parties = runtime.parties
        assert parties is not None and parties.channel.step is not None and parties.shop.step is not None

        assert len(parties.channel.emulator.orders) == 1, "the world moved once before the first fetch"
        work.connection_cycle(host, connection.id)
        parties.shop.step(host.clock.now())  # the merchant ships
        work.shop_cycle(host, connection.shop_id)
        order = db.session.execute(sa.select(Order)).scalar_one()
        assert order.state == "created"
        assert len(parties.channel.emulator.shipments) == 1, "the shipment reached the marketplace emulator"
    finally:
        runtime.stop()


def test_demo_start_is_repeatable(make_app):
    """Restarting the app points the existing demo rows at the new emulator ports."""
    app = make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False)
    for _ in range(2):
        runtime = DemoRuntime(app, interval=3600)
        runtime.start()
        runtime.stop()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Connection)).scalar_one() == 1


def test_demo_picks_installed_plugins_that_offer_one(make_app):
    make_app(plugins=EXAMPLE_PLUGINS, load_entrypoints=False)
    parties = choose(current_host())
    assert (parties.channel_kind, parties.shop_kind) == ("example_channel", "example_shop")
