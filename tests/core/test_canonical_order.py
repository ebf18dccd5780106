"""The canonical order: validation with readable errors, and a lossless stored form."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from marketbridge.order import dump_order, load_order, validation_summary
from marketbridge.order.schema import pii_paths
from marketbridge.order.stored import order_from_stored, order_to_stored

MONEY = lambda a: {"amount": a, "currency": "EUR"}  # noqa: E731
ORDER = {
    "marketplace": "amazon", "marketplace_order_id": "302-1234567-1234567", "status": "unshipped",
    "marketplace_status": "Unshipped", "purchased_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:05:00Z",
    "currency": "EUR",
    "lines": [{"line_id": "L1", "title": "Mug", "quantity": 2, "sku": "MB-MUG-BLUE", "unit_price": MONEY("14.90"),
               "tax": MONEY("4.76"), "discount": MONEY("0"), "tax_rate": "19"}],
    "shipping": {"method": "Std DE Dom", "price": MONEY("4.90"), "tax": MONEY("0.78"), "discount": MONEY("0"),
                 "service_level": "Standard"},
    "total": MONEY("34.70"), "buyer": {"name": "Anna Schmidt"},
    "shipping_address": {"name": "Anna Schmidt", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115",
                         "country_code": "DE", "phone": "+49 30 123"},
    "flags": {"prime": True, "pickup": True}, "pickup_store_code": "berlin-mitte",
    "promise": {"latest_ship": "2026-11-02T18:00:00Z"}, "tags": ["Amazon Prime Order"],
}


def test_valid_order_round_trips_through_storage_without_loss():
    order = load_order(ORDER)
    stored = order_to_stored(order)
    assert stored == dump_order(order), "the fast writer produces exactly the schema's dump"
    assert order_from_stored(stored) == order
    assert order.lines[0].unit_price.amount == Decimal("14.90")
    assert order.key == "amazon:302-1234567-1234567"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda o: o["lines"][0].update(quantity=0), "lines.0.quantity"),
    (lambda o: o.update(currency="euro"), "currency"),
    (lambda o: o["total"].update(currency="USD"), "total: Amount in USD, but the order is in EUR."),
    (lambda o: o.update(lines=[]), "lines"),
    (lambda o: o.pop("shipping_address"), "shipping_address: An order that can be shipped needs a shipping address."),
    (lambda o: o.update(pickup_store_code=None), "pickup_store_code"),
    (lambda o: o["lines"][0].update(sku=None), "A line needs at least one product identifier"),
    (lambda o: o["lines"][0]["unit_price"].update(amount="-1"), "unit_price: Must not be negative."),
    (lambda o: o.update(purchased_at=None), "purchased_at"),
    # amounts: every part named, like a nested schema would
    (lambda o: o["total"].update(amount="12,50"), "total.amount: Not a valid number."),
    (lambda o: o["total"].update(amount="NaN"), "total.amount: Special numeric values"),
    (lambda o: o["shipping"]["price"].pop("currency"), "shipping.price.currency: Missing data for required field."),
    (lambda o: o["lines"][0]["tax"].update(rate="19"), "lines.0.tax.rate: Unknown field."),
    (lambda o: o["lines"][0].update(discount="0.00"), "lines.0.discount: Invalid input type."),
    (lambda o: o.pop("total"), "total: Missing data for required field."),
])
def test_invalid_orders_give_readable_errors(change, expected):
    data = copy.deepcopy(ORDER)
    change(data)
    with pytest.raises(ValidationError) as info:
        load_order(data)
    assert expected in validation_summary(info.value)


def test_personal_data_fields_are_marked_for_the_purge():
    paths = pii_paths()
    assert {"buyer.name", "buyer.email", "shipping_address.line1", "shipping_address.phone"} <= set(paths)
    assert "shipping_address.country_code" not in paths and "total.amount" not in paths
