"""Listings Items ``patchListingsItem`` and Feeds 2021-06-30 (``JSON_LISTINGS_FEED``).

Listings live in ``emulator.listings`` as ``{sku: {fulfillment_channel_code: quantity}}``
(seeded with the demo catalogue). ``fulfillment_availability`` patches
``merge`` or ``replace`` the entries; a channel code is ``DEFAULT`` or a known
supply source id. ``purchasable_offer`` patches (P2) set the offer price in
``emulator.prices`` as ``{sku: {marketplace_id: Money}}``: each offer needs
``marketplace_id`` equal to the request's marketplace (``marketplaceIds`` of
the patch or of ``createFeed``), a 3-letter ``currency``, an optional string
``audience`` and ``our_price[].schedule[].value_with_tax`` a number of at
least 0; anything else makes the submission INVALID with an issue naming the
attribute (``attributeNames`` / ``attributeName`` ``purchasable_offer``,
category ``INVALID_PRICE``), as Amazon does. Other attributes are refused.
Feed documents are uploaded to a presigned URL valid for five minutes; a feed is DONE ``feed_seconds`` after creation and its
processing report follows ``listings-feed-processing-report-schema-v2.json``.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from flask import Flask, Response, request

from marketbridge.adapters import Money
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS, UNKNOWN_SKU

from marketbridge_amazon.emulator.model import at

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

UPLOAD_LIFETIME = timedelta(minutes=5)


def seed_listings(emu: AmazonEmulator) -> None:
    for product in DEMO_PRODUCTS:
        emu.listings.setdefault(product.sku, {"DEFAULT": product.stock})
    emu.listings.setdefault(UNKNOWN_SKU, {"DEFAULT": 5})


AVAILABILITY = "/attributes/fulfillment_availability"
OFFER = "/attributes/purchasable_offer"


@dataclass(frozen=True)
class Problem:
    """Why a submission is INVALID, and the attribute it concerns (for the issue's ``attributeNames``)."""

    message: str
    attribute: str | None = None

    @property
    def categories(self) -> list[str]:
        return ["INVALID_PRICE"] if self.attribute == "purchasable_offer" else ["INVALID_ATTRIBUTE"]


def _quantities(emu: AmazonEmulator, value: Any) -> dict[str, int] | Problem:
    entries: dict[str, int] = {}
    for item in value or ():
        code, quantity = item.get("fulfillment_channel_code"), item.get("quantity")
        if code != "DEFAULT" and code not in emu.supply_sources:
            return Problem(f"Unknown fulfillment_channel_code {code!r}", "fulfillment_availability")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return Problem(f"quantity for {code!r} must be a whole number of at least 0", "fulfillment_availability")
        entries[code] = quantity
    return entries


def _offers(value: Any, marketplace_ids: Sequence[str]) -> dict[str, Money] | Problem:
    """Validate ``purchasable_offer`` offers; returns ``{marketplace_id: Money}`` or the first problem."""
    def bad(message: str) -> Problem:
        return Problem(message, "purchasable_offer")

    if not isinstance(value, list) or not value:
        return bad("purchasable_offer needs at least one offer")
    offers: dict[str, Money] = {}
    for offer in value:
        if not isinstance(offer, dict):
            return bad("Each purchasable_offer entry must be an object")
        marketplace, currency = offer.get("marketplace_id"), offer.get("currency")
        if marketplace not in marketplace_ids:
            return bad(f"purchasable_offer marketplace_id {marketplace!r} is not the marketplace of the request "
                       f"({', '.join(marketplace_ids)})")
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
            return bad(f"purchasable_offer currency {currency!r} must be a 3-letter ISO 4217 code")
        if "audience" in offer and not (isinstance(offer["audience"], str) and offer["audience"]):
            return bad("purchasable_offer audience must be a non-empty string")
        try:
            amount = offer["our_price"][0]["schedule"][0]["value_with_tax"]
        except (KeyError, IndexError, TypeError):
            return bad("The field 'value_with_tax' for the attribute 'purchasable_offer.our_price' is required")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            return bad(f"purchasable_offer.our_price value_with_tax {amount!r} must be a number of at least 0")
        offers[marketplace] = Money(Decimal(str(amount)), currency)
    return offers


def _keep_offer_entries(emu: AmazonEmulator, sku: str, op: str, patches: list[dict[str, Any]],
                        marketplace_ids: Sequence[str]) -> None:
    """Record whole offer entries: ``merge`` overlays the sub-attributes given, ``replace``/``add`` start afresh."""
    offers = emu.offers.setdefault(sku, {})
    if op in ("replace", "add"):
        for marketplace in marketplace_ids:
            offers.pop(marketplace, None)
    for patch in patches:
        if patch.get("path") != OFFER or patch.get("op") != op:
            continue
        for entry in patch["value"]:
            marketplace = entry["marketplace_id"]
            if op == "delete":
                offers.pop(marketplace, None)
            else:
                offers[marketplace] = {**offers.get(marketplace, {}), **entry} if op == "merge" else dict(entry)


def apply_patches(emu: AmazonEmulator, sku: str, patches: Any, marketplace_ids: Sequence[str]) -> list[Problem]:
    """Apply availability and offer patches to a listing; returns problems (nothing changes when there are any).

    ``marketplace_ids`` are the request's marketplaces: an offer's
    ``marketplace_id`` must be one of them.
    """
    if sku not in emu.listings:
        return [Problem(f"SKU '{sku}' does not exist for this seller in this marketplace.")]
    if not isinstance(patches, list) or not patches:
        return [Problem("patches must list at least one operation")]
    changes: list[tuple[str, str, dict[str, Any]]] = []
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in ("add", "replace", "merge", "delete"):
            return [Problem("Each patch needs op add, replace, merge or delete")]
        path = patch.get("path")
        if path == AVAILABILITY:
            parsed: dict[str, Any] | Problem = _quantities(emu, patch.get("value"))
        elif path == OFFER:
            parsed = _offers(patch.get("value"), marketplace_ids)
        else:
            return [Problem(f"The emulator only supports {AVAILABILITY} and {OFFER}, not {path!r}")]
        if isinstance(parsed, Problem):
            return [parsed]
        changes.append((path, patch["op"], parsed))
    for path, op, entries in changes:
        if path == OFFER:
            _keep_offer_entries(emu, sku, op, patches, marketplace_ids)
        target: dict[str, Any] = emu.listings[sku] if path == AVAILABILITY else emu.prices.setdefault(sku, {})
        if op in ("replace", "add"):
            # an offer replace sets the request's marketplaces only; other marketplaces keep their offers
            for key in list(target) if path == AVAILABILITY else marketplace_ids:
                target.pop(key, None)
            target.update(entries)
        elif op == "merge":
            target.update(entries)
        else:
            for key in entries:
                target.pop(key, None)
    return []


def register(emu: AmazonEmulator, app: Flask) -> None:
    seed_listings(emu)

    @app.patch("/listings/2021-08-01/items/<seller>/<path:sku>")
    @emu.guarded("patchListingsItem")
    def patch_listings_item(seller_id: str, seller: str, sku: str) -> Response:
        op = "patchListingsItem"
        body = emu.json_body()
        if seller != seller_id:
            return emu.error(403, "Unauthorized", "Access to requested resource is denied.", operation=op)
        marketplaces = [m for m in request.args.get("marketplaceIds", "").split(",") if m]
        if not marketplaces or not set(marketplaces) <= set(emu.marketplace_ids):
            return emu.error(400, "InvalidInput", "Invalid Input", "marketplaceIds is required", operation=op)
        if not isinstance(body, dict) or not body.get("productType"):
            return emu.error(400, "InvalidInput", "Invalid Input", "productType and patches are required",
                             operation=op)
        problems = apply_patches(emu, sku, body.get("patches"), marketplaces)
        answer: dict[str, Any] = {"sku": sku, "status": "INVALID" if problems else "ACCEPTED",
                                  "submissionId": secrets.token_hex(16), "issues": []}
        for problem in problems:
            issue = {"code": "4000004", "message": problem.message, "severity": "ERROR",
                     "categories": problem.categories}
            if problem.attribute:
                issue["attributeNames"] = [problem.attribute]
            answer["issues"].append(issue)
        return emu.answer(answer, operation=op)

    @app.post("/feeds/2021-06-30/documents")
    @emu.guarded("createFeedDocument")
    def create_feed_document(seller_id: str) -> Response:
        body = emu.json_body()
        if not isinstance(body, dict) or not body.get("contentType"):
            return emu.error(400, "InvalidInput", "Invalid Input", "contentType is required",
                             operation="createFeedDocument")
        document_id = emu.next_id("3d4e42b5-1d6e-44e8-a89c-")
        expires = int((emu.now() + UPLOAD_LIFETIME).timestamp())
        emu.documents[document_id] = {"content": None, "gzip": False, "restricted": False, "seller": seller_id,
                                      "upload_expires": expires, "rows": 0}
        return emu.answer({"feedDocumentId": document_id,
                           "url": f"{request.host_url.rstrip('/')}/_uploads/{document_id}?expires={expires}"},
                          201, operation="createFeedDocument")

    @app.put("/_uploads/<document_id>")
    def upload(document_id: str) -> Response:
        document = emu.documents.get(document_id)
        if document is None or document.get("upload_expires", 0) < emu.now().timestamp():
            return Response(b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            status=403, content_type="application/xml")
        document["content"] = request.get_data()
        return Response(b"", status=200)

    @app.post("/feeds/2021-06-30/feeds")
    @emu.guarded("createFeed")
    def create_feed(seller_id: str) -> Response:
        body = emu.json_body()
        document = emu.documents.get(body.get("inputFeedDocumentId")) if isinstance(body, dict) else None
        if (not isinstance(body, dict) or body.get("feedType") != "JSON_LISTINGS_FEED" or document is None
                or document["content"] is None or not body.get("marketplaceIds")):
            return emu.error(400, "InvalidInput", "Invalid Input",
                             "feedType JSON_LISTINGS_FEED, marketplaceIds and an uploaded document are required",
                             operation="createFeed")
        feed_id = emu.next_id("")
        emu.feeds[feed_id] = {"id": feed_id, "document": body["inputFeedDocumentId"], "created": emu.now(),
                              "marketplaceIds": body["marketplaceIds"], "seller": seller_id}
        return emu.answer({"feedId": feed_id}, 202, operation="createFeed")

    @app.get("/feeds/2021-06-30/feeds/<feed_id>")
    @emu.guarded("getFeed")
    def get_feed(seller_id: str, feed_id: str) -> Response:
        feed = emu.feeds.get(feed_id)
        if feed is None or feed["seller"] != seller_id:
            return emu.error(404, "NotFound", "The feed was not found.", operation="getFeed")
        view: dict[str, Any] = {"feedId": feed_id, "feedType": "JSON_LISTINGS_FEED",
                                "marketplaceIds": feed["marketplaceIds"], "createdTime": at(feed["created"])}
        done_at = feed["created"] + timedelta(seconds=emu.feed_seconds)
        if emu.now() < done_at:
            view["processingStatus"] = "IN_PROGRESS"
            return emu.answer(view, operation="getFeed")
        if "status" not in feed:
            _process_feed(emu, feed)
        view.update(processingStatus=feed["status"], processingStartTime=at(feed["created"]),
                    processingEndTime=at(done_at))
        if feed.get("result"):
            view["resultFeedDocumentId"] = feed["result"]
        return emu.answer(view, operation="getFeed")

    @app.get("/feeds/2021-06-30/documents/<document_id>")
    @emu.guarded("getFeedDocument")
    def get_feed_document(seller_id: str, document_id: str) -> Response:
        document = emu.documents.get(document_id)
        if document is None or document["seller"] != seller_id or document["content"] is None:
            return emu.error(404, "NotFound", "The feed document was not found.", operation="getFeedDocument")
        expires = int((emu.now() + UPLOAD_LIFETIME).timestamp())
        return emu.answer({"feedDocumentId": document_id,
                           "url": f"{request.host_url.rstrip('/')}/_downloads/{document_id}?expires={expires}"},
                          operation="getFeedDocument")


def _process_feed(emu: AmazonEmulator, feed: dict[str, Any]) -> None:
    try:
        document = json.loads(emu.documents[feed["document"]]["content"])
        messages = document["messages"]
        if document["header"]["version"] != "2.0" or not isinstance(messages, list) or not messages:
            raise ValueError("header")
    except (ValueError, KeyError, TypeError):
        feed["status"] = "FATAL"
        return
    issues = []
    accepted = 0
    for message in messages:
        problems = ([Problem("PATCH messages need productType")] if message.get("operationType") == "PATCH"
                    and not message.get("productType") else apply_patches(emu, message.get("sku", ""),
                                                                        message.get("patches"),
                                                                        feed["marketplaceIds"]))
        for problem in problems:
            issue = {"messageId": message.get("messageId"), "sku": message.get("sku"), "code": "4000004",
                     "severity": "ERROR", "message": problem.message}
            if problem.attribute:
                issue["attributeName"] = problem.attribute
            issues.append(issue)
        accepted += 0 if problems else 1
    report = {"header": {"sellerId": document["header"].get("sellerId", feed["seller"]), "version": "2.0",
                         "feedId": feed["id"]},
              "issues": issues,
              "summary": {"errors": len(issues), "warnings": 0, "messagesProcessed": len(messages),
                          "messagesAccepted": accepted, "messagesInvalid": len(messages) - accepted}}
    result_id = emu.next_id("amzn1.tortuga.4.eu.")
    emu.documents[result_id] = {"content": json.dumps(report).encode(), "gzip": False, "restricted": False,
                                "seller": feed["seller"], "rows": len(messages)}
    feed.update(status="DONE", result=result_id)
