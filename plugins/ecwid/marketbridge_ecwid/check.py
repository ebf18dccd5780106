"""``check_connection``: can this token do what Marketbridge needs, and if not, what to fix?

Ecwid has no call that lists a token's scopes, so each needed scope is probed
with a call that cannot change anything (scopes from Ecwid's app settings;
402/403 meanings from the REST API error codes):

=================  ===================================================  ==================
scope              probe                                                answer when granted
=================  ===================================================  ==================
read_store_profile ``GET /profile``, ``GET /profile/order_statuses``    200
read_orders        ``GET /orders?limit=1``                              200
read_catalog       ``GET /products?limit=1``                            200
update_orders      ``PUT /orders/MARKETBRIDGE-SCOPE-CHECK`` ``{}``      404 ORDER_NOT_FOUND
create_orders      ``POST /orders`` ``{"total": "scope-check"}``        400 (not a number)
=================  ===================================================  ==================

A missing scope answers 403 ``INSUFFICIENT_APP_SCOPE`` before the request is
looked at. The create probe's body is not an order (``total`` is not a
number), so no order can come of it.
"""
from __future__ import annotations

from typing import Callable

from marketbridge.adapters import CheckResult
from marketbridge.errors import AuthenticationFailed

from marketbridge_ecwid.client import Answer, EcwidClient
from marketbridge_ecwid.profile import KG_PER_UNIT, fetch_profile

PROBE_ORDER_ID = "MARKETBRIDGE-SCOPE-CHECK"
PROBE_CREATE_BODY = {"total": "scope-check"}


def _probes(client: EcwidClient) -> list[Callable[[], Answer]]:
    return [
        lambda: client.get("/profile/order_statuses", operation="list_statuses", what="read the order statuses"),
        lambda: client.get("/orders", operation="search_orders", what="read orders", params={"limit": 1}),
        lambda: client.get("/products", operation="search_products", what="read products", params={"limit": 1}),
        lambda: client.call("PUT", f"/orders/{PROBE_ORDER_ID}", operation="update_order",
                            what="update orders", body={}),
        lambda: client.call("POST", "/orders", operation="create_order", what="create orders",
                            body=PROBE_CREATE_BODY),
    ]


def check_connection(client: EcwidClient) -> CheckResult:
    """List, in plain words, everything the merchant must fix; an empty result means ready.

    Raises ``TemporaryFailure`` when Ecwid cannot be reached or fails (5xx), and
    ``RateLimited`` when the token's quota is used up.
    """
    try:
        profile = fetch_profile(client)
    except AuthenticationFailed as exc:
        return CheckResult((exc.message,))
    problems: list[str] = []
    if profile.store_id is not None and str(profile.store_id) != client.config.store_id:
        problems.append(f"The token belongs to Ecwid store {profile.store_id}, not to store "
                        f"{client.config.store_id}. Correct the store ID or use this store's token.")
    if profile.weight_unit not in KG_PER_UNIT:
        problems.append(f"The store's weight unit {profile.weight_unit!r} is unknown to Marketbridge, so product "
                        "weights cannot be read. Choose kilograms, grams, pounds or ounces in Ecwid admin → "
                        "Settings → General → Formats & Units.")
    for probe in _probes(client):
        try:
            probe()
        except AuthenticationFailed as exc:
            problems.append(exc.message)
    return CheckResult(tuple(dict.fromkeys(problems)))
