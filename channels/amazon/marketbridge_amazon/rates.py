"""The documented default usage plans (rate per second / burst) of every operation used.

Values are the "Usage Plan" tables in the operation descriptions of the saved
models (``specs/amazon/*.json``, summarised in NOTES.md §2 and its Reports
addendum). Amazon may grant other values; the real ones arrive in the
``x-amzn-RateLimit-Limit`` header and retune the client's buckets.

The Supply Sources model documents no numbers; :data:`ASSUMED` marks the
conservative values used until the header says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UsagePlan:
    rate: float  #: requests per second
    burst: int


USAGE_PLANS: dict[str, UsagePlan] = {
    # Orders 2026-01-01 (orders_2026-01-01.json)
    "searchOrders": UsagePlan(0.0056, 20),
    "getOrder": UsagePlan(0.5, 30),
    # Orders v0 (ordersV0.json); the reads are deprecated and only used by the naive benchmark baseline
    "getOrdersV0": UsagePlan(0.0167, 20),
    "getOrderItemsV0": UsagePlan(0.5, 30),
    "confirmShipment": UsagePlan(2, 10),
    "updateShipmentStatus": UsagePlan(5, 15),
    # Tokens 2021-03-01
    "createRestrictedDataToken": UsagePlan(1, 10),
    # Reports 2021-06-30 (NOTES.md addendum)
    "createReport": UsagePlan(0.0167, 15),
    "getReport": UsagePlan(2, 15),
    "getReportDocument": UsagePlan(0.0167, 15),
    # Feeds 2021-06-30
    "createFeedDocument": UsagePlan(0.5, 15),
    "createFeed": UsagePlan(0.0083, 15),
    "getFeed": UsagePlan(2, 15),
    "getFeedDocument": UsagePlan(0.0222, 10),
    # Listings Items 2021-08-01
    "patchListingsItem": UsagePlan(5, 5),
    # Amazon Shipping v2 (shippingV2.json): every operation but linkCarrierAccount is 80/s, burst 100
    "getRates": UsagePlan(80, 100),
    "purchaseShipment": UsagePlan(80, 100),
    # Sellers v1
    "getMarketplaceParticipations": UsagePlan(0.016, 15),
    # Supply Sources 2020-07-01: no documented plan (see ASSUMED)
    "getSupplySources": UsagePlan(1, 5),
    "getSupplySource": UsagePlan(1, 5),
    "createSupplySource": UsagePlan(1, 5),
    "updateSupplySource": UsagePlan(1, 5),
    "archiveSupplySource": UsagePlan(1, 5),
    "updateSupplySourceStatus": UsagePlan(1, 5),
}

#: Operations whose plan is an assumption, not a documented value.
ASSUMED: frozenset[str] = frozenset({
    "getSupplySources", "getSupplySource", "createSupplySource", "updateSupplySource",
    "archiveSupplySource", "updateSupplySourceStatus",
})


def plan(operation: str) -> UsagePlan:
    """The usage plan of ``operation``; ``KeyError`` for an operation this package never calls."""
    return USAGE_PLANS[operation]
