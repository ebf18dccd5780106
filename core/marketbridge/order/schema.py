"""Marshmallow schemas of the canonical order.

Channels hand the engine plain dicts; :func:`load_order` validates them and
returns an :class:`~marketbridge.order.model.Order`. A ``ValidationError`` is
never fatal: the engine keeps the raw order, holds it, and shows
:func:`validation_summary` to the merchant.

Fields carrying a buyer's personal data have ``metadata={"pii": True}``; the
purge job finds them through :func:`pii_paths` rather than a hand-kept list.
"""
from __future__ import annotations

from datetime import timezone
from typing import Any, Iterator, Mapping

from marshmallow import Schema, ValidationError, fields, missing, post_load, validate, validates_schema

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

PII = {"pii": True}
_currency = validate.Regexp(r"^[A-Z]{3}$", error="Currency must be a three-letter ISO code such as EUR.")
_country = validate.Regexp(r"^[A-Z]{2}$", error="Country must be a two-letter ISO code such as DE.")
_text = validate.Length(min=1, max=500)


def _when() -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=timezone.utc, allow_none=True, load_default=None)


class MoneyField(fields.Field):
    """A :class:`Money` as ``{"amount": "12.34", "currency": "EUR"}``.

    Behaves like a nested schema of those two fields (required, unknown keys
    refused, errors keyed by field) but costs a fraction of one: an order
    carries seven amounts, and nested schema loads were the largest share of
    the inbox's time.
    """

    default_error_messages = {"type": "Invalid input type."}
    _parts = {"amount": fields.Decimal(required=True, as_string=True, allow_nan=False),
              "currency": fields.String(required=True, validate=_currency)}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Money:
        if not isinstance(value, Mapping):
            raise self.make_error("type")
        errors: dict[str, list[str]] = {key: ["Unknown field."] for key in value if key not in self._parts}
        loaded: dict[str, Any] = {}
        for name, part in self._parts.items():
            try:
                loaded[name] = part.deserialize(value.get(name, missing))
            except ValidationError as exc:
                errors[name] = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
        if errors:
            raise ValidationError(errors)
        return Money(**loaded)

    def _serialize(self, value: Money | None, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, str] | None:
        if value is None:
            return None
        return {"amount": self._parts["amount"].serialize("amount", value), "currency": value.currency}


class AddressSchema(Schema):
    name = fields.String(required=True, validate=_text, metadata=PII)
    line1 = fields.String(required=True, validate=_text, metadata=PII)
    line2 = fields.String(load_default=None, allow_none=True, metadata=PII)
    line3 = fields.String(load_default=None, allow_none=True, metadata=PII)
    company = fields.String(load_default=None, allow_none=True, metadata=PII)
    city = fields.String(required=True, validate=_text, metadata=PII)
    postal_code = fields.String(required=True, validate=validate.Length(max=20), metadata=PII)
    region = fields.String(load_default=None, allow_none=True)
    country_code = fields.String(required=True, validate=_country)
    phone = fields.String(load_default=None, allow_none=True, metadata=PII)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Address:
        return Address(**data)


