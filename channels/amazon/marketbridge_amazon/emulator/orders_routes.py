"""Orders: 2026-01-01 ``searchOrders``/``getOrder``, v0 ``getOrders``/``getOrderItems`` (baseline),
v0 ``confirmShipment`` and ``updateShipmentStatus``.

searchOrders follows the model text: exactly one of ``createdAfter`` and
``lastUpdatedAfter``; a ``…Before`` bound must not precede the ``…After`` one
and must be two minutes old (default: now − 2 min, echoed back); pagination
tokens expire after 24 hours and require the same filters.
"""
from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from marketbridge_amazon.carriers import carrier_codes
from marketbridge_amazon.emulator.model import OPEN, EmulatedOrder, at

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

STATUSES = {"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED",
            "UNFULFILLABLE"}
INCLUDED = {"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES",
            "TAX", "PAYMENT", "FULFILLMENT_ORDERS"}
V0_STATUSES = {"PendingAvailability": "PENDING_AVAILABILITY", "Pending": "PENDING", "Unshipped": "UNSHIPPED",
               "PartiallyShipped": "PARTIALLY_SHIPPED", "Shipped": "SHIPPED", "Canceled": "CANCELLED",
               "Unfulfillable": "UNFULFILLABLE", "InvoiceUnconfirmed": "SHIPPED"}
TOKEN_LIFETIME = timedelta(hours=24)
MIN_AGE = timedelta(minutes=2)


class BadInput(Exception):
    pass


def parse_time(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name} must be an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def csv_list(name: str) -> list[str]:
    value = request.args.get(name)
    return [v for v in value.split(",") if v] if value else []


def search(emu: AmazonEmulator, seller_id: str, *, created_after: datetime | None, created_before: datetime | None,
           updated_after: datetime | None, updated_before: datetime | None, marketplaces: list[str],
           fulfilled_by: list[str], statuses: list[str]) -> tuple[list[EmulatedOrder], datetime, str]:
    """Matching orders sorted by their window time; returns them, the bound used and its kind."""
    now = emu.now()
    if (created_after is None) == (updated_after is None):
        raise BadInput("Exactly one of createdAfter and lastUpdatedAfter is required")
    if created_after is not None and (updated_before is not None):
        raise BadInput("lastUpdatedBefore cannot be combined with createdAfter")
    if updated_after is not None and created_before is not None:
        raise BadInput("createdBefore cannot be combined with lastUpdatedAfter")
    after = created_after or updated_after
    before = created_before or updated_before or (now - MIN_AGE)
    assert after is not None
    if before < after:
        raise BadInput("The Before date must be equal to or after the After date")
    if before > now - MIN_AGE:
        raise BadInput("The Before date must be at least two minutes before the time of the request")
    kind = "created" if created_after is not None else "updated"
    found = []
    for order in emu.orders.with_events_between(after, before):
        if order.seller_id != seller_id or not order.exists(now):
            continue
        moment = order.created if kind == "created" else order.updated_at(now)
        if not after <= moment <= before:
            continue
        if marketplaces and order.marketplace_id not in marketplaces:
            continue
        if fulfilled_by and order.fulfilled_by not in fulfilled_by:
            continue
        if statuses and order.status_at(now) not in statuses:
            continue
        found.append(order)
    found.sort(key=lambda o: ((o.created if kind == "created" else o.updated_at(now)), o.order_id))
    return found, before, kind


def page_token(emu: AmazonEmulator, ids: list[str], offset: int, filters: str, extra: dict[str, Any]) -> str:
    token = secrets.token_urlsafe(18)
    emu.pages[token] = {"ids": ids, "offset": offset, "filters": filters, "created": emu.now(), **extra}
    return token


