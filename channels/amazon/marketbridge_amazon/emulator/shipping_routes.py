"""Amazon Shipping v2 (Buy Shipping): ``getRates`` and ``purchaseShipment`` for Amazon orders.

Follows ``shippingV2.json``: answers wrap their result in ``payload``; errors are
``ErrorList`` bodies. The emulated carriers offer :data:`SERVICES`, each with a
delivery window computed from the ship date (never before the emulator's
clock). A service whose window ends after the order's promised delivery
(:meth:`EmulatedOrder.latest_delivery`) comes back under ``ineligibleRates``
with ``LATE_DELIVERY`` – Amazon enforces the buyer's promise, there is no
must-arrive-by input. Request tokens live 10 minutes on the emulator's clock,
then ``TOKEN_EXPIRED``. ``x-amzn-IdempotencyKey``: a key already used returns
the same shipment, nothing is bought twice. A purchase ships the order at once
(a package on the order, status SHIPPED): ``getOrder`` shows it without any
``confirmShipment`` (L2). The label is a small valid PDF, base64-encoded.
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from marketbridge_amazon.emulator.model import OPEN, EmulatedOrder, at
from marketbridge_amazon.emulator.orders_routes import BadInput, parse_time

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

TOKEN_LIFETIME = timedelta(minutes=10)
BUSINESSES = {"AmazonShipping_US", "AmazonShipping_IN", "AmazonShipping_UK", "AmazonShipping_UAE",
              "AmazonShipping_SA", "AmazonShipping_EG", "AmazonShipping_IT", "AmazonShipping_ES",
              "AmazonShipping_FR", "AmazonShipping_JP"}
LABEL_SPEC = {"format": "PDF", "size": {"width": 4, "length": 6, "unit": "INCH"},
              "printOptions": [{"supportedDPIs": [203, 300], "supportedPageLayouts": ["DEFAULT"],
                                "supportedFileJoiningOptions": [False],
                                "supportedDocumentDetails": [{"name": "LABEL", "isMandatory": True}]}]}


@dataclass(frozen=True)
class Service:
    carrier_id: str
    carrier_name: str
    service_id: str
    service_name: str
    transit_days: int
    price: Decimal


#: What the emulated carriers sell: a standard and an express service of two carriers, and a slow economy one.
SERVICES = (
    Service("DHL", "DHL", "DHL_PAKET", "DHL Paket", 2, Decimal("4.99")),
    Service("DHL", "DHL", "DHL_EXPRESS", "DHL Express", 1, Decimal("14.90")),
    Service("UPS", "UPS", "UPS_STANDARD", "UPS Standard", 3, Decimal("6.40")),
    Service("UPS", "UPS", "UPS_EXPRESS_SAVER", "UPS Express Saver", 1, Decimal("17.50")),
    Service("DEUTSCHE_POST", "Deutsche Post", "DP_WARENPOST", "Warenpost", 5, Decimal("2.70")),
)


def label_pdf(text: str) -> bytes:
    """A one-page PDF saying ``text``, with a correct cross-reference table."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 20 380 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"),
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"value": float(amount), "unit": currency}


def _order_problem(order: EmulatedOrder, items: Any, now: Any) -> str | None:
    if order.fulfilled_by != "MERCHANT":
        return "Buy Shipping is only available for seller-fulfilled orders"
    if order.status_at(now) not in OPEN:
        return f"The order is {order.status_at(now)} and cannot be shipped"
    known = {item.order_item_id: item for item in order.items}
    for entry in items:
        item = known.get(str(entry.get("itemIdentifier", "")))
        if item is None or not 1 <= int(entry.get("quantity") or 0) <= item.quantity - item.shipped:
            return f"Unknown order item or quantity: {entry.get('itemIdentifier')}"
    return None


