"""Reports 2021-06-30: ``createReport``, ``getReport``, ``getReportDocument`` and the document download.

Two order report types are produced, with Amazon's documented columns
(:mod:`marketbridge_amazon.report_orders`): the restricted Unshipped Orders
report (open MFN orders that became eligible in the period; fetching its
document needs a Restricted Data Token) and the All Orders report by last
update. A report is IN_QUEUE, then IN_PROGRESS, and DONE ``report_seconds``
after its creation on the emulator's clock – or CANCELLED when it has no
data, as Amazon does. Its content is the data as of that moment. Download
URLs expire after five minutes.
"""
from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from marketbridge_amazon.emulator.model import OPEN, V0_STATUS, EmulatedOrder, at
from marketbridge_amazon.emulator.orders_routes import BadInput, parse_time
from marketbridge_amazon.report_orders import (RESTRICTED_REPORTS, TRACKING_COLUMNS, TRACKING_REPORT,
                                               UNSHIPPED_COLUMNS, UNSHIPPED_REPORT)

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

URL_LIFETIME = timedelta(minutes=5)
GZIP_FROM_ROWS = 1000
_TRACKING_STATUS = {**V0_STATUS, "CANCELLED": "Cancelled"}


def _unshipped_rows(orders: list[EmulatedOrder], snapshot: datetime, start: datetime, end: datetime) -> list[list[str]]:
    rows = []
    for order in orders:
        eligible = order.eligible_at()
        if (order.fulfilled_by != "MERCHANT" or order.status_at(snapshot) not in OPEN or eligible is None
                or not start <= eligible <= end):
            continue
        address = order.address
        for item in order.items:
            to_ship = item.quantity - item.shipped
            if to_ship <= 0:
                continue
            values = {
                "order-id": order.order_id, "order-item-id": item.order_item_id, "purchase-date": at(order.created),
                "payments-date": at(eligible), "reporting-date": at(snapshot),
                "promise-date": at(order.created + timedelta(days=2)), "days-past-promise": "0",
                "buyer-email": order.buyer.get("buyerEmail", ""), "buyer-phone-number": address.get("phone", ""),
                "sku": item.sku or "", "product-name": item.title, "quantity-purchased": str(item.quantity),
                "quantity-shipped": str(item.shipped), "quantity-to-ship": str(to_ship),
                "ship-service-level": order.service_level.title().replace("_", ""),
                "recipient-name": address.get("name", ""), "ship-address-1": address.get("addressLine1", ""),
                "ship-address-2": address.get("addressLine2", ""), "ship-address-3": address.get("addressLine3", ""),
                "ship-city": address.get("city", ""), "ship-state": address.get("stateOrRegion", ""),
                "ship-postal-code": address.get("postalCode", ""), "ship-country": address.get("countryCode", ""),
                "is-business-order": str("AMAZON_BUSINESS" in order.programs).lower(),
                "purchase-order-number": order.buyer.get("buyerPurchaseOrderNumber", ""),
                "price-designation": "BusinessPrice" if "AMAZON_BUSINESS" in order.programs else "",
                "is-prime": str("PRIME" in order.programs).lower(),
            }
            rows.append([values[c] for c in UNSHIPPED_COLUMNS])
    return rows


def _tracking_rows(orders: list[EmulatedOrder], snapshot: datetime, start: datetime, end: datetime) -> list[list[str]]:
    rows = []
    for order in orders:
        if not start <= order.updated_at(snapshot) <= end:
            continue
        status = order.status_at(snapshot)
        pending = status in ("PENDING", "PENDING_AVAILABILITY")
        for index, item in enumerate(order.items):
            def amount(value: Decimal) -> str:
                return "" if pending else str(value)

            values = {
                "amazon-order-id": order.order_id, "merchant-order-id": "", "purchase-date": at(order.created),
                "last-updated-date": at(order.updated_at(snapshot)), "order-status": _TRACKING_STATUS[status],
                "fulfillment-channel": "Merchant" if order.fulfilled_by == "MERCHANT" else "Amazon",
                "sales-channel": order.marketplace_name, "order-channel": "",
                "ship-service-level": order.service_level.title().replace("_", ""), "product-name": item.title,
                "sku": item.sku or "", "asin": item.asin,
                "item-status": "Shipped" if item.shipped >= item.quantity else _TRACKING_STATUS[status],
                "quantity": str(item.quantity), "currency": order.currency,
                "item-price": amount(item.unit_price * item.quantity),
                "item-tax": amount(item.tax(order.prices_include_tax)),
                "shipping-price": amount(order.shipping if index == 0 else Decimal("0")),
                "shipping-tax": amount(order.shipping_tax() if index == 0 else Decimal("0")),
                "gift-wrap-price": "", "gift-wrap-tax": "",
                "item-promotion-discount": amount(-order.discount if index == 0 else Decimal("0")),
                "ship-promotion-discount": amount(Decimal("0")),
                "ship-city": order.address.get("city", ""), "ship-state": order.address.get("stateOrRegion", ""),
                "ship-postal-code": order.address.get("postalCode", ""),
                "ship-country": order.address.get("countryCode", ""), "promotion-ids": "",
                "is-business-order": str("AMAZON_BUSINESS" in order.programs).lower(),
                "purchase-order-number": order.buyer.get("buyerPurchaseOrderNumber", ""),
                "price-designation": "BusinessPrice" if "AMAZON_BUSINESS" in order.programs else "",
            }
            rows.append([values[c] for c in TRACKING_COLUMNS])
    return rows


