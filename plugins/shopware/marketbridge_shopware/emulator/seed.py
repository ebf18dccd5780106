"""Seed data: what a fresh Shopware 6.7 installation has, plus the shared demo catalogue.

State machines, their states and transitions come from ``data/state_machines.json``
(a copy of ``shared/specs/shopware/state-machines.json``). Fixed ids are Shopware's
``Defaults`` constants where the platform has one (system language, default currency,
live version, sales-channel types); every other id is derived from a name so that two
emulators seeded alike agree.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

from marketbridge_shopware.emulator.store import EntityStore
from marketbridge_shopware.ids import derived_id

LIVE_VERSION = "0fa91ce3e96a4bc2be4bd9ce752c3425"  #: Defaults::LIVE_VERSION
LANGUAGE_EN = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"  #: Defaults::LANGUAGE_SYSTEM
CURRENCY_EUR = "b7d2554b0ce847cd82f3ac9bd1c0dfca"  #: Defaults::CURRENCY
SALES_CHANNEL_TYPE_STOREFRONT = "8a243080f92e4c719546314b577cf82b"  #: Defaults::SALES_CHANNEL_TYPE_STOREFRONT
SALES_CHANNEL_TYPE_API = "f183ee5650cf4bdb8a774337575067a6"  #: Defaults::SALES_CHANNEL_TYPE_API
SHOPWARE_VERSION = "6.7.9.1"

_ROUNDING = {"decimals": 2, "interval": 0.01, "roundForNet": True}

CURRENCIES = (  # iso, name, symbol, factor
    ("EUR", "Euro", "€", 1.0), ("GBP", "Pound", "£", 0.86), ("USD", "US-Dollar", "$", 1.08),
    ("CHF", "Swiss francs", "Fr", 0.95), ("PLN", "Złoty", "zł", 4.3), ("SEK", "Swedish krone", "kr", 11.4),
)
COUNTRIES = (  # iso, iso3, name
    ("DE", "DEU", "Germany"), ("AT", "AUT", "Austria"), ("CH", "CHE", "Switzerland"), ("FR", "FRA", "France"),
    ("GB", "GBR", "United Kingdom"), ("NL", "NLD", "Netherlands"), ("BE", "BEL", "Belgium"), ("IT", "ITA", "Italy"),
    ("ES", "ESP", "Spain"), ("PL", "POL", "Poland"), ("SE", "SWE", "Sweden"), ("US", "USA", "USA"),
)
COUNTRY_STATES = (("US", "US-CA", "California"), ("US", "US-NY", "New York"), ("DE", "DE-BE", "Berlin"),
                  ("DE", "DE-BY", "Bavaria"))
SALUTATIONS = (("mr", "Mr.", "Dear Mr."), ("mrs", "Mrs.", "Dear Mrs."), ("not_specified", "Not specified", " "))
PAYMENT_METHODS = (("payment_cashpayment", "Cash on delivery", 1), ("payment_prepayment", "Paid in advance", 2),
                   ("payment_invoicepayment", "Invoice", 3))
SHIPPING_METHODS = (("shipping_standard", "Standard", 1), ("shipping_express", "Express", 2))
TAXES = (("Standard rate", Decimal("19")), ("Reduced rate", Decimal("7")), ("Reduced rate 2", Decimal("0")))
MACHINE_NAMES = {"order.state": "Order state", "order_delivery.state": "Order delivery state",
                 "order_transaction.state": "Order transaction state"}


def state_machine_data() -> dict[str, Any]:
    """The default state machines (states, initial state, transitions by action name)."""
    text = resources.files("marketbridge_shopware.emulator").joinpath("data/state_machines.json").read_text("utf-8")
    return json.loads(text)["state_machines"]


def _base(record_id: str, created_at: str, **fields: Any) -> dict[str, Any]:
    return {"id": record_id, "createdAt": created_at, "updatedAt": None, **fields}


def seed_platform(store: EntityStore, now: str) -> None:
    """Load what every fresh installation has: languages, currencies, countries, states …"""
    store.put("language", _base(LANGUAGE_EN, now, name="English", localeId=derived_id("locale", "en-GB"),
                                translationCodeId=derived_id("locale", "en-GB")))
    for iso, name, symbol, factor in CURRENCIES:
        store.put("currency", _base(CURRENCY_EUR if iso == "EUR" else derived_id("currency", iso), now, isoCode=iso,
                                    name=name, shortName=iso, symbol=symbol, factor=factor, position=1,
                                    itemRounding=dict(_ROUNDING), totalRounding=dict(_ROUNDING),
                                    isSystemDefault=iso == "EUR"))
    for iso, iso3, name in COUNTRIES:
        store.put("country", _base(derived_id("country", iso), now, iso=iso, iso3=iso3, name=name, active=True,
                                   shippingAvailable=True, addressFormat={}, position=10))
    for iso, short, name in COUNTRY_STATES:
        store.put("country_state", _base(derived_id("country_state", short), now, shortCode=short, name=name,
                                         countryId=derived_id("country", iso), active=True))
    for key, display, letter in SALUTATIONS:
        store.put("salutation", _base(derived_id("salutation", key), now, salutationKey=key, displayName=display,
                                      letterName=letter))
    for technical, name, position in PAYMENT_METHODS:
        store.put("payment_method", _base(derived_id("payment_method", technical), now, technicalName=technical,
                                          name=name, active=True, position=position, afterOrderEnabled=True))
    for technical, name, position in SHIPPING_METHODS:
        store.put("shipping_method", _base(derived_id("shipping_method", technical), now, technicalName=technical,
                                           name=name, active=True, position=position, trackingUrl=None,
                                           deliveryTimeId=derived_id("delivery_time", "1-3 days"), taxType="auto"))
    for name, rate in TAXES:
        store.put("tax", _base(derived_id("tax", str(rate)), now, name=name, taxRate=float(rate), position=1))
    _seed_sales_channels(store, now)
    _seed_state_machines(store, now)


def _seed_sales_channels(store: EntityStore, now: str) -> None:
    common = dict(languageId=LANGUAGE_EN, currencyId=CURRENCY_EUR, customerGroupId=derived_id("customer_group", "default"),
                  paymentMethodId=derived_id("payment_method", "payment_prepayment"),
                  shippingMethodId=derived_id("shipping_method", "shipping_standard"),
                  countryId=derived_id("country", "DE"), navigationCategoryId=derived_id("category", "home"),
                  homeEnabled=True, active=True, taxCalculationType="horizontal")
    store.put("sales_channel", _base(derived_id("sales_channel", "Storefront"), now, name="Storefront",
                                     typeId=SALES_CHANNEL_TYPE_STOREFRONT, accessKey="SWSCSTOREFRONTDEMO0000000000",
                                     **common))
    store.put("sales_channel", _base(derived_id("sales_channel", "Headless"), now, name="Headless",
                                     typeId=SALES_CHANNEL_TYPE_API, accessKey="SWSCHEADLESSDEMO00000000000",
                                     **common))


def _seed_state_machines(store: EntityStore, now: str) -> None:
    for technical, machine in state_machine_data().items():
        machine_id = derived_id("state_machine", technical)
        state_ids = {s["technicalName"]: derived_id("state", technical, s["technicalName"]) for s in machine["states"]}
        store.put("state_machine", _base(machine_id, now, technicalName=technical, name=MACHINE_NAMES[technical],
                                         initialStateId=state_ids[machine["initial_state"]]))
        for state in machine["states"]:
            store.put("state_machine_state", _base(state_ids[state["technicalName"]], now,
                                                   technicalName=state["technicalName"], name=state["name_en"],
                                                   stateMachineId=machine_id))
        for t in machine["transitions"]:
            store.put("state_machine_transition", _base(
                derived_id("transition", technical, t["from"], t["action"], t["to"]), now, actionName=t["action"],
                stateMachineId=machine_id, fromStateId=state_ids[t["from"]], toStateId=state_ids[t["to"]]))


def _net(gross: Decimal, rate: Decimal) -> float:
    return float((gross / (1 + rate / 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def product_id_for(sku: str) -> str:
    """The id the demo seed gives the product with product number ``sku``."""
    return derived_id("product", sku)


def seed_demo_products(store: EntityStore, now: str) -> None:
    """The shared demo catalogue; variants are products with ``parentId`` that inherit
    price, tax and the active flag from their parent, as Shopware models them."""
    parents = {p.parent_sku for p in DEMO_PRODUCTS if p.parent_sku}
    for demo in DEMO_PRODUCTS:
        variant = demo.parent_sku is not None
        price = [{"currencyId": CURRENCY_EUR, "gross": float(demo.price), "net": _net(demo.price, demo.tax_rate),
                  "linked": True}]
        store.put("product", _base(
            product_id_for(demo.sku), now, versionId=LIVE_VERSION,
            parentId=product_id_for(demo.parent_sku) if variant else None,
            productNumber=demo.sku, ean=demo.ean, name=demo.name,
            active=None if variant and demo.active else demo.active,
            taxId=None if variant else derived_id("tax", str(demo.tax_rate)),
            price=None if variant else price,
            stock=demo.stock, availableStock=demo.stock, available=demo.stock > 0, isCloseout=None if variant else False,
            weight=float(demo.weight) if demo.weight is not None else None,
            childCount=sum(1 for p in DEMO_PRODUCTS if p.parent_sku == demo.sku) if demo.sku in parents else 0,
            sales=0, minPurchase=1, customFields=None,
        ))