def register(emu: AmazonEmulator, app: Flask) -> None:
    def business_problem() -> Response | None:
        value = request.headers.get("x-amzn-shipping-business-id")
        if value is not None and value not in BUSINESSES:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             f"Unknown x-amzn-shipping-business-id {value}")
        return None

    @app.post("/shipping/v2/shipments/rates")
    @emu.guarded("getRates")
    def get_rates(seller_id: str) -> Response:
        op = "getRates"
        problem = business_problem()
        if problem is not None:
            return problem
        body = emu.json_body()
        channel = (body or {}).get("channelDetails") if isinstance(body, dict) else None
        order_id = ((channel or {}).get("amazonOrderDetails") or {}).get("orderId")
        if not channel or channel.get("channelType") != "AMAZON" or not order_id:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "ChannelDetails with an Amazon order id is required", operation=op)
        packages = body.get("packages") or []
        if not packages or not body.get("shipFrom"):
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "shipFrom and packages are required", operation=op)
        now = emu.now()
        order = emu.orders.by_id.get(order_id)
        if order is None or order.seller_id != seller_id or not order.exists(now):
            return emu.error(404, "NotFound", "The requested order was not found.", operation=op)
        problem_text = _order_problem(order, [i for p in packages for i in p.get("items") or ()], now)
        if problem_text:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters", problem_text,
                             operation=op)
        try:
            ship_date = max(parse_time(body.get("shipDate"), "shipDate") or now, now)
        except BadInput as exc:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters", str(exc),
                             operation=op)
        token = secrets.token_hex(15).upper()
        rates, ineligible, offered = [], [], {}
        for service in SERVICES:
            start = ship_date + timedelta(days=service.transit_days)
            end = start + timedelta(hours=12)
            if end > order.latest_delivery():
                ineligible.append({"serviceId": service.service_id, "serviceName": service.service_name,
                                   "carrierId": service.carrier_id, "carrierName": service.carrier_name,
                                   "ineligibilityReasons": [{"code": "LATE_DELIVERY",
                                                             "message": "Delivery is too late."}]})
                continue
            rate_id = secrets.token_hex(15).upper()
            offered[rate_id] = service
            rates.append({
                "rateId": rate_id, "carrierId": service.carrier_id, "carrierName": service.carrier_name,
                "serviceId": service.service_id, "serviceName": service.service_name,
                "billedWeight": {"value": packages[0]["weight"]["value"], "unit": packages[0]["weight"]["unit"]},
                "totalCharge": _money(service.price, order.currency),
                "promise": {"deliveryWindow": {"start": at(start), "end": at(end)},
                            "pickupWindow": {"start": at(ship_date), "end": at(ship_date + timedelta(hours=8))}},
                "supportedDocumentSpecifications": [LABEL_SPEC], "requiresAdditionalInputs": False,
                "paymentType": "PAY_THROUGH_AMAZON",
                "benefits": {"includedBenefits": ["CLAIMS_PROTECTED"], "excludedBenefits": []}})
        emu.label_quotes[token] = {"seller_id": seller_id, "order_id": order_id, "created": now, "rates": offered,
                                   "package": packages[0], "windows": {r["rateId"]: r["promise"] for r in rates}}
        payload: dict[str, Any] = {"requestToken": token, "rates": rates}
        if ineligible:
            payload["ineligibleRates"] = ineligible
        return emu.answer({"payload": payload}, operation=op)

    @app.post("/shipping/v2/shipments")
    @emu.guarded("purchaseShipment")
    def purchase_shipment(seller_id: str) -> Response:
        op = "purchaseShipment"
        problem = business_problem()
        if problem is not None:
            return problem
        key = request.headers.get("x-amzn-IdempotencyKey")
        if key and (seller_id, key) in emu.label_idempotency:
            return emu.answer(emu.label_idempotency[(seller_id, key)], operation=op)
        body = emu.json_body()
        if not isinstance(body, dict) or not body.get("requestToken") or not body.get("rateId"):
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "RequestToken and RateId cannot be null", operation=op)
        now = emu.now()
        quote = emu.label_quotes.get(body["requestToken"])
        if quote is None or quote["seller_id"] != seller_id:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "The request token is invalid", operation=op)
        if now - quote["created"] > TOKEN_LIFETIME:
            return emu.error(400, "TOKEN_EXPIRED", "The request token has expired. Get rates again.", operation=op)
        service = quote["rates"].get(body["rateId"])
        if service is None:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "The rate id is not an eligible rate of this request token", operation=op)
        spec = body.get("requestedDocumentSpecification") or {}
        if spec.get("format") != "PDF" or "LABEL" not in (spec.get("requestedDocumentTypes") or ()):
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters",
                             "The rate supports PDF labels only", operation=op)
        order = emu.orders.by_id[quote["order_id"]]
        package = quote["package"]
        problem_text = _order_problem(order, package.get("items") or (), now)
        if problem_text:
            return emu.error(400, "InvalidRequest", "Request is missing or has invalid parameters", problem_text,
                             operation=op)
        shipment_id = emu.next_id("SHP")
        tracking = f"{service.carrier_id[:3]}{emu.next_id('')}"
        quantities = {str(i["itemIdentifier"]): int(i["quantity"]) for i in package["items"]}
        for item in order.items:
            item.shipped += quantities.get(item.order_item_id, 0)
        order.packages.append({
            "_at": now, "packageReferenceId": str(len(order.packages) + 1), "createdTime": at(now),
            "packageStatus": {"status": "SHIPPED"}, "carrier": service.carrier_name, "shipTime": at(now),
            "shippingService": service.service_name, "trackingNumber": tracking,
            "packageItems": [{"orderItemId": k, "quantity": v} for k, v in quantities.items()]})
        order.add_event(now, "SHIPPED" if all(i.shipped >= i.quantity for i in order.items) else "PARTIALLY_SHIPPED")
        emu.orders.touched(order, now)
        label = base64.b64encode(label_pdf(f"{service.carrier_name} {service.service_name} {tracking}")).decode()
        answer = {"payload": {
            "shipmentId": shipment_id,
            "packageDocumentDetails": [{"packageClientReferenceId": str(package["packageClientReferenceId"]),
                                        "packageDocuments": [{"type": "LABEL", "format": "PDF", "contents": label}],
                                        "trackingId": tracking}],
            "promise": quote["windows"][body["rateId"]],
            "benefits": {"includedBenefits": ["CLAIMS_PROTECTED"], "excludedBenefits": []}}}
        emu.label_purchases.append({"orderId": order.order_id, "shipmentId": shipment_id, "trackingId": tracking,
                                    "service": service.service_id, "key": key, "at": now})
        if key:
            emu.label_idempotency[(seller_id, key)] = answer
        return emu.answer(answer, operation=op)
