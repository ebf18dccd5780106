"""The adapter contract: what a shop plugin and a channel plugin implement.

Import from here in plugins::

    from marketbridge.adapters import ShopAdapter, ChannelAdapter, OrderDraft, ...
"""
from marketbridge.adapters.channel import (
    ChannelAdapter,
    FetchRequest,
    MarketplaceChoice,
    MarketplaceStatus,
    Notice,
    NoticeLine,
    OrderPage,
    RejectedOrder,
    ShipmentNotice,
    StatusNotice,
    StockResult,
    StockSubmission,
    StockUpdate,
    Store,
)
from marketbridge.adapters.common import CheckResult
from marketbridge.adapters.demo import DemoSetup
from marketbridge.adapters.context import AdapterContext, CarrierRuleInfo, ConnectionInfo, QuotaRecorder, StateStore
from marketbridge.adapters.labels import BoughtLabel, LabelQuote, LabelRate, LabelRequest, Parcel
from marketbridge.adapters.settings import FieldKind, SettingField
from marketbridge.order.model import Money
from marketbridge.adapters.shop import (
    ChangePage,
    Marker,
    OrderDraft,
    PlannedLine,
    ProductIdentifier,
    Shipped,
    ShippedLine,
    ShopAdapter,
    ShopEvent,
    ShopOrderRef,
    ShopProduct,
    ShopStatus,
    StatusChanged,
    StockLevel,
    StockPage,
)

__all__ = [
    "AdapterContext",
    "BoughtLabel",
    "CarrierRuleInfo",
    "ChangePage",
    "ChannelAdapter",
    "CheckResult",
    "ConnectionInfo",
    "DemoSetup",
    "FetchRequest",
    "FieldKind",
    "MarketplaceChoice",
    "MarketplaceStatus",
    "LabelQuote",
    "LabelRate",
    "LabelRequest",
    "Marker",
    "Money",
    "Notice",
    "NoticeLine",
    "OrderDraft",
    "Parcel",
    "OrderPage",
    "PlannedLine",
    "ProductIdentifier",
    "QuotaRecorder",
    "RejectedOrder",
    "SettingField",
    "ShipmentNotice",
    "Shipped",
    "ShippedLine",
    "ShopAdapter",
    "ShopEvent",
    "ShopOrderRef",
    "ShopProduct",
    "ShopStatus",
    "StateStore",
    "StatusChanged",
    "StatusNotice",
    "StockLevel",
    "StockPage",
    "StockResult",
    "StockSubmission",
    "StockUpdate",
    "Store",
]
