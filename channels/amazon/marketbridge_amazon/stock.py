"""Stock and price pushes (P1, P2, P4, K2): the cheapest route for the quota.

A few SKUs whose patches fit in the ``patchListingsItem`` bucket right now
(at most its burst of 5) go out as single patches and come back with their
results at once; anything larger becomes one ``JSON_LISTINGS_FEED`` whose
per-SKU results are read later through :meth:`StockSync.results`. Updates of
one SKU for several stores travel together: ``DEFAULT`` for the shop-wide
stock, the store's supply source id for a pickup store's stock.

Prices (P2): the price of the shop-wide update (``store_code`` ``None``) goes
into the same patch or feed message as the SKU's quantities, as a second
operation on ``purchasable_offer`` (see :mod:`marketbridge_amazon.listings`);
never an extra call. A price on a store update is ignored: a supply source has
a quantity, not a price of its own.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

from marketbridge.adapters import Money, StateStore, StockResult, StockSubmission, StockUpdate
from marketbridge.errors import RateLimited

from marketbridge_amazon.client import SpApiClient
from marketbridge_amazon.feeds import MAX_MESSAGES, FeedMessage, ListingsFeeds, feed_document
from marketbridge_amazon.listings import DEFAULT_CHANNEL, patch_quantities, refusal
from marketbridge_amazon.supply_sources import SupplySources

SINGLE_PATCH_LIMIT = 5
STATE_PREFIX = "stock_feed:"


class StockSync:
    """Routes quantity updates to patches or a feed and reads feed results."""

    def __init__(self, client: SpApiClient, supply: SupplySources, state: StateStore, marketplace_id: str,
                 product_type: str) -> None:
        self.client = client
        self.supply = supply
        self.state = state
        self.marketplace_id = marketplace_id
        self.product_type = product_type
        self.feeds = ListingsFeeds(client)

    def push(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        """Submit ``updates``; see the module docstring. Raises ``RateLimited`` when nothing could be sent."""
        groups: "OrderedDict[str, list[tuple[str, StockUpdate]]]" = OrderedDict()
        refused: list[StockResult] = []
        for update in updates:
            if update.store_code is None:
                channel: str | None = DEFAULT_CHANNEL
            else:
                channel = self.supply.id_for_code(update.store_code)
            if channel is None:
                refused.append(StockResult(update.sku, False, update.store_code,
                                           f"Store {update.store_code!r} is not set up on Amazon yet; save the "
                                           "store first, then the quantity is sent again."))
                continue
            groups.setdefault(update.sku, []).append((channel, update))
        if not groups:
            return StockSubmission(tuple(refused))
        buckets = self.client.buckets
        if len(groups) <= SINGLE_PATCH_LIMIT and buckets.wait("patchListingsItem", len(groups)) == 0:
            return StockSubmission(tuple(refused) + self._patch(groups))
        wait = max(buckets.wait("createFeedDocument"), buckets.wait("createFeed"))
        if wait > 0:
            raise RateLimited(f"Amazon's feed quota is used up; sending the stock feed in {wait:.0f} s",
                              retry_after=wait, operation="createFeed")
        messages = [FeedMessage(i, sku, tuple((channel, u.quantity) for channel, u in entries), shop_price(entries))
                    for i, (sku, entries) in enumerate(groups.items(), start=1)]
        if len(messages) > MAX_MESSAGES:
            raise ValueError(f"at most {MAX_MESSAGES} SKUs per feed")
        feed_id = self.feeds.submit(feed_document(self.client.config.selling_partner_id, messages,
                                                  self.product_type, self.marketplace_id), self.marketplace_id)
        self.state.set(STATE_PREFIX + feed_id, {
            "messages": [[m.message_id, m.sku, [u.store_code for _, u in groups[m.sku]]] for m in messages],
            "refused": [[r.sku, r.store_code, r.message] for r in refused]})
        return StockSubmission(pending_id=feed_id)

    def _patch(self, groups: "OrderedDict[str, list[tuple[str, StockUpdate]]]") -> tuple[StockResult, ...]:
        results: list[StockResult] = []
        for sku, entries in groups.items():
            ok, message = patch_quantities(self.client, self.client.config.selling_partner_id, self.marketplace_id,
                                           sku, [(channel, u.quantity) for channel, u in entries], self.product_type,
                                           shop_price(entries))
            results.extend(StockResult(sku, ok, u.store_code, message) for _, u in entries)
        return tuple(results)

    def results(self, feed_id: str) -> tuple[StockResult, ...] | None:
        """Per-SKU results of a stock feed, or ``None`` while Amazon is still processing it."""
        saved: dict[str, Any] | None = self.state.get(STATE_PREFIX + feed_id)
        outcome = self.feeds.outcome(feed_id)
        if outcome is None:
            return None
        refused = [StockResult(sku, False, store, message) for sku, store, message in (saved or {}).get("refused", [])]
        messages = (saved or {}).get("messages", [])
        if outcome.status != "DONE" or outcome.report is None:
            text = (f"Amazon could not process the stock feed {feed_id} ({outcome.status}); the quantities are "
                    "sent again with the next stock sync.")
            results = [StockResult(sku, False, store, text) for _, sku, stores in messages for store in stores]
        else:
            results = feed_results(outcome.report, messages)
        self.state.delete(STATE_PREFIX + feed_id)
        return tuple(refused + results)


def shop_price(entries: Sequence[tuple[str, StockUpdate]]) -> Money | None:
    """The price to send for one SKU: that of its shop-wide update (the last one), never a store update's (P2)."""
    prices = [u.price for _, u in entries if u.store_code is None]
    return prices[-1] if prices else None


def feed_results(report: dict[str, Any], messages: Sequence[Sequence[Any]]) -> list[StockResult]:
    """Per-update results from a listings feed processing report.

    ``messages`` holds ``[messageId, sku, [store codes]]`` as saved at
    submission; an issue of severity ERROR for a message fails every update
    it carried (quantity and price are one message), WARNINGs do not. The
    message says "price" when the issues' ``attributeName`` is the offer (P2).
    """
    errors: dict[int, list[dict[str, Any]]] = {}
    for issue in report.get("issues") or ():
        if issue.get("severity") == "ERROR" and isinstance(issue.get("messageId"), int):
            errors.setdefault(issue["messageId"], []).append(issue)
    results = []
    for message_id, sku, stores in messages:
        issues = errors.get(message_id)
        for store in stores:
            results.append(StockResult(sku, not issues, store, refusal(sku, issues) if issues else None))
    return results
