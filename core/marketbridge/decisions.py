"""Values the policy hooks receive and return (see :mod:`marketbridge.hookspecs`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from marketbridge.adapters.context import ConnectionInfo
from marketbridge.adapters.shop import ShopProduct


@dataclass(frozen=True)
class Hold:
    """Keep an order out of the shop until the cause is fixed.

    ``code`` is stable (``product_not_found``, ``missing_weight`` …) and picks a
    translated text; ``message`` is the English text with ``{placeholders}``
    filled from ``params``. ``release_when_fixed`` lets the engine retry the
    order automatically on the next run (O4, C5); otherwise the merchant
    releases it by hand.
    """

    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    release_when_fixed: bool = True

    def text(self) -> str:
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


@dataclass
class ImportContext:
    """What ``order_import`` implementations know besides the order, and what they may decide.

    ``products`` maps each line id to the shop product it matched, or ``None``
    when no product carries the connection's identifier value (C5).
    ``reprocess`` is ``True`` when rules are re-applied to an imported order (O7).
    A policy may set ``initial_status`` to create this order with another shop
    status than the connection's (Prime pending fulfilment O5, rules O7); the
    last one to set it wins.
    """

    connection: ConnectionInfo
    products: Mapping[str, ShopProduct | None]
    reprocess: bool = False
    initial_status: str | None = None


@dataclass(frozen=True)
class StatusDecision:
    """Answer of ``map_status``: the marketplace status to send, or ``None`` to send nothing."""

    marketplace_status: str | None
    reason: str = ""


@dataclass(frozen=True)
class CarrierChoice:
    """Answer of ``detect_carrier``: the marketplace's carrier code and how it was found.

    ``source`` is one of ``rule``, ``shop_name``, ``library``, ``default`` (shown
    in the order history so the merchant sees why a code was chosen); ``note``
    explains a fallback ("could be DHL or GLS; the default carrier was used").
    """

    code: str
    source: str
    name: str | None = None
    note: str | None = None  #: why this choice, when it is a fallback (shown in the order history)


@dataclass(frozen=True)
class ListingFacts:
    """A product as listed on one connection, for ``stock_source``."""

    sku: str
    product_id: str
    reserved: int = 0  #: units sold on other marketplaces, not yet in the shop (P1)
    store_quantity: int | None = None  #: the store's own stock figure, for stores that keep one (K2)