def register(emu: AmazonEmulator, app: Flask) -> None:  # noqa: C901 - one function per route below
    # -- Orders 2026-01-01 -------------------------------------------------------
    @app.get("/orders/2026-01-01/orders")
    @emu.guarded("searchOrders")
    def search_orders(seller_id: str) -> Response:
        op = "searchOrders"
        try:
            included = set(csv_list("includedData"))
            if not included <= INCLUDED:
                raise BadInput(f"Unknown includedData value(s): {sorted(included - INCLUDED)}")
            size = int(request.args.get("maxResultsPerPage", "100"))
            if not 1 <= size <= 100:
                raise BadInput("maxResultsPerPage must be between 1 and 100")
            filters = json.dumps({k: v for k, v in sorted(request.args.items())
                                  if k not in ("paginationToken", "maxResultsPerPage", "includedData")})
            token = request.args.get("paginationToken")
            if token:
                page = emu.pages.get(token)
                if page is None or page.get("api") != "2026":
                    raise BadInput("The paginationToken is invalid")
                if emu.now() - page["created"] > TOKEN_LIFETIME:
                    raise BadInput("The paginationToken has expired; repeat the request without it")
                if page["filters"] != filters:
                    raise BadInput("All parameters except maxResultsPerPage and includedData must stay the same "
                                   "when paginating")
                ids, offset, bound, kind = page["ids"], page["offset"], page["bound"], page["kind"]
            else:
                statuses = csv_list("fulfillmentStatuses")
                if not set(statuses) <= STATUSES:
                    raise BadInput("Unknown fulfillmentStatuses value")
                fulfilled_by = csv_list("fulfilledBy")
                if not set(fulfilled_by) <= {"MERCHANT", "AMAZON"}:
                    raise BadInput("Unknown fulfilledBy value")
                marketplaces = csv_list("marketplaceIds")
                if len(marketplaces) > 50:
                    raise BadInput("At most 50 marketplaceIds")
                found, before, kind = search(
                    emu, seller_id, created_after=parse_time(request.args.get("createdAfter"), "createdAfter"),
                    created_before=parse_time(request.args.get("createdBefore"), "createdBefore"),
                    updated_after=parse_time(request.args.get("lastUpdatedAfter"), "lastUpdatedAfter"),
                    updated_before=parse_time(request.args.get("lastUpdatedBefore"), "lastUpdatedBefore"),
                    marketplaces=marketplaces, fulfilled_by=fulfilled_by, statuses=statuses)
                ids, offset, bound = [o.order_id for o in found], 0, at(before)
        except (BadInput, ValueError) as exc:
            return emu.error(400, "InvalidInput", "Invalid Input", str(exc), operation=op)
        now = emu.now()
        chunk = ids[offset:offset + size]
        body: dict[str, Any] = {"orders": [emu.orders.by_id[i].to_api(now, included) for i in chunk]}
        if offset + size < len(ids):
            body["pagination"] = {"nextToken": page_token(emu, ids, offset + size, filters,
                                                          {"api": "2026", "bound": bound, "kind": kind})}
        body["createdBefore" if kind == "created" else "lastUpdatedBefore"] = bound
        return emu.answer(body, operation=op)

    @app.get("/orders/2026-01-01/orders/<order_id>")
    @emu.guarded("getOrder")
    def get_order(seller_id: str, order_id: str) -> Response:
        included = set(csv_list("includedData"))
        if order_id == "TEST_CASE_400" or not included <= INCLUDED:
            return emu.error(400, "InvalidInput", "Invalid Input", operation="getOrder")
        order = emu.orders.by_id.get(order_id)
        if order is None or order.seller_id != seller_id or not order.exists(emu.now()):
            return emu.error(404, "NotFound", "The order was not found.", operation="getOrder")
        return emu.answer({"order": order.to_api(emu.now(), included)}, operation="getOrder")

    # -- Orders v0 reads (deprecated; naive benchmark baseline) ---------------------
    @app.get("/orders/v0/orders")
    @emu.guarded("getOrdersV0")
    def get_orders_v0(seller_id: str) -> Response:
        op = "getOrdersV0"
        try:
            token = request.args.get("NextToken")
            size = int(request.args.get("MaxResultsPerPage", "100"))
            if not 1 <= size <= 100:
                raise BadInput("MaxResultsPerPage must be between 1 and 100")
            if token:
                page = emu.pages.get(token)
                if page is None or page.get("api") != "v0":
                    raise BadInput("Invalid NextToken")
                ids, offset, bound, kind = page["ids"], page["offset"], page["bound"], page["kind"]
            else:
                marketplaces = csv_list("MarketplaceIds")
                if not marketplaces:
                    raise BadInput("MarketplaceIds is required")
                channels = {"MFN": "MERCHANT", "AFN": "AMAZON"}
                found, before, kind = search(
                    emu, seller_id, created_after=parse_time(request.args.get("CreatedAfter"), "CreatedAfter"),
                    created_before=parse_time(request.args.get("CreatedBefore"), "CreatedBefore"),
                    updated_after=parse_time(request.args.get("LastUpdatedAfter"), "LastUpdatedAfter"),
                    updated_before=parse_time(request.args.get("LastUpdatedBefore"), "LastUpdatedBefore"),
                    marketplaces=marketplaces,
                    fulfilled_by=[channels[c] for c in csv_list("FulfillmentChannels") if c in channels],
                    statuses=[V0_STATUSES[s] for s in csv_list("OrderStatuses") if s in V0_STATUSES])
                ids, offset, bound = [o.order_id for o in found], 0, at(before)
        except (BadInput, ValueError) as exc:
            return emu.error(400, "InvalidInput", "Invalid Input", str(exc), operation=op)
        now = emu.now()
        payload: dict[str, Any] = {"Orders": [emu.orders.by_id[i].to_v0(now) for i in ids[offset:offset + size]]}
        if offset + size < len(ids):
            payload["NextToken"] = page_token(emu, ids, offset + size, "", {"api": "v0", "bound": bound,
                                                                             "kind": kind})
        payload["CreatedBefore" if kind == "created" else "LastUpdatedBefore"] = bound
        return emu.answer({"payload": payload}, operation=op)

    @app.get("/orders/v0/orders/<order_id>/orderItems")
    @emu.guarded("getOrderItemsV0")
    def get_order_items_v0(seller_id: str, order_id: str) -> Response:
        order = emu.orders.by_id.get(order_id)
        if order is None or order.seller_id != seller_id or not order.exists(emu.now()):
            return emu.error(404, "NotFound", "The order was not found.", operation="getOrderItemsV0")
        return emu.answer({"payload": {"AmazonOrderId": order_id, "OrderItems": order.items_v0()}},
                          operation="getOrderItemsV0")

    # -- Orders v0 writes -------------------------------------------------------------
    @app.post("/orders/v0/orders/<order_id>/shipmentConfirmation")
    @emu.guarded("confirmShipment")
    def confirm_shipment(seller_id: str, order_id: str) -> Response:
        op = "confirmShipment"
        body = emu.json_body()
        order = emu.orders.by_id.get(order_id)
        if order is None or order.seller_id != seller_id or not order.exists(emu.now()):
            return emu.error(404, "NotFound", "The order was not found.", operation=op)
        problem = _confirmation_problem(emu, order, body)
        if problem:
            return emu.error(400, "InvalidInput", "Invalid Input", problem, operation=op)
        detail = body["packageDetail"]
        now = emu.now()
        if emu.drop_confirmations > 0:
            emu.drop_confirmations -= 1
            emu.dropped.append({"orderId": order_id, "body": body, "at": now})
            return emu.answer(None, 204, operation=op)
        quantities = {i["orderItemId"]: int(i["quantity"]) for i in detail["orderItems"]}
        for item in order.items:
            item.shipped += quantities.get(item.order_item_id, 0)
        package = {"_at": now, "packageReferenceId": str(detail["packageReferenceId"]), "createdTime": at(now),
                   "packageStatus": {"status": "SHIPPED"}, "carrier": detail.get("carrierName") or detail["carrierCode"],
                   "shipTime": at(parse_time(detail["shipDate"], "shipDate") or now),
                   "trackingNumber": detail["trackingNumber"],
                   "packageItems": [{"orderItemId": k, "quantity": v} for k, v in quantities.items()]}
        if detail.get("shippingMethod"):
            package["shippingService"] = detail["shippingMethod"]
        order.packages.append(package)
        done = all(item.shipped >= item.quantity for item in order.items)
        order.add_event(now, "SHIPPED" if done else "PARTIALLY_SHIPPED")
        emu.orders.touched(order, now)
        emu.confirmations.append({"orderId": order_id, "body": body, "at": now})
        return emu.answer(None, 204, operation=op)

    @app.post("/orders/v0/orders/<order_id>/shipment")
    @emu.guarded("updateShipmentStatus")
    def update_shipment_status(seller_id: str, order_id: str) -> Response:
        op = "updateShipmentStatus"
        body = emu.json_body()
        if not isinstance(body, dict) or body.get("marketplaceId") not in emu.marketplace_ids:
            return emu.error(400, "InvalidInput", "Marketplace ID is not defined", operation=op)
        status = body.get("shipmentStatus")
        if status not in ("ReadyForPickup", "PickedUp", "RefusedPickup"):
            return emu.error(400, "InvalidInput", "Invalid Input", "Unknown shipmentStatus", operation=op)
        order = emu.orders.by_id.get(order_id)
        if order is None or order.seller_id != seller_id or not order.exists(emu.now()):
            return emu.error(404, "NotFound", "The order was not found.", operation=op)
        if "IN_STORE_PICK_UP" not in order.programs:
            return emu.error(400, "InvalidInput", "Invalid Input", "The order is not an in-store pickup order",
                             operation=op)
        known = {i.order_item_id: i for i in order.items}
        for entry in body.get("orderItems") or ():
            if entry.get("orderItemId") not in known or not 1 <= int(entry.get("quantity") or 0) <= \
                    known[entry["orderItemId"]].quantity:
                return emu.error(400, "InvalidInput", "Invalid Input", "Unknown order item or quantity",
                                 operation=op)
        now = emu.now()
        order.pickup_updates.append({"status": status, "orderItems": body.get("orderItems"), "at": now})
        order.touches.append(now)
        if status == "PickedUp" and not body.get("orderItems"):
            for item in order.items:
                item.shipped = item.quantity
            order.add_event(now, "SHIPPED")
        emu.orders.touched(order, now)
        return emu.answer(None, 204, operation=op)


