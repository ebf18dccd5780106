"""Supply Sources 2020-07-01: create, list, get, update, status and archive.

Codes are unique per seller (a second create with the same code is a 400);
archived supply sources are final (updates answer 400); addresses need
``name``, ``addressLine1``, ``countryCode`` and ``stateOrRegion``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from marketbridge_amazon.emulator.model import at

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

BASE = "/supplySources/2020-07-01/supplySources"
REQUIRED_ADDRESS = ("name", "addressLine1", "countryCode", "stateOrRegion")


def add_store(emu: AmazonEmulator, code: str, alias: str, address: dict[str, str],
              seller_id: str | None = None) -> str:
    """Create a supply source directly (as if set up in Seller Central); returns its id."""
    supply_source_id = emu.next_id("00000000-0000-4000-8000-")
    now = emu.now()
    emu.supply_sources[supply_source_id] = {
        "supplySourceId": supply_source_id, "supplySourceCode": code, "alias": alias, "status": "Active",
        "address": dict(address), "createdAt": at(now), "updatedAt": at(now),
        "_seller": seller_id or emu.default_seller}
    return supply_source_id


def _public(source: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if not k.startswith("_")}


def register(emu: AmazonEmulator, app: Flask) -> None:
    def find(seller_id: str, supply_source_id: str) -> dict[str, Any] | None:
        source = emu.supply_sources.get(supply_source_id)
        return source if source and source["_seller"] == seller_id else None

    @app.get(BASE)
    @emu.guarded("getSupplySources")
    def get_supply_sources(seller_id: str) -> Response:
        mine = [s for s in emu.supply_sources.values() if s["_seller"] == seller_id]
        try:
            size = int(float(request.args.get("pageSize", "10")))
            start = int(request.args.get("nextPageToken", "0"))
        except ValueError:
            return emu.error(400, "InvalidInput", "Invalid Input", operation="getSupplySources")
        chunk = mine[start:start + size]
        body: dict[str, Any] = {"supplySources": [{k: s[k] for k in ("alias", "supplySourceId", "supplySourceCode",
                                                                     "address")} for s in chunk]}
        if start + size < len(mine):
            body["nextPageToken"] = str(start + size)
        return emu.answer(body, operation="getSupplySources")

    @app.post(BASE)
    @emu.guarded("createSupplySource")
    def create_supply_source(seller_id: str) -> Response:
        body = emu.json_body()
        if not isinstance(body, dict) or not body.get("supplySourceCode") or not body.get("alias"):
            return emu.error(400, "InvalidInput", "supplySourceCode, alias and address are required",
                             operation="createSupplySource")
        address = body.get("address") or {}
        missing = [k for k in REQUIRED_ADDRESS if not address.get(k)]
        if missing:
            return emu.error(400, "InvalidInput", f"address is missing {', '.join(missing)}",
                             operation="createSupplySource")
        if any(s["supplySourceCode"] == body["supplySourceCode"] and s["_seller"] == seller_id
               for s in emu.supply_sources.values()):
            return emu.error(400, "InvalidInput", "A supply source with this supplySourceCode already exists",
                             operation="createSupplySource")
        supply_source_id = add_store(emu, body["supplySourceCode"], body["alias"], address, seller_id)
        return emu.answer({"supplySourceId": supply_source_id, "supplySourceCode": body["supplySourceCode"]},
                          operation="createSupplySource")

    @app.get(f"{BASE}/<supply_source_id>")
    @emu.guarded("getSupplySource")
    def get_supply_source(seller_id: str, supply_source_id: str) -> Response:
        source = find(seller_id, supply_source_id)
        if source is None:
            return emu.error(404, "NotFound", "The supply source was not found.", operation="getSupplySource")
        return emu.answer(_public(source), operation="getSupplySource")

    @app.put(f"{BASE}/<supply_source_id>")
    @emu.guarded("updateSupplySource")
    def update_supply_source(seller_id: str, supply_source_id: str) -> Response:
        source = find(seller_id, supply_source_id)
        body = emu.json_body()
        if source is None:
            return emu.error(404, "NotFound", "The supply source was not found.", operation="updateSupplySource")
        if source["status"] == "Archived" or not isinstance(body, dict):
            return emu.error(400, "InvalidInput", "Archived supply sources cannot be changed",
                             operation="updateSupplySource")
        for key in ("alias", "configuration", "capabilities"):
            if key in body:
                source[key] = body[key]
        source["updatedAt"] = at(emu.now())
        return emu.answer(None, 204, operation="updateSupplySource")

    @app.put(f"{BASE}/<supply_source_id>/status")
    @emu.guarded("updateSupplySourceStatus")
    def update_supply_source_status(seller_id: str, supply_source_id: str) -> Response:
        source = find(seller_id, supply_source_id)
        body = emu.json_body()
        if source is None:
            return emu.error(404, "NotFound", "The supply source was not found.",
                             operation="updateSupplySourceStatus")
        if source["status"] == "Archived" or not isinstance(body, dict) or body.get("status") not in ("Active",
                                                                                                   "Inactive"):
            return emu.error(400, "InvalidInput", "status must be Active or Inactive",
                             operation="updateSupplySourceStatus")
        source["status"] = body["status"]
        return emu.answer(None, 204, operation="updateSupplySourceStatus")

    @app.delete(f"{BASE}/<supply_source_id>")
    @emu.guarded("archiveSupplySource")
    def archive_supply_source(seller_id: str, supply_source_id: str) -> Response:
        source = find(seller_id, supply_source_id)
        if source is None:
            return emu.error(404, "NotFound", "The supply source was not found.", operation="archiveSupplySource")
        source["status"] = "Archived"
        return emu.answer(None, 204, operation="archiveSupplySource")
