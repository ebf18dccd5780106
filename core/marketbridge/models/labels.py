"""Shipping labels bought from the marketplace for an order (L1, L2)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.models.base import db


class ShippingLabel(db.Model):  # type: ignore[name-defined,misc]
    """The one label bought for an order; the marketplace knew the shipment from the purchase (L2).

    ``document`` holds the printable label, which shows the buyer's name and
    address: it is erased with the order's other personal data (D1), keeping
    the tracking number and carrier.
    """

    __tablename__ = "shipping_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    label_id: Mapped[str] = mapped_column(sa.String(200))
    tracking_number: Mapped[str] = mapped_column(sa.String(200))
    carrier: Mapped[str] = mapped_column(sa.String(200))
    service: Mapped[str] = mapped_column(sa.String(200))
    price_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    price_currency: Mapped[str | None] = mapped_column(sa.String(3))
    media_type: Mapped[str] = mapped_column(sa.String(50))
    document: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    bought_at: Mapped[datetime]