def _confirmation_problem(emu: AmazonEmulator, order: EmulatedOrder, body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("packageDetail"), dict):
        return "packageDetail is required"
    if body.get("marketplaceId") != order.marketplace_id:
        return "marketplaceId does not match the order"
    detail = body["packageDetail"]
    for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
        if not detail.get(name):
            return f"{name} is required"
    try:
        if "T" not in str(detail["shipDate"]):
            raise BadInput("shipDate")
        parse_time(detail["shipDate"], "shipDate")
    except BadInput:
        return "shipDate must be in ISO 8601 format"
    if detail["carrierCode"] not in carrier_codes():
        return f"Invalid carrierCode {detail['carrierCode']!r}"
    if detail["carrierCode"] == "Other" and not detail.get("carrierName"):
        return "carrierName is required when carrierCode is Other"
    if order.fulfilled_by != "MERCHANT" or order.status_at(emu.now()) not in OPEN:
        return "The order is not in a state that allows shipment confirmation"
    if any(p["packageReferenceId"] == str(detail["packageReferenceId"]) for p in order.packages):
        return "packageReferenceId is already used for this order"
    known = {i.order_item_id: i for i in order.items}
    for entry in detail["orderItems"]:
        item = known.get(entry.get("orderItemId"))
        quantity = entry.get("quantity")
        if item is None or not isinstance(quantity, int) or not 1 <= quantity <= item.quantity - item.shipped:
            return f"Order item {entry.get('orderItemId')!r} or its quantity is not valid"
    return None
