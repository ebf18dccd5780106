# tests/test_extras.py
"""The optional extras: the demo, the webhook, the command line and the VAT policy."""
from __future__ import annotations

import json
from datetime import timedelta

import click

from marketbridge.adapters import FetchRequest
from marketbridge.clock import FakeClock
from marketbridge.testing.context import adapter_context, connection_info
from marketbridge.testing.pytest_plugin import ChannelLoop

from marketbridge_acme import plugin
from marketbridge_acme.adapter import AcmeChannel
from marketbridge_acme.emulator import WEBHOOK_SECRET, AcmeEmulator
from marketbridge_acme.facts import CARRIERS
from marketbridge_acme.webhooks import SIGNATURE_HEADER, signature


def test_the_demo_serves_acme_and_its_buyers_keep_ordering(clock: FakeClock) -> None:
    setup = AcmeChannel.demo(clock)
    assert setup is not None and setup.step is not None and setup.marketplace is not None
    assert setup.default_carrier in CARRIERS
    setup.step(clock.now())
    setup.step(clock.now())
    with setup.emulator.serve() as server:
        adapter = AcmeChannel(adapter_context(settings=setup.settings(server.url), secrets=setup.secrets,
                                              clock=clock, connection=connection_info(marketplace=setup.marketplace)))
        page = adapter.fetch_orders(FetchRequest(None, since=clock.now() - timedelta(hours=1), open_only=True))
    assert len(page.orders) == 2


def test_a_signed_notification_makes_the_connection_fetch_at_once(loop: ChannelLoop, acme: AcmeEmulator) -> None:
    order_id = acme.place_order()
    body = json.dumps({"event": "order.updated", "order_id": order_id}).encode()
    client, url = loop.app.test_client(), f"/acme/webhooks/{loop.connection.account_id}"
    assert client.post(url, data=body).status_code == 401
    assert client.post(url, data=body, headers={SIGNATURE_HEADER: signature("guessed", body)}).status_code == 403
    assert loop.shop.orders == {}
    assert client.post(url, data=body, headers={SIGNATURE_HEADER: signature(WEBHOOK_SECRET, body)}).status_code == 204
    assert [order["external_ref"] for order in loop.shop.orders.values()] == [f"acme:{order_id}"]


def test_acme_check_tells_what_the_token_lacks(loop: ChannelLoop, acme: AcmeEmulator) -> None:
    cli = click.Group()
    plugin.register_commands(cli)
    runner, account = loop.app.test_cli_runner(), str(loop.connection.account_id)
    good = runner.invoke(cli, ["acme-check", account])
    assert good.exit_code == 0 and "every scope" in good.output
    acme.scopes = ["orders:read", "orders:write"]
    lacking = runner.invoke(cli, ["acme-check", account])
    assert lacking.exit_code == 1 and "stock:write" in lacking.output
    assert "not an Acme Market account" in runner.invoke(cli, ["acme-check", "999"]).output


def test_a_business_order_without_vat_id_waits_for_it(loop: ChannelLoop, acme: AcmeEmulator,
                                                      clock: FakeClock) -> None:
    order_id = acme.place_order(business=True)
    loop.cycle()
    (held,) = loop.orders()
    assert held.state == "held" and held.holds[0]["code"] == "acme_vat_id_missing"
    clock.advance(minutes=2)
    acme.change(order_id, vat_id="DE123456789")  # the buyer adds it; the next window reads the order again
    loop.cycle()
    assert [order.state for order in loop.orders()] == ["created"]
