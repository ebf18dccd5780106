"""Pickup stores as Amazon supply sources (K1), and the store index that identifies ISPU orders.

Operations (Supply Sources API 2020-07-01, ``supplySources_2020-07-01.json``):

* ``createSupplySource``  POST ``/supplySources/2020-07-01/supplySources`` → ``supplySourceId``
* ``updateSupplySource``  PUT  ``…/supplySources/{id}`` (alias, configuration, capabilities; 204)
* ``updateSupplySourceStatus`` PUT ``…/supplySources/{id}/status`` (``Active``/``Inactive``; 204)
* ``archiveSupplySource`` DELETE ``…/supplySources/{id}`` (final; 204)
* ``getSupplySources``    GET  ``…/supplySources?pageSize=&nextPageToken=``

Orders 2026-01-01 has no supply-source field on an order: an in-store pickup
order (``programs`` contains ``IN_STORE_PICK_UP``) carries the store as its
``recipient.deliveryAddress``. The index kept in ``context.state`` maps a
normalised (street, postal code, country) to the store's supply source code,
so :func:`marketbridge_amazon.order_mapping.map_order` can fill
``pickup_store_code``.

A ``Store.address`` uses the canonical address keys: ``line1``, ``line2``,
``line3``, ``city``, ``postal_code``, ``region`` (Amazon's required
``stateOrRegion``), ``country_code``, ``phone`` and optionally ``timezone``
(IANA name).
"""
from __future__ import annotations

from typing import Any, Mapping

from marketbridge.adapters import StateStore, Store
from marketbridge.clock import Clock
from marketbridge.errors import DeliveryRejected

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment

BASE = "/supplySources/2020-07-01/supplySources"
INDEX_KEY = "supply_sources:index"
REFRESHED_KEY = "supply_sources:refreshed_at"
REFRESH_EVERY = 600.0  #: seconds between two index refreshes triggered by unknown pickup addresses
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def address_key(address: Mapping[str, Any]) -> str:
    """Normalised ``street|postal code|country`` of an Amazon or canonical address."""
    def norm(value: Any) -> str:
        return " ".join(str(value or "").casefold().split())

    street = address.get("addressLine1") or address.get("line1")
    postal = address.get("postalCode") or address.get("postal_code")
    country = address.get("countryCode") or address.get("country_code")
    return f"{norm(street)}|{norm(postal).replace(' ', '')}|{norm(country)}"


def amazon_address(store: Store) -> dict[str, str]:
    """The supply source ``Address`` of a store; ``DeliveryRejected`` naming a missing field."""
    address = store.address
    missing = [label for key, label in (("line1", "street"), ("city", "city"), ("postal_code", "postal code"),
                                        ("region", "state or region"), ("country_code", "country"))
               if not str(address.get(key) or "").strip()]
    if missing:
        raise DeliveryRejected(f"Store {store.code!r} cannot be sent to Amazon: its address has no "
                               f"{', '.join(missing)}. Amazon requires them for pickup stores.",
                               code="store_address_incomplete")
    out = {"name": store.name, "addressLine1": address["line1"], "city": address["city"],
           "postalCode": address["postal_code"], "stateOrRegion": address["region"],
           "countryCode": str(address["country_code"]).upper()}
    for key, target in (("line2", "addressLine2"), ("line3", "addressLine3"), ("phone", "phone")):
        if address.get(key):
            out[target] = address[key]
    return out


def _hours(store: Store) -> dict[str, list[dict[str, str]]]:
    unknown = [day for day in store.opening_hours if day not in DAYS]
    if unknown:
        raise DeliveryRejected(f"Store {store.code!r} has opening hours for unknown days {unknown}; "
                               f"use {', '.join(DAYS)}.", code="store_hours_invalid")
    return {day: [{"startTime": start, "endTime": end} for start, end in spans]
            for day, spans in store.opening_hours.items()}


def store_update(store: Store) -> dict[str, Any]:
    """The ``UpdateSupplySourceRequest`` carrying alias, handling time, hours and the pickup capability."""
    operational: dict[str, Any] = {"handlingTime": {"value": store.handling_time_minutes, "timeUnit": "Minutes"}}
    hours = _hours(store)
    if hours:
        operational["operatingHoursByDay"] = hours
    configuration: dict[str, Any] = {"operationalConfiguration": operational}
    if store.address.get("timezone"):
        configuration["timezone"] = store.address["timezone"]
    pickup: dict[str, Any] = {
        "isSupported": True,
        "inventoryHoldPeriod": {"value": store.hold_days, "timeUnit": "Days"},
        "inStorePickupConfiguration": {"isSupported": True},
    }
    if hours:
        pickup["operationalConfiguration"] = {"operatingHoursByDay": hours}
    return {"alias": store.name, "configuration": configuration,
            "capabilities": {"outbound": {"isSupported": True, "pickupChannel": pickup}}}


