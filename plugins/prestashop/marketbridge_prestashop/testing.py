"""Canonical sample orders for the demo catalogue, shared by this plugin's tests and engine tests.

Amounts are those an Amazon.de buyer pays for the demo products (gross
prices, 19 % VAT) shipped with the emulator's "My carrier" (4.90), so a sample
order matches the emulator's cart total unless a test changes a price.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

ADDRESS: dict[str, str] = {"name": "Erika Mustermann", "line1": "Heidestraße 17", "city": "Köln",
                           "postal_code": "51147", "country_code": "DE", "phone": "+49 221 1234567"}


def line(sku: str, quantity: int, unit: str, tax: str, line_id: str | None = None,
         title: str | None = None) -> dict[str, Any]:
    """One canonical order line in EUR without discount."""
    return {"line_id": line_id or sku, "title": title or sku, "quantity": quantity,
            "unit_price": {"amount": unit, "currency": "EUR"}, "tax": {"amount": tax, "currency": "EUR"},
            "discount": {"amount": "0.00", "currency": "EUR"}, "sku": sku}


def order_dict(**overrides: Any) -> dict[str, Any]:
    """An Amazon.de order for two blue mugs as a canonical order dict (``load_order`` takes it)."""
    data: dict[str, Any] = {
        "marketplace": "amazon", "marketplace_order_id": "302-1234567-1234567", "status": "unshipped",
        "marketplace_status": "Unshipped", "purchased_at": "2026-11-02T08:30:00+00:00",
        "updated_at": "2026-11-02T08:31:00+00:00", "currency": "EUR", "sales_channel": "Amazon.de",
        "lines": [line("MB-MUG-BLUE", 2, "14.90", "4.76", "L1", "Enamel mug, blue")],
        "shipping": {"method": "Standard", "price": {"amount": "4.90", "currency": "EUR"},
                     "tax": {"amount": "0.78", "currency": "EUR"}, "discount": {"amount": "0.00", "currency": "EUR"}},
        "total": {"amount": "34.70", "currency": "EUR"},
        "buyer": {"name": "Erika Mustermann"},
        "shipping_address": dict(ADDRESS),
    }
    data.update(deepcopy(overrides))
    return data
