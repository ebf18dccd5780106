"""Pickup stores as supply sources (K1)."""
from __future__ import annotations

import pytest

from marketbridge.adapters import Store
from marketbridge.errors import DeliveryRejected

ADDRESS = {"line1": "Königsallee 10", "city": "Düsseldorf", "postal_code": "40212", "region": "NRW",
           "country_code": "DE", "phone": "+49 211 123456", "timezone": "Europe/Berlin"}


def store(**changes: object) -> Store:
    values = dict(code="MB-STORE-DUS", name="Store Düsseldorf", address=ADDRESS, handling_time_minutes=120,
                  hold_days=7, opening_hours={"monday": [("09:00", "19:00")], "saturday": [("10:00", "16:00")]})
    values.update(changes)
    return Store(**values)  # type: ignore[arg-type]


def test_store_is_created_with_pickup_configuration(channel, emulator):
    supply_source_id = channel.upsert_store(store(), None)
    created = emulator.supply_sources[supply_source_id]
    assert created["supplySourceCode"] == "MB-STORE-DUS" and created["status"] == "Active"
    pickup = created["capabilities"]["outbound"]["pickupChannel"]
    assert pickup["inventoryHoldPeriod"] == {"value": 7, "timeUnit": "Days"}
    assert pickup["inStorePickupConfiguration"]["isSupported"] is True
    config = created["configuration"]
    assert config["operationalConfiguration"]["handlingTime"] == {"value": 120, "timeUnit": "Minutes"}
    assert config["operationalConfiguration"]["operatingHoursByDay"]["saturday"] == [
        {"startTime": "10:00", "endTime": "16:00"}]
    assert config["timezone"] == "Europe/Berlin"


def test_store_is_updated_and_deactivated(channel, emulator):
    supply_source_id = channel.upsert_store(store(), None)
    assert channel.upsert_store(store(name="Store DUS Altstadt", hold_days=5, active=False),
                                supply_source_id) == supply_source_id
    updated = emulator.supply_sources[supply_source_id]
    assert updated["alias"] == "Store DUS Altstadt" and updated["status"] == "Inactive"
    assert updated["capabilities"]["outbound"]["pickupChannel"]["inventoryHoldPeriod"]["value"] == 5


def test_create_after_a_crash_adopts_the_existing_supply_source(channel, emulator):
    first = channel.upsert_store(store(), None)
    assert channel.upsert_store(store(), None) == first
    assert len([s for s in emulator.supply_sources.values() if s["supplySourceCode"] == "MB-STORE-DUS"]) == 1


def test_archive_is_final_and_idempotent(channel, emulator):
    supply_source_id = channel.upsert_store(store(), None)
    channel.archive_store(supply_source_id)
    assert emulator.supply_sources[supply_source_id]["status"] == "Archived"
    channel.archive_store("no-such-id")
    with pytest.raises(DeliveryRejected) as caught:
        channel.upsert_store(store(), supply_source_id)
    assert caught.value.code == "store_rejected"


def test_incomplete_address_is_refused_with_the_missing_fields(channel, emulator):
    with pytest.raises(DeliveryRejected) as caught:
        channel.upsert_store(store(address={"line1": "Somewhere 1", "country_code": "DE"}), None)
    assert "city, postal code, state or region" in caught.value.message
    assert not emulator.calls("POST")


def test_unknown_opening_day_is_refused(channel):
    with pytest.raises(DeliveryRejected) as caught:
        channel.upsert_store(store(opening_hours={"mon": [("09:00", "18:00")]}), None)
    assert caught.value.code == "store_hours_invalid"
