"""The stored form of a validated order, written and read without marshmallow.

The inbox validates every order a channel sends with
:func:`~marketbridge.order.schema.load_order`; what it stores is
:func:`order_to_stored` of the result (the same JSON as
:func:`~marketbridge.order.schema.dump_order`, tested so), and reading it back
with :func:`order_from_stored` needs no second validation. Both directions
are plain code because they run for every order and marshmallow costs ten
times more. Untrusted data always goes through ``load_order``.
"""
from __future__ import annotations

from datetime import datetime
from dataclasses import fields
from decimal import Decimal
from typing import Any, Mapping

from marketbridge.clock import utc
from marketbridge.order.model import (
    Address,
    Buyer,
    FulfilmentChannel,
    Money,
    Order,
    OrderFlags,
    OrderLine,
    OrderStatus,
    Promise,
    Shipping,
)


def _money(data: Mapping[str, Any]) -> Money:
    return Money(Decimal(data["amount"]), data["currency"])


def _when(value: str | None) -> datetime | None:
    return None if value is None else utc(datetime.fromisoformat(value))


def _address(data: Mapping[str, Any] | None) -> Address | None:
    return None if data is None else Address(**data)


def order_from_stored(payload: Mapping[str, Any]) -> Order:
    """The order a stored canonical payload describes (raises ``KeyError`` on a payload not made by ``dump_order``)."""
    shipping = payload["shipping"]
    promise = payload.get("promise") or {}
    return Order(
        marketplace=payload["marketplace"],
        marketplace_order_id=payload["marketplace_order_id"],
        status=OrderStatus(payload["status"]),
        marketplace_status=payload["marketplace_status"],
        purchased_at=_when(payload["purchased_at"]),  # type: ignore[arg-type]
        updated_at=_when(payload["updated_at"]),  # type: ignore[arg-type]
        currency=payload["currency"],
        lines=[
            OrderLine(
                line_id=line["line_id"], title=line["title"], quantity=line["quantity"],
                unit_price=_money(line["unit_price"]), tax=_money(line["tax"]), discount=_money(line["discount"]),
                sku=line.get("sku"), ean=line.get("ean"), product_id=line.get("product_id"),
                marketplace_product_id=line.get("marketplace_product_id"),
                tax_rate=None if line.get("tax_rate") is None else Decimal(line["tax_rate"]),
            )
            for line in payload["lines"]
        ],
        shipping=Shipping(method=shipping["method"], price=_money(shipping["price"]), tax=_money(shipping["tax"]),
                          discount=_money(shipping["discount"]), service_level=shipping.get("service_level")),
        total=_money(payload["total"]),
        fulfilment_channel=FulfilmentChannel(payload.get("fulfilment_channel", "merchant")),
        prices_include_tax=payload.get("prices_include_tax", True),
        sales_channel=payload.get("sales_channel"),
        buyer=Buyer(**(payload.get("buyer") or {})),
        shipping_address=_address(payload.get("shipping_address")),
        billing_address=_address(payload.get("billing_address")),
        flags=OrderFlags(**(payload.get("flags") or {})),
        pickup_store_code=payload.get("pickup_store_code"),
        promise=Promise(**{k: _when(v) for k, v in promise.items()}),
        tags=list(payload.get("tags") or []),
        is_test=payload.get("is_test", False),
        notes=dict(payload.get("notes") or {}),
    )


def _money_out(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


def _when_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _flat(value: Any) -> dict[str, Any]:
    """A dataclass of plain values as a dict (``dataclasses.asdict`` deep-copies every value, at a cost)."""
    return {f.name: getattr(value, f.name) for f in fields(value)}


def order_to_stored(order: Order) -> dict[str, Any]:
    """The JSON-safe stored form of a validated order (equal to ``dump_order(order)``)."""
    shipping = order.shipping
    return {
        "marketplace": order.marketplace,
        "marketplace_order_id": order.marketplace_order_id,
        "status": order.status.value,
        "marketplace_status": order.marketplace_status,
        "purchased_at": _when_out(order.purchased_at),
        "updated_at": _when_out(order.updated_at),
        "currency": order.currency,
        "lines": [
            {"line_id": line.line_id, "title": line.title, "quantity": line.quantity,
             "unit_price": _money_out(line.unit_price), "tax": _money_out(line.tax),
             "discount": _money_out(line.discount), "sku": line.sku, "ean": line.ean, "product_id": line.product_id,
             "marketplace_product_id": line.marketplace_product_id,
             "tax_rate": None if line.tax_rate is None else str(line.tax_rate)}
            for line in order.lines
        ],
        "shipping": {"method": shipping.method, "price": _money_out(shipping.price), "tax": _money_out(shipping.tax),
                     "discount": _money_out(shipping.discount), "service_level": shipping.service_level},
        "total": _money_out(order.total),
        "fulfilment_channel": order.fulfilment_channel.value,
        "prices_include_tax": order.prices_include_tax,
        "sales_channel": order.sales_channel,
        "buyer": _flat(order.buyer),
        "shipping_address": None if order.shipping_address is None else _flat(order.shipping_address),
        "billing_address": None if order.billing_address is None else _flat(order.billing_address),
        "flags": _flat(order.flags),
        "pickup_store_code": order.pickup_store_code,
        "promise": {k: _when_out(v) for k, v in _flat(order.promise).items()},
        "tags": list(order.tags),
        "is_test": order.is_test,
        "notes": dict(order.notes),
    }
