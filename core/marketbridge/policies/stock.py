"""Default ``stock_source`` policy: offer what the shop has, minus reservations (P1, K2).

For a pickup store: the store's own stock figure when the merchant keeps one
(K2), else the store's location quantity when the shop reports one, else the
product's total. Unlimited stock (``quantity is None``) is offered as the
connection's ``unlimited_quantity`` setting (default 100). Then the
connection's stock rules apply in this order: ``stock_percent`` (offer only
this share, rounded down), ``stock_buffer`` (units kept back), ``stock_max``
(cap). Units sold on other marketplaces and not yet in the shop are
subtracted. The result is never negative.
"""
from __future__ import annotations

from marketbridge import hookimpl
from marketbridge.adapters import ConnectionInfo, StockLevel
from marketbridge.decisions import ListingFacts

DEFAULT_UNLIMITED_QUANTITY = 100


@hookimpl
def stock_source(connection: ConnectionInfo, listing: ListingFacts, level: StockLevel, store_code: str | None) -> int:
    settings = connection.settings
    if store_code is not None and listing.store_quantity is not None:
        available = listing.store_quantity
    elif store_code is not None and store_code in level.by_location:
        available = level.by_location[store_code]
    elif level.quantity is None:
        available = int(settings.get("unlimited_quantity", DEFAULT_UNLIMITED_QUANTITY))
    else:
        available = level.quantity
    available -= listing.reserved
    percent = settings.get("stock_percent")
    if percent not in (None, ""):
        available = available * int(percent) // 100
    quantity = available - int(settings.get("stock_buffer", 0) or 0)
    cap = settings.get("stock_max")
    if cap not in (None, ""):
        quantity = min(quantity, int(cap))
    return max(quantity, 0)
