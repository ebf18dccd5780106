"""Builders shared by the Shopware tests: adapters pointed at an emulator, canonical orders, drafts."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ProductIdentifier, ShopProduct
from marketbridge.clock import FakeClock
from marketbridge.order import load_order
from marketbridge.testing.context import adapter_context
from marketbridge.testing.emulator import EmulatorServer

from marketbridge_shopware.adapter import ShopwareShop
from marketbridge_shopware.emulator.auth import Integration


def make_shop(server: EmulatorServer, integration: Integration, clock: FakeClock, *, timeout: float = 5.0,
              **settings: Any) -> ShopwareShop:
    context = adapter_context(
        settings={"shop_url": server.url, "client_id": integration.access_key, **settings},
        secrets={"client_secret": integration.secret}, clock=clock, timeout=timeout)
    return ShopwareShop(context)


def order_dict(order_id: str = "302-1234567-1234567", *, lines: list[dict[str, Any]] | None = None,
               **overrides: Any) -> dict[str, Any]:
    """A canonical Amazon.de order (gross prices) for demo products."""
    eur = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    data: dict[str, Any] = {
        "marketplace": "amazon", "marketplace_order_id": order_id, "status": "unshipped",
        "marketplace_status": "Unshipped", "purchased_at": "2026-11-01T10:15:00+00:00",
        "updated_at": "2026-11-01T10:20:00+00:00", "currency": "EUR",
        "lines": lines or [
            {"line_id": "L1", "title": "Enamel mug, blue (Amazon title)", "quantity": 2, "unit_price": eur("14.90"),
             "tax": eur("4.76"), "discount": eur("0"), "sku": "MB-MUG-BLUE", "ean": "4006381333931",
             "marketplace_product_id": "B000MUG01", "tax_rate": "19"},
            {"line_id": "L2", "title": "T-shirt S", "quantity": 1, "unit_price": eur("24.00"), "tax": eur("3.51"),
             "discount": eur("2.00"), "sku": "MB-TEE-S", "tax_rate": "19"},
        ],
        "shipping": {"method": "Standard", "price": eur("4.99"), "tax": eur("0.80"), "discount": eur("0"),
                     "service_level": "Std DE Dom"},
        "total": eur("56.79"),
        "buyer": {"name": "Erika Mustermann", "email": None},
        "shipping_address": {"name": "Erika Mustermann", "line1": "Heidestraße 17", "city": "Köln",
                             "postal_code": "51147", "country_code": "DE", "phone": "+49 221 000000"},
        "sales_channel": "Amazon.de",
    }
    data.update(overrides)
    return data


def draft_for(shop: ShopwareShop, data: dict[str, Any] | None = None, *, marker: Marker | None = None,
              initial_status: str | None = None, tags: tuple[str, ...] = ()) -> OrderDraft:
    """Match the order's lines by SKU through the adapter and build the draft the engine would."""
    order = load_order(data or order_dict())
    found = shop.find_products(ProductIdentifier.SKU, [line.sku for line in order.lines if line.sku])
    planned = tuple(PlannedLine(line, found[line.sku]) for line in order.lines)
    return OrderDraft(order=order, external_ref=order.key, lines=planned,
                      marker=marker or Marker("amazon", "Amazon"), initial_status=initial_status,
                      connection_name="Amazon DE", tags=tags)


def fake_product(product_id: str, name: str = "Ghost", sku: str = "MB-GHOST") -> ShopProduct:
    return ShopProduct(product_id=product_id, name=name, sku=sku, weight=Decimal("1"))
