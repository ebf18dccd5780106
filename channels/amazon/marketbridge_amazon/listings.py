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
"""
from __future__ import annotations

from typing import Any, Sequence

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment

PATH = "/listings/2021-08-01/items/{}/{}"
DEFAULT_CHANNEL = "DEFAULT"


def availability_patch(entries: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """One JSON-patch operation setting quantities per fulfilment channel code."""
    return {"op": "merge", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": code, "quantity": max(0, quantity)} for code, quantity in entries]}


def patch_quantities(client: SpApiClient, seller_id: str, marketplace_id: str, sku: str,
                     entries: Sequence[tuple[str, int]], product_type: str) -> tuple[bool, str | None]:
    """Send one SKU's quantities; returns ``(accepted, message)``. Amazon's refusals are results, not errors."""
    try:
        body = client.call("patchListingsItem", "PATCH", PATH.format(segment(seller_id), segment(sku)),
                           params={"marketplaceIds": [marketplace_id], "includedData": ["issues"]},
                           json={"productType": product_type, "patches": [availability_patch(entries)]}).body
    except AmazonNotFound:
        return False, f"Amazon has no listing with SKU {sku} on this marketplace."
    except AmazonRejected as exc:
        return False, f"Amazon refused the quantity for SKU {sku}: {exc.text()}"
    return submission_outcome(body, sku)


def submission_outcome(body: Any, sku: str) -> tuple[bool, str | None]:
    """Read a ``ListingsItemSubmissionResponse``: ACCEPTED (or VALID in preview mode) is success."""
    body = body if isinstance(body, dict) else {}
    if body.get("status") in ("ACCEPTED", "VALID"):
        return True, None
    issues = "; ".join(str(issue.get("message")) for issue in body.get("issues") or ()
                       if issue.get("severity") == "ERROR") or str(body.get("status") or "no status")
    return False, f"Amazon refused the quantity for SKU {sku}: {issues}"
