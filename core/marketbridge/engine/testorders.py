"""Test orders (C6): a realistic order for one product, through the real import path, never sent back.

The merchant gives a product (by the connection's unique identifier) and a
country. The product must exist in the shop with a stock of at least 4,
because the quantity is random between 1 and 4. Buyer name and address are
random but realistic for the country (Faker). The order enters the inbox
exactly as a marketplace order would, marked as a test: the pipeline creates
it in the shop (also on a connection that is not active yet), the shop sees
the test marker, and nothing about it is ever sent to the marketplace.
"""
from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

from faker import Faker

from marketbridge.adapters import OrderPage, ProductIdentifier
from marketbridge.engine.inbox import store_page
from marketbridge.errors import MarketbridgeError
from marketbridge.host import Host
from marketbridge.models import Connection, Order, db
from marketbridge.order.model import OrderStatus

MIN_STOCK = 4
#: Faker locale per country; others fall back to English.
LOCALES = {"DE": "de_DE", "AT": "de_AT", "CH": "de_CH", "FR": "fr_FR", "BE": "fr_BE", "NL": "nl_NL", "IT": "it_IT",
           "ES": "es_ES", "GB": "en_GB", "IE": "en_IE", "US": "en_US", "PL": "pl_PL", "SE": "sv_SE"}
CURRENCIES = {"GB": "GBP", "US": "USD", "PL": "PLN", "SE": "SEK", "CH": "CHF"}


class TestOrderError(MarketbridgeError):
    """The test order cannot be made (unknown product, too little stock); the message says why."""

    __test__ = False  # not a pytest test class
    code = "test_order_refused"


def create_test_order(host: Host, connection: Connection, product_value: str, country: str,
                      rng: random.Random | None = None) -> Order:
    """Create a test order for ``product_value`` shipped to ``country``; returns the inbox row.

    Raises :class:`TestOrderError` when the shop has no such product or
    less than 4 in stock, and adapter errors when the shop cannot be asked.
    """
    rng = rng or random.Random()
    country = country.strip().upper()
    identifier = ProductIdentifier(connection.product_identifier)
    found = host.shop_adapter(connection.shop).find_products(identifier, [product_value.strip()])
    product = found.get(product_value.strip())
    if product is None:
        raise TestOrderError(f"No shop product has {identifier.value} \u201c{product_value}\u201d.",
                               identifier=identifier.value, value=product_value)
    if product.stock is not None and product.stock < MIN_STOCK:
        raise TestOrderError(
            f"\u201c{product.name}\u201d has {product.stock} in stock; a test order needs at least {MIN_STOCK} "
            "because it orders 1 to 4.", name=product.name, stock=product.stock)
    data = _canonical(host, connection, product_value.strip(), product.name, country, rng)
    store_page(connection, OrderPage((data,), None), host.clock.now())
    db.session.commit()
    return db.session.query(Order).filter_by(connection_id=connection.id,
                                             marketplace_order_id=data["marketplace_order_id"]).one()


def _canonical(host: Host, connection: Connection, value: str, title: str, country: str,
               rng: random.Random) -> dict[str, Any]:
    fake = Faker(LOCALES.get(country, "en_US"))
    fake.seed_instance(rng.randrange(1 << 30))
    currency = (connection.settings or {}).get("currency") or CURRENCIES.get(country, "EUR")
    quantity = rng.randint(1, 4)
    unit = Decimal(rng.randrange(990, 8990)) / 100
    tax = (unit * quantity * Decimal("0.19") / Decimal("1.19")).quantize(Decimal("0.01"))
    shipping = Decimal("4.90")
    money = lambda amount: {"amount": str(amount), "currency": currency}  # noqa: E731
    now = host.clock.now().isoformat()
    name = fake.name()
    identifier_field = {"sku": "sku", "ean": "ean", "product_id": "product_id"}[connection.product_identifier]
    line: dict[str, Any] = {"line_id": "1", "title": title, "quantity": quantity, "unit_price": money(unit),
                            "tax": money(tax), "discount": money("0.00"), identifier_field: value}
    return {
        "marketplace": connection.account.kind,
        "marketplace_order_id": f"TEST-{uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()}",
        "status": OrderStatus.UNSHIPPED.value, "marketplace_status": "Test order",
        "purchased_at": now, "updated_at": now, "currency": currency,
        "lines": [line],
        "shipping": {"method": "Standard", "price": money(shipping), "tax": money("0.78"), "discount": money("0.00")},
        "total": money(unit * quantity + shipping),
        "buyer": {"name": name, "phone": fake.phone_number()},
        "shipping_address": {"name": name, "line1": fake.street_address(), "city": fake.city(),
                             "postal_code": fake.postcode(), "country_code": country},
        "tags": ["Test order"],
        "is_test": True,
    }
