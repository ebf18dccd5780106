"""Database models. One module per aggregate:

* :mod:`.users` – who may log in.
* :mod:`.parties` – shops, marketplace accounts, adapter state, quota usage.
* :mod:`.connections` – connections and their mappings, rules, stores, listings.
* :mod:`.orders` – the inbox of marketplace orders and their way into the shop.
* :mod:`.labels` – shipping labels bought from the marketplace.
* :mod:`.sync` – cursors, the outbox to marketplaces, sync problems.
"""
from marketbridge.models.base import db
from marketbridge.models.connections import (
    AutomationRule,
    CarrierRule,
    Connection,
    Listing,
    StatusMapping,
    Store,
    StoreStock,
)
from marketbridge.models.labels import ShippingLabel
from marketbridge.models.orders import Order, OrderEvent, OrderLine, OrderState, ShopOrderClaim
from marketbridge.models.parties import AdapterState, MarketplaceAccount, QuotaUsage, Shop
from marketbridge.models.sync import OutboxMessage, OutboxState, SyncCursor, SyncProblem
from marketbridge.models.users import User

__all__ = [
    "AdapterState", "AutomationRule", "CarrierRule", "Connection", "Listing", "MarketplaceAccount", "Order",
    "OrderEvent", "OrderLine", "OrderState", "OutboxMessage", "OutboxState", "QuotaUsage", "Shop",
    "ShippingLabel", "ShopOrderClaim", "StatusMapping", "Store", "StoreStock", "SyncCursor", "SyncProblem", "User", "db",
]