class BuyerSchema(Schema):
    name = fields.String(load_default=None, allow_none=True, metadata=PII)
    email = fields.Email(load_default=None, allow_none=True, metadata=PII)
    phone = fields.String(load_default=None, allow_none=True, metadata=PII)
    company = fields.String(load_default=None, allow_none=True, metadata=PII)
    vat_number = fields.String(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Buyer:
        return Buyer(**data)


class OrderLineSchema(Schema):
    line_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    unit_price = MoneyField(required=True)
    tax = MoneyField(required=True)
    discount = MoneyField(required=True)
    sku = fields.String(load_default=None, allow_none=True)
    ean = fields.String(load_default=None, allow_none=True)
    product_id = fields.String(load_default=None, allow_none=True)
    marketplace_product_id = fields.String(load_default=None, allow_none=True)
    tax_rate = fields.Decimal(load_default=None, allow_none=True, as_string=True, validate=validate.Range(min=0, max=100))

    @validates_schema
    def has_identifier(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(k) for k in ("sku", "ean", "product_id", "marketplace_product_id")):
            raise ValidationError("A line needs at least one product identifier (sku, ean or product id).", "sku")
        for name in ("unit_price", "tax", "discount"):
            if name in data and data[name].amount < 0:
                raise ValidationError("Must not be negative.", name)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> OrderLine:
        return OrderLine(**data)


class ShippingSchema(Schema):
    method = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price = MoneyField(required=True)
    tax = MoneyField(required=True)
    discount = MoneyField(required=True)
    service_level = fields.String(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Shipping:
        return Shipping(**data)


class PromiseSchema(Schema):
    earliest_ship = _when()
    latest_ship = _when()
    earliest_delivery = _when()
    latest_delivery = _when()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Promise:
        return Promise(**data)


class FlagsSchema(Schema):
    prime = fields.Boolean(load_default=False)
    premium = fields.Boolean(load_default=False)
    pickup = fields.Boolean(load_default=False)
    business = fields.Boolean(load_default=False)
    replacement = fields.Boolean(load_default=False)
    preorder = fields.Boolean(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> OrderFlags:
        return OrderFlags(**data)


class OrderSchema(Schema):
    """The canonical order. See :class:`marketbridge.order.model.Order` for field meanings."""

    marketplace = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,40}$"))
    marketplace_order_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    status = fields.Enum(OrderStatus, by_value=True, required=True)
    marketplace_status = fields.String(required=True, validate=validate.Length(min=1, max=60))
    purchased_at = _when()
    updated_at = _when()
    currency = fields.String(required=True, validate=_currency)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True, validate=validate.Length(min=1, max=1000))
    shipping = fields.Nested(ShippingSchema, required=True)
    total = MoneyField(required=True)
    fulfilment_channel = fields.Enum(FulfilmentChannel, by_value=True, load_default=FulfilmentChannel.MERCHANT)
    prices_include_tax = fields.Boolean(load_default=True)
    sales_channel = fields.String(load_default=None, allow_none=True)
    buyer = fields.Nested(BuyerSchema, load_default=lambda: Buyer())
    shipping_address = fields.Nested(AddressSchema, load_default=None, allow_none=True)
    billing_address = fields.Nested(AddressSchema, load_default=None, allow_none=True)
    flags = fields.Nested(FlagsSchema, load_default=lambda: OrderFlags())
    pickup_store_code = fields.String(load_default=None, allow_none=True)
    promise = fields.Nested(PromiseSchema, load_default=lambda: Promise())
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=80)), load_default=list)
    is_test = fields.Boolean(load_default=False)
    notes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("purchased_at", "updated_at"):
            self.fields[name].required = True
            self.fields[name].allow_none = False

    @validates_schema
    def consistent(self, data: dict[str, Any], **_: Any) -> None:
        currency = data.get("currency")
        if currency:
            for money, where in _monies(data):
                if money.currency != currency:
                    raise ValidationError(f"Amount in {money.currency}, but the order is in {currency}.", where)
        line_ids = [line.line_id for line in data.get("lines", [])]
        if len(line_ids) != len(set(line_ids)):
            raise ValidationError("Two lines share the same line id.", "lines")
        status = data.get("status")
        if status is not None and status.importable and data.get("shipping_address") is None:
            raise ValidationError("An order that can be shipped needs a shipping address.", "shipping_address")
        if data.get("flags") is not None and data["flags"].pickup and not data.get("pickup_store_code"):
            raise ValidationError("A pickup order needs the pickup store's code.", "pickup_store_code")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Order:
        return Order(**data)


def _monies(data: Mapping[str, Any]) -> Iterator[tuple[Money, str]]:
    if isinstance(data.get("total"), Money):
        yield data["total"], "total"
    shipping = data.get("shipping")
    if isinstance(shipping, Shipping):
        for name in ("price", "tax", "discount"):
            yield getattr(shipping, name), f"shipping.{name}"
    for i, line in enumerate(data.get("lines", [])):
        for name in ("unit_price", "tax", "discount"):
            yield getattr(line, name), f"lines.{i}.{name}"


_ORDER_SCHEMA = OrderSchema()


def load_order(data: Mapping[str, Any]) -> Order:
    """Validate a canonical order dict and return the :class:`Order`.

    Raises ``marshmallow.ValidationError`` with per-field messages when the
    data does not fit; use :func:`validation_summary` to show them.
    """
    return _ORDER_SCHEMA.load(data)


def dump_order(order: Order) -> dict[str, Any]:
    """Serialise an :class:`Order` to a JSON-safe dict (amounts as strings, ISO times)."""
    return _ORDER_SCHEMA.dump(order)


def validation_summary(error: ValidationError) -> str:
    """Flatten a ``ValidationError`` into one readable line per field.

    ``{"lines": {0: {"quantity": ["Must be ..."]}}}`` becomes
    ``"lines.0.quantity: Must be ..."``.
    """
    out: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path and key != "_schema" else (path or str(key)))
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            out.append(f"{path}: {node}" if path else str(node))

    walk(error.messages, "")
    return "; ".join(out)


def pii_paths(schema: Schema | None = None, prefix: str = "") -> list[str]:
    """Dotted paths of every personal-data field of the order schema (``buyer.name`` …)."""
    schema = schema or _ORDER_SCHEMA
    paths: list[str] = []
    for name, fld in schema.fields.items():
        path = f"{prefix}{name}"
        if fld.metadata.get("pii"):
            paths.append(path)
        inner = fld.inner if isinstance(fld, fields.List) else fld
        if isinstance(inner, fields.Nested):
            nested = inner.schema
            paths.extend(pii_paths(nested, f"{path}."))
    return paths