def _render(header: tuple[str, ...], rows: list[list[str]]) -> str:
    return "\n".join("\t".join(line) for line in [list(header), *rows]) + "\n"


def _report_view(emu: AmazonEmulator, report: dict[str, Any]) -> dict[str, Any]:
    """The report's ``Report`` representation now, producing its document when it finishes."""
    now = emu.now()
    created: datetime = report["created"]
    done_at = created + timedelta(seconds=emu.report_seconds)
    view = {"reportId": report["id"], "reportType": report["type"], "marketplaceIds": report["marketplaceIds"],
            "dataStartTime": at(report["start"]), "dataEndTime": at(report["end"]), "createdTime": at(created)}
    if now < created + timedelta(seconds=min(10.0, emu.report_seconds / 2)):
        return {**view, "processingStatus": "IN_QUEUE"}
    view["processingStartTime"] = at(created + timedelta(seconds=min(10.0, emu.report_seconds / 2)))
    if now < done_at:
        return {**view, "processingStatus": "IN_PROGRESS"}
    if "status" not in report:
        candidates = [o for o in emu.orders.with_events_between(report["start"], report["end"])
                      if o.seller_id == report["seller"] and o.marketplace_id in report["marketplaceIds"]
                      and o.exists(done_at)]
        if report["type"] == UNSHIPPED_REPORT:
            rows, header = _unshipped_rows(candidates, done_at, report["start"], report["end"]), UNSHIPPED_COLUMNS
        else:
            rows, header = _tracking_rows(candidates, done_at, report["start"], report["end"]), TRACKING_COLUMNS
        if rows:
            document_id = emu.next_id("amzn1.spdoc.1.4.eu.")
            text = _render(header, rows).encode()
            compressed = len(rows) >= GZIP_FROM_ROWS
            emu.documents[document_id] = {"content": gzip.compress(text) if compressed else text,
                                          "gzip": compressed, "restricted": report["type"] in RESTRICTED_REPORTS,
                                          "seller": report["seller"], "rows": len(rows)}
            report.update(status="DONE", document=document_id)
        else:
            report.update(status="CANCELLED")
    view["processingEndTime"] = at(done_at)
    view["processingStatus"] = report["status"]
    if report.get("document"):
        view["reportDocumentId"] = report["document"]
    return view


def register(emu: AmazonEmulator, app: Flask) -> None:
    @app.post("/reports/2021-06-30/reports")
    @emu.guarded("createReport")
    def create_report(seller_id: str) -> Response:
        body = emu.json_body()
        try:
            if not isinstance(body, dict):
                raise BadInput("A JSON body is required")
            if body.get("reportType") not in (UNSHIPPED_REPORT, TRACKING_REPORT):
                raise BadInput(f"The emulator does not produce report type {body.get('reportType')!r}")
            marketplaces = body.get("marketplaceIds")
            if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
                raise BadInput("marketplaceIds must list 1 to 25 marketplaces")
            now = emu.now()
            start = parse_time(body.get("dataStartTime"), "dataStartTime") or now - timedelta(days=30)
            end = parse_time(body.get("dataEndTime"), "dataEndTime") or now
            if end < start:
                raise BadInput("dataEndTime must not precede dataStartTime")
        except BadInput as exc:
            return emu.error(400, "InvalidInput", "Invalid Input", str(exc), operation="createReport")
        report_id = emu.next_id("")
        emu.reports[report_id] = {"id": report_id, "type": body["reportType"], "marketplaceIds": marketplaces,
                                  "start": start, "end": end, "created": emu.now(), "seller": seller_id}
        return emu.answer({"reportId": report_id}, 202, operation="createReport")

    @app.get("/reports/2021-06-30/reports/<report_id>")
    @emu.guarded("getReport")
    def get_report(seller_id: str, report_id: str) -> Response:
        report = emu.reports.get(report_id)
        if report is None or report["seller"] != seller_id:
            return emu.error(404, "NotFound", "The report was not found.", operation="getReport")
        return emu.answer(_report_view(emu, report), operation="getReport")

    @app.get("/reports/2021-06-30/documents/<document_id>")
    def get_report_document(document_id: str) -> Response:
        document = emu.documents.get(document_id)
        seller = emu.check("getReportDocument",
                           restricted_path=request.path if document and document["restricted"] else None)
        if isinstance(seller, Response):
            return seller
        if document is None or document["seller"] != seller:
            return emu.error(404, "NotFound", "The report document was not found.", operation="getReportDocument")
        expires = int((emu.now() + URL_LIFETIME).timestamp())
        body: dict[str, Any] = {"reportDocumentId": document_id,
                                "url": f"{request.host_url.rstrip('/')}/_downloads/{document_id}?expires={expires}"}
        if document["gzip"]:
            body["compressionAlgorithm"] = "GZIP"
        return emu.answer(body, operation="getReportDocument")

    @app.get("/_downloads/<document_id>")
    def download(document_id: str) -> Response:
        document = emu.documents.get(document_id)
        if document is None or int(request.args.get("expires", "0")) < emu.now().timestamp():
            return Response(b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            status=403, content_type="application/xml")
        return Response(document["content"], content_type="text/plain; charset=utf-8")
