"""Bulk quantity changes as one ``JSON_LISTINGS_FEED`` (P1, P4).

Operations (Feeds 2021-06-30):

1. ``createFeedDocument`` POST ``/feeds/2021-06-30/documents`` ``{contentType}`` →
   ``{feedDocumentId, url}`` (a presigned upload URL valid for 5 minutes);
2. upload: HTTP PUT of the JSON document to ``url`` (no SP-API token);
3. ``createFeed`` POST ``/feeds/2021-06-30/feeds`` ``{feedType: JSON_LISTINGS_FEED,
   marketplaceIds, inputFeedDocumentId}`` → 202 ``{feedId}``;
4. ``getFeed`` GET ``/feeds/2021-06-30/feeds/{feedId}`` until ``processingStatus`` is
   DONE, FATAL or CANCELLED;
5. ``getFeedDocument`` GET ``/feeds/2021-06-30/documents/{resultFeedDocumentId}`` →
   the processing report (``listings-feed-processing-report-schema-v2.json``),
   maybe GZIP-compressed.

The document follows ``listings-feed-schema-v2.json``: a header
``{sellerId, version: "2.0"}`` and up to 25,000 PATCH messages. A message whose
SKU carries a shop-wide price (P2) has a second patch on ``purchasable_offer``
(see :func:`marketbridge_amazon.listings.offer_patch`); a refused price comes
back as an ERROR issue whose ``attributeName`` is ``purchasable_offer…``.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, Sequence

from marketbridge.adapters import Money
from marketbridge.errors import TemporaryFailure
from marketbridge.http import transport_errors

from marketbridge_amazon.client import SpApiClient, segment
from marketbridge_amazon.listings import listing_patches

DOCUMENTS = "/feeds/2021-06-30/documents"
FEEDS = "/feeds/2021-06-30/feeds"
CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_TYPE = "JSON_LISTINGS_FEED"
MAX_MESSAGES = 25_000


@dataclass(frozen=True)
class FeedMessage:
    message_id: int
    sku: str
    entries: tuple[tuple[str, int], ...]  #: (fulfillment channel code, quantity)
    price: Money | None = None  #: the shop-wide offer price (P2), ``None`` leaves Amazon's price alone


def feed_document(seller_id: str, messages: Sequence[FeedMessage], product_type: str,
                  marketplace_id: str) -> dict[str, Any]:
    """The ``JSON_LISTINGS_FEED`` document for ``messages`` (P1, P2, P4).

    Receives the messages and the feed's marketplace (``createFeed``
    ``marketplaceIds``, also the ``marketplace_id`` of price patches); returns
    the document: quantities, plus the offer price where a message has one.
    """
    return {
        "header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
        "messages": [{"messageId": m.message_id, "sku": m.sku, "operationType": "PATCH",
                      "productType": product_type, "patches": listing_patches(marketplace_id, m.entries, m.price)}
                     for m in messages],
    }


@dataclass(frozen=True)
class FeedOutcome:
    """A finished feed: its status and, for DONE, the processing report."""

    status: str
    report: dict[str, Any] | None


class ListingsFeeds:
    """Submits listings feeds and reads their processing reports."""

    def __init__(self, client: SpApiClient) -> None:
        self.client = client

    def submit(self, document: dict[str, Any], marketplace_id: str) -> str:
        """Upload ``document`` and create the feed; returns the ``feedId``."""
        created = self.client.call("createFeedDocument", "POST", DOCUMENTS, json={"contentType": CONTENT_TYPE}).body
        if not isinstance(created, dict) or not created.get("url") or not created.get("feedDocumentId"):
            raise TemporaryFailure("Amazon answered createFeedDocument without an upload URL",
                                   code="malformed_response")
        with transport_errors("Amazon's feed upload"):
            upload = self.client.http.put(created["url"], data=json.dumps(document).encode(),
                                          headers={"Content-Type": CONTENT_TYPE}, timeout=self.client.context.timeout)
        if upload.status_code not in (200, 201, 204):
            raise TemporaryFailure(f"Uploading the stock feed failed (HTTP {upload.status_code}); it is resent later",
                                   code="upload_failed", status=upload.status_code)
        feed = self.client.call("createFeed", "POST", FEEDS, json={
            "feedType": FEED_TYPE, "marketplaceIds": [marketplace_id],
            "inputFeedDocumentId": created["feedDocumentId"]}).body
        if not isinstance(feed, dict) or not isinstance(feed.get("feedId"), str):
            raise TemporaryFailure("Amazon answered createFeed without a feed id", code="malformed_response")
        return feed["feedId"]

    def outcome(self, feed_id: str) -> FeedOutcome | None:
        """``None`` while Amazon processes the feed; otherwise its status and processing report."""
        feed = self.client.call("getFeed", "GET", f"{FEEDS}/{segment(feed_id)}").body or {}
        status = feed.get("processingStatus")
        if status in ("IN_QUEUE", "IN_PROGRESS"):
            return None
        if status != "DONE" or not feed.get("resultFeedDocumentId"):
            return FeedOutcome(str(status), None)
        document = self.client.call("getFeedDocument", "GET",
                                    f"{DOCUMENTS}/{segment(str(feed['resultFeedDocumentId']))}").body or {}
        if not document.get("url"):
            raise TemporaryFailure("Amazon answered getFeedDocument without a URL", code="malformed_response")
        with transport_errors("Amazon's feed report download"):
            response = self.client.http.get(document["url"], timeout=self.client.context.timeout)
        if response.status_code != 200:
            raise TemporaryFailure(f"Downloading the feed's processing report failed (HTTP {response.status_code})",
                                   code="download_failed")
        raw = response.content
        try:
            if document.get("compressionAlgorithm") == "GZIP":
                raw = gzip.decompress(raw)
            report = json.loads(raw)
        except (OSError, EOFError, ValueError) as exc:
            raise TemporaryFailure("The feed's processing report is not valid JSON", code="malformed_response") from exc
        return FeedOutcome("DONE", report if isinstance(report, dict) else None)
