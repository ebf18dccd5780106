"""Marshmallow schemas of the API's request bodies and query strings.

Unknown fields are refused (``RAISE``) so a typo in a shop's integration shows
up as a 400 naming the field instead of being silently ignored. The OpenAPI
document (``openapi.json``) describes the same shapes.
"""
from __future__ import annotations

from datetime import timezone
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

MAX_BATCH = 1000

_id = validate.Length(min=1, max=100)
_price = fields.Decimal(allow_none=True, as_string=True, allow_nan=False, places=None,
                        validate=validate.Range(min=0, max=10_000_000))
_currency = validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code such as EUR.")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class PageQuery(_Strict):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AcknowledgeBody(_Strict):
    number = fields.String(required=True, validate=_id)
    shop_order_id = fields.String(load_default=None, allow_none=True, validate=_id)


class StatusBody(_Strict):
    status = fields.String(required=True, validate=_id)


class ShipmentLine(_Strict):
    line_id = fields.String(required=True, validate=_id)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))


class ShipmentBody(_Strict):
    shipment_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tracking_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    service = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    shipped_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    lines = fields.List(fields.Nested(ShipmentLine), load_default=list, validate=validate.Length(max=1000))


class StatusItem(_Strict):
    code = fields.String(required=True, validate=_id)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    initial = fields.Boolean(load_default=True)


def _price_needs_currency(data: dict[str, Any]) -> None:
    if data.get("price") is not None and not data.get("currency"):
        raise ValidationError("A price needs its currency.", "currency")


class ProductItem(_Strict):
    product_id = fields.String(required=True, validate=_id)
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))
    parent_id = fields.String(load_default=None, allow_none=True, validate=_id)
    sku = fields.String(load_default=None, allow_none=True, validate=_id)
    ean = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9]{8,14}$"))
    weight = fields.Decimal(load_default=None, allow_none=True, as_string=True, allow_nan=False,
                            validate=validate.Range(min=0, max=100000))
    active = fields.Boolean(load_default=True)
    quantity = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    price = _price
    currency = fields.String(load_default=None, allow_none=True, validate=_currency)

    @validates_schema
    def currency_with_price(self, data: dict[str, Any], **_: Any) -> None:
        _price_needs_currency(data)


class StockItem(_Strict):
    product_id = fields.String(required=True, validate=_id)
    quantity = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    price = _price
    currency = fields.String(allow_none=True, validate=_currency)

    @validates_schema
    def currency_with_price(self, data: dict[str, Any], **_: Any) -> None:
        _price_needs_currency(data)


def load_list(schema: Schema, body: Any, *, unique: str) -> list[dict[str, Any]]:
    """Validate a JSON array body of 1..1000 items with ``schema``, each ``unique`` key once.

    Raises ``ValidationError`` with messages keyed by item index.
    """
    if not isinstance(body, list):
        raise ValidationError({"_body": ["Send a JSON array."]})
    if not body or len(body) > MAX_BATCH:
        raise ValidationError({"_body": [f"Send between 1 and {MAX_BATCH} items."]})
    items: list[dict[str, Any]] = schema.load(body, many=True)
    seen: dict[str, int] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    for i, item in enumerate(items):
        key = item[unique]
        if key in seen:
            errors[i] = {unique: [f"Also given in item {seen[key]}."]}
        seen.setdefault(key, i)
    if errors:
        raise ValidationError(errors)
    return items
