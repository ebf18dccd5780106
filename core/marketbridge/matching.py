"""Which value of a marketplace line identifies the shop product (C5).

The connection's unique identifier names the *shop* field (product number,
EAN or shop product id). On the marketplace side the merchant put that value
into the listing, usually as the seller SKU. So a line matches by its
same-named field when the marketplace sends one, and by its SKU otherwise.
"""
from __future__ import annotations

from marketbridge.adapters import ProductIdentifier
from marketbridge.order import OrderLine


def line_value(line: OrderLine, identifier: str) -> str | None:
    """The value of ``line`` to look up under ``identifier`` (``sku``, ``ean``, ``product_id``)."""
    if identifier == ProductIdentifier.EAN and line.ean:
        return line.ean
    if identifier == ProductIdentifier.PRODUCT_ID and line.product_id:
        return line.product_id
    return line.sku or line.ean or line.product_id or line.marketplace_product_id
