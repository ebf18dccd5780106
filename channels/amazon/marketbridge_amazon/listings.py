"""Single urgent quantity changes with ``patchListingsItem`` (P1).

Operation: PATCH ``/listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=…``
(5/s, burst 5) with a ``ListingsItemPatchRequest``. The quantity is the
top-level attribute ``fulfillment_availability``: ``[{fulfillment_channel_code,
quantity}]`` where ``DEFAULT`` is the seller-fulfilled stock and a supply
source id is one store's stock (multi-location / pickup stores, K2). The
``merge`` operation keeps the entries of other channels (stores) untouched.
The answer is ``ListingsItemSubmissionResponse``: ``ACCEPTED`` (processed
asynchronously) or ``INVALID`` with ``issues``.

``productType`` is required; the connection setting ``product_type`` (default
``PRODUCT``, Amazon's generic type for offer-only changes) fills it.

Price (P2) travels in the same patch as a second operation on the top-level
attribute ``purchasable_offer``, the offer-only price update Amazon documents
for the Listings Items API and ``JSON_LISTINGS_FEED`` (SP-API docs "Manage
purchasable offer"; the attribute is defined per product type by the Product
Type Definitions API, not in the saved Listings model): ``[{marketplace_id,
currency, audience, our_price: [{schedule: [{value_with_tax}]}]}]``. An offer
is identified by its selectors ``marketplace_id``, ``currency`` and
``audience`` (``ALL`` is the default, every buyer; sent explicitly).
``value_with_tax`` is the price the buyer pays; the engine has already
applied the connection's selling policy and rounding. Amazon names the
attribute of an issue in ``Issue.attributeNames`` (and the categories
``INVALID_PRICE`` / ``MISSING_PRICE``), which tells a refused price from a
refused quantity.
"""
from __future__ import annotations

from typing import Any, Sequence

from marketbridge.adapters import Money

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment

PATH = "/listings/2021-08-01/items/{}/{}"
DEFAULT_CHANNEL = "DEFAULT"
OFFER_ATTRIBUTE = "purchasable_offer"
AUDIENCE = "ALL"
PRICE_CATEGORIES = frozenset({"INVALID_PRICE", "MISSING_PRICE"})


def availability_patch(entries: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """One JSON-patch operation setting quantities per fulfilment channel code."""
    return {"op": "merge", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": code, "quantity": max(0, quantity)} for code, quantity in entries]}


def offer_patch(marketplace_id: str, price: Money) -> dict[str, Any]:
    """One JSON-patch operation setting the buyer price of the marketplace's offer (P2).

    Receives the connection's marketplace id and the price in the marketplace's
    currency; returns the ``merge`` of ``/attributes/purchasable_offer`` with
    ``our_price[0].schedule[0].value_with_tax`` (a JSON number), the offer
    picked by its selectors ``marketplace_id``, ``currency`` and ``audience``
    (Amazon's tutorials "Manage purchasable offer" and "Merge a listing": a
    merge changes only the sub-attributes it names). A sale price, minimum or
    maximum price or B2B offer set in Seller Central is kept. Raises nothing.
    """
    return {"op": "merge", "path": f"/attributes/{OFFER_ATTRIBUTE}",
            "value": [{"marketplace_id": marketplace_id, "currency": price.currency, "audience": AUDIENCE,
                       "our_price": [{"schedule": [{"value_with_tax": float(price.amount)}]}]}]}


def listing_patches(marketplace_id: str, entries: Sequence[tuple[str, int]],
                    price: Money | None) -> list[dict[str, Any]]:
    """The patches of one SKU: its quantities and, when ``price`` is given, its offer price (P1, P2)."""
    patches = [availability_patch(entries)]
    if price is not None:
        patches.append(offer_patch(marketplace_id, price))
    return patches


def patch_quantities(client: SpApiClient, seller_id: str, marketplace_id: str, sku: str,
                     entries: Sequence[tuple[str, int]], product_type: str,
                     price: Money | None = None) -> tuple[bool, str | None]:
    """Send one SKU's quantities, and its price when given, in one ``patchListingsItem`` (P1, P2).

    Receives the per-channel quantities ``(fulfillment channel code, quantity)``
    and the shop-wide offer price (or ``None``: the price is left alone).
    Returns ``(accepted, message)``; Amazon's refusals (404, 400, INVALID) are
    results, not errors. Raises what :meth:`SpApiClient.call` raises for
    transport failures, throttling and authorisation.
    """
    try:
        body = client.call("patchListingsItem", "PATCH", PATH.format(segment(seller_id), segment(sku)),
                           params={"marketplaceIds": [marketplace_id], "includedData": ["issues"]},
                           json={"productType": product_type,
                                 "patches": listing_patches(marketplace_id, entries, price)}).body
    except AmazonNotFound:
        return False, f"Amazon has no listing with SKU {sku} on this marketplace."
    except AmazonRejected as exc:
        what = "quantity and price" if price is not None else "quantity"
        return False, f"Amazon refused the {what} for SKU {sku}: {exc.text()}"
    return submission_outcome(body, sku)


def is_price_issue(issue: dict[str, Any]) -> bool:
    """Whether an issue concerns the offer price: its attribute is ``purchasable_offer…`` or its category a price one.

    Reads ``attributeNames`` (Listings Items ``Issue``) or ``attributeName``
    (listings feed processing report) and ``categories``.
    """
    names = list(issue.get("attributeNames") or ()) + ([issue["attributeName"]] if issue.get("attributeName") else [])
    return (any(str(name).startswith(OFFER_ATTRIBUTE) for name in names)
            or bool(PRICE_CATEGORIES & set(issue.get("categories") or ())))


def refusal(sku: str, issues: Sequence[dict[str, Any]]) -> str:
    """The merchant's message for ERROR ``issues`` of one SKU: says "price" when Amazon's issues concern it."""
    kinds = {is_price_issue(issue) for issue in issues}
    what = "quantity and price" if kinds == {True, False} else "price" if kinds == {True} else "quantity"
    text = "; ".join(str(issue.get("message") or issue.get("code")) for issue in issues)
    return f"Amazon refused the {what} for SKU {sku}: {text}"


def submission_outcome(body: Any, sku: str) -> tuple[bool, str | None]:
    """Read a ``ListingsItemSubmissionResponse``: ACCEPTED (or VALID in preview mode) is success."""
    body = body if isinstance(body, dict) else {}
    if body.get("status") in ("ACCEPTED", "VALID"):
        return True, None
    errors = [issue for issue in body.get("issues") or ()
              if isinstance(issue, dict) and issue.get("severity") == "ERROR"]
    if not errors:
        return False, f"Amazon refused the quantity for SKU {sku}: {body.get('status') or 'no status'}"
    return False, refusal(sku, errors)
