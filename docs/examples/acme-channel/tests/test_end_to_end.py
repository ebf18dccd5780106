# tests/test_end_to_end.py
"""Through the whole engine: an Acme order lands in the example shop, and its shipment goes back once."""
from __future__ import annotations

from typing import Any

import pytest

from marketbridge.clock import FakeClock
from marketbridge.models import db
from marketbridge.testing.crash import SimulatedCrash, crash_at
from marketbridge.testing.pytest_plugin import ChannelLoop

from marketbridge_acme.emulator import AcmeEmulator

TRACKING = "00340434161234567890"


def shop_order(loop: ChannelLoop) -> dict[str, Any]:
    (order,) = loop.shop.orders.values()
    return order


def test_an_acme_order_reaches_the_shop_and_its_shipment_goes_back_once(loop: ChannelLoop,
                                                                       acme: AcmeEmulator) -> None:
    order_id = acme.place_order([("MB-MUG-BLUE", 2)], express=True)
    assert loop.cycle().created == 1
    created = shop_order(loop)
    assert created["external_ref"] == f"acme:{order_id}" and created["total"] == "34.70"
    assert "Acme Express" in created["tags"]
    loop.shop.ship(created["id"], TRACKING)
    loop.shop_cycle()
    loop.shop_cycle()
    assert [(s["order_id"], s["carrier"], s["tracking_number"]) for s in acme.shipments] == [
        (order_id, "DHL", TRACKING)]
    assert acme.orders[order_id]["status"] == "shipped"


@pytest.mark.parametrize("point", ["outbox.before_send", "outbox.after_send", "outbox.before_commit"])
def test_a_crash_while_sending_a_shipment_never_ships_twice(loop: ChannelLoop, acme: AcmeEmulator,
                                                            clock: FakeClock, point: str) -> None:
    acme.place_order()
    loop.cycle()
    loop.shop.ship(shop_order(loop)["id"], TRACKING)
    with crash_at(point) as fired, pytest.raises(SimulatedCrash):
        loop.shop_cycle()
    assert fired == [point]
    db.session.rollback()  # what the dead worker had not committed is gone
    clock.advance(minutes=6)  # its lease on the outbox runs out
    loop.shop_cycle()
    assert len(acme.calls("GET", "/shipments")) == 1, "after the crash, was_delivered asked Acme first"
    assert len(acme.calls("POST", "/shipments")) == 1 and len(acme.shipments) == 1