def index_entries(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Index entries (id → code and address key) of one ``GetSupplySourcesResponse`` page."""
    entries = {}
    for source in body.get("supplySources") or ():
        if source.get("supplySourceId") and source.get("supplySourceCode"):
            entries[str(source["supplySourceId"])] = {"code": str(source["supplySourceCode"]),
                                                      "key": address_key(source.get("address") or {})}
    return entries


class SupplySources:
    """Creates, updates and archives supply sources and keeps the pickup-address index."""

    def __init__(self, client: SpApiClient, state: StateStore, clock: Clock) -> None:
        self.client = client
        self.state = state
        self.clock = clock

    # -- index ------------------------------------------------------------
    def _index(self) -> dict[str, dict[str, Any]]:
        return self.state.get(INDEX_KEY) or {}

    def _remember(self, supply_source_id: str, code: str, address: Mapping[str, Any]) -> None:
        index = self._index()
        index[supply_source_id] = {"code": code, "key": address_key(address)}
        self.state.set(INDEX_KEY, index)

    def known_code_at(self, address: Mapping[str, Any]) -> str | None:
        """The supply source code of the store at ``address`` from the index alone (no Amazon call)."""
        wanted = address_key(address)
        for entry in self._index().values():
            if entry["key"] == wanted:
                return str(entry["code"])
        return None

    def code_at(self, address: Mapping[str, Any]) -> str | None:
        """The supply source code of the store at ``address`` (refreshing the index at most every 10 min)."""
        known = self.known_code_at(address)
        refreshed = float(self.state.get(REFRESHED_KEY) or 0)
        if known is not None or self.clock.now().timestamp() - refreshed < REFRESH_EVERY:
            return known
        self.refresh()
        return self.known_code_at(address)

    def id_for_code(self, code: str) -> str | None:
        """The Amazon ``supplySourceId`` of the store with this code (from the index)."""
        for supply_source_id, entry in self._index().items():
            if entry["code"] == code:
                return supply_source_id
        return None

    def refresh(self) -> None:
        """Rebuild the index from ``getSupplySources`` (all pages)."""
        index: dict[str, dict[str, Any]] = {}
        token: str | None = None
        while True:
            body = self.client.call("getSupplySources", "GET", BASE,
                                    params={"pageSize": 50, "nextPageToken": token}).body or {}
            index.update(index_entries(body))
            token = body.get("nextPageToken")
            if not token:
                break
        self.state.set(INDEX_KEY, index)
        self.state.set(REFRESHED_KEY, self.clock.now().timestamp())

    # -- writes -------------------------------------------------------------
    def upsert(self, store: Store, remote_id: str | None) -> str:
        """Create (``remote_id`` ``None``) or update a store; returns its ``supplySourceId``.

        A create that Amazon refuses because the code exists (a retry after a
        crash) adopts the existing supply source instead of failing.
        """
        address = amazon_address(store)
        update = store_update(store)
        if remote_id is None:
            remote_id = self._create(store, address)
        try:
            self.client.call("updateSupplySource", "PUT", f"{BASE}/{segment(remote_id)}", json=update)
            self.client.call("updateSupplySourceStatus", "PUT", f"{BASE}/{segment(remote_id)}/status",
                             json={"status": "Active" if store.active else "Inactive"})
        except AmazonNotFound:
            raise DeliveryRejected(f"Amazon no longer knows store {store.code!r} (it was archived). Create it "
                                   "again as a new store.", code="store_archived") from None
        except AmazonRejected as exc:
            raise DeliveryRejected(f"Amazon refused the settings of store {store.code!r}: {exc.text()}",
                                   code="store_rejected") from exc
        self._remember(remote_id, store.code, address)
        return remote_id

    def _create(self, store: Store, address: Mapping[str, str]) -> str:
        try:
            body = self.client.call("createSupplySource", "POST", BASE, json={
                "supplySourceCode": store.code, "alias": store.name, "address": dict(address)}).body or {}
        except AmazonRejected as exc:
            self.refresh()
            existing = self.id_for_code(store.code)
            if existing is not None:
                return existing
            raise DeliveryRejected(f"Amazon refused store {store.code!r}: {exc.text()}",
                                   code="store_rejected") from exc
        supply_source_id = body.get("supplySourceId")
        if not isinstance(supply_source_id, str):
            raise DeliveryRejected("Amazon created the store but sent no supply source id; check Seller Central "
                                   "→ Settings → Shipping → Locations.", code="store_unconfirmed")
        return supply_source_id

    def archive(self, remote_id: str) -> None:
        """Archive a supply source for good; one Amazon no longer knows counts as archived."""
        try:
            self.client.call("archiveSupplySource", "DELETE", f"{BASE}/{segment(remote_id)}")
        except AmazonNotFound:
            pass
        except AmazonRejected as exc:
            raise DeliveryRejected(f"Amazon refused to archive the store: {exc.text()}",
                                   code="store_rejected") from exc
        index = self._index()
        index.pop(remote_id, None)
        self.state.set(INDEX_KEY, index)
