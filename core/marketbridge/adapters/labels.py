"""Shipping labels bought from the marketplace (L1, L2): the values channels and the host exchange.

A channel that sells labels (Amazon Buy Shipping) sets
``ChannelAdapter.buys_labels`` and implements
:meth:`~marketbridge.adapters.ChannelAdapter.label_rates` and
:meth:`~marketbridge.adapters.ChannelAdapter.buy_label`. One label covers the
whole order in one parcel: multi-package shipments, manifests and return
labels are not offered on this route (L2). Buying a label tells the
marketplace about the shipment at once; the host sends no separate shipment
confirmation for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Mapping

from marketbridge.adapters.channel import NoticeLine
from marketbridge.order.model import Money


@dataclass(frozen=True)
class Parcel:
    """The one parcel a label is bought for, as the merchant measured it."""

    weight_grams: int
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


@dataclass(frozen=True)
class LabelRequest:
    """What :meth:`ChannelAdapter.label_rates` receives.

    ``ship_from`` has the keys of :class:`~marketbridge.adapters.Store`
    addresses plus ``name`` (``name``, ``line1``, ``line2``, ``city``,
    ``postal_code``, ``region``, ``country_code``, ``phone``, ``email``);
    ``lines`` are every line of the order with its full quantity (the order
    ships whole, O6); ``value`` is what the buyer paid, for insurance.
    """

    marketplace_order_id: str
    lines: tuple[NoticeLine, ...]
    parcel: Parcel
    ship_from: Mapping[str, str]
    value: Money
    ship_date: datetime


@dataclass(frozen=True)
class LabelRate:
    """One carrier service offered for the parcel.

    ``eligible`` is ``False`` for a service the marketplace refuses for this
    order, with ``reason`` in plain words (L1: e.g. it cannot arrive by the
    delivery date promised to the buyer); the host never lets the merchant buy
    one. ``delivery_by`` is the latest promised delivery, when known.
    """

    rate_id: str
    carrier: str
    service: str
    price: Money | None
    delivery_by: datetime | None
    eligible: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class LabelQuote:
    """The rates of one request; ``token`` identifies the request when buying, until ``expires_at``."""

    token: str
    rates: tuple[LabelRate, ...]
    expires_at: datetime | None = None


@dataclass(frozen=True)
class BoughtLabel:
    """A purchased label: the marketplace already knows the shipment (L2).

    ``document`` is the printable label (``media_type`` ``application/pdf``,
    ``image/png`` or ``text/plain`` for ZPL); ``carrier_code`` is the
    marketplace's carrier code when it has one.
    """

    label_id: str
    tracking_number: str
    carrier: str
    service: str
    document: bytes
    media_type: str = "application/pdf"
    carrier_code: str | None = None
    price: Money | None = None
