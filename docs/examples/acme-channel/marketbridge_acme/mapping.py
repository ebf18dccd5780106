# marketbridge_acme/mapping.py
"""Acme orders → canonical order dicts (the fields of ``marketbridge.order.schema``).

The adapter hands Marketbridge plain dicts, not ``Order`` objects: the host
validates them, so an order with one bad field is held with the reason
instead of breaking the import. What this module cannot read at all raises
``KeyError``, ``TypeError`` or ``ValueError``; the adapter turns those into
rejected orders.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

from marketbridge_acme.facts import STATUSES

Money = Callable[[Any], dict[str, str]]


def to_canonical(raw: Mapping[str, Any], marketplace: str) -> dict[str, Any]:
    """The canonical order dict of one Acme order; ``marketplace`` is the channel's ``kind``."""
    currency = raw["currency"]

    def money(cents: Any) -> dict[str, str]:
        return {"amount": amount(cents), "currency": currency}

    if raw["status"] not in STATUSES:
        raise ValueError(f"Acme's order status {raw['status']!r} is unknown to this plugin")
    shipping = raw["shipping"]
    return {
        "marketplace": marketplace,
        "marketplace_order_id": raw["id"],
        "status": STATUSES[raw["status"]],
        "marketplace_status": raw["status"],
        "purchased_at": timestamp(raw["created_at"]),
        "updated_at": timestamp(raw["updated_at"]),
        "currency": currency,
        "sales_channel": raw["market"],
        "fulfilment_channel": "marketplace" if raw["fulfilled_by"] == "acme" else "merchant",
        "prices_include_tax": True,
        "lines": [line(item, money) for item in raw["items"]],
        "shipping": {"method": shipping["method"], "price": money(shipping["price_cents"]),
                     "tax": money(shipping["tax_cents"]), "discount": money(0)},
        "total": money(raw["total_cents"]),
        # Acme's seller terms forbid storing the buyer's e-mail address (O8): raw["buyer"]["email"] stays behind.
        "buyer": {"name": raw["buyer"]["name"], "vat_number": raw["vat_id"]},
        "shipping_address": address(raw["delivery_address"]),
        "flags": {"premium": raw["express"], "business": raw["business"]},
        "tags": [tag for tag, applies in (("Acme Express", raw["express"]), ("Acme Business", raw["business"]))
                 if applies],
        "promise": {"latest_ship": timestamp(raw["ship_by"]) if raw["ship_by"] else None},
    }


def line(item: Mapping[str, Any], money: Money) -> dict[str, Any]:
    """One canonical line; ``line_id`` is Acme's item id, which shipments must name."""
    return {"line_id": item["id"], "sku": item["sku"], "ean": item["ean"], "title": item["title"],
            "quantity": item["quantity"], "unit_price": money(item["unit_price_cents"]),
            "tax": money(item["tax_cents"]), "discount": money(item["discount_cents"]), "tax_rate": item["tax_rate"]}


def address(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A canonical address, or ``None`` while Acme hides it (the order is not paid yet)."""
    if raw is None:
        return None
    return {"name": raw["name"], "company": raw["company"], "line1": raw["street"], "line2": raw["street2"],
            "postal_code": raw["zip"], "city": raw["city"], "country_code": raw["country"], "phone": raw["phone"]}


def amount(cents: Any) -> str:
    """Whole cents as a decimal string, never through a float: ``1490`` → ``"14.90"``."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise ValueError(f"{cents!r} is not a whole number of cents")
    return str(Decimal(cents).scaleb(-2))


def timestamp(value: str) -> str:
    """An Acme time as ISO 8601 with its offset; one without an offset cannot be placed in time."""
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"the time {value!r} has no time zone")
    return when.isoformat()


def without_email(raw: Any) -> Any:
    """``raw`` without the buyer's e-mail address, for keeping an order that could not be read (O8)."""
    if isinstance(raw, Mapping) and isinstance(raw.get("buyer"), Mapping):
        return {**raw, "buyer": {k: v for k, v in raw["buyer"].items() if k != "email"}}
    return raw
