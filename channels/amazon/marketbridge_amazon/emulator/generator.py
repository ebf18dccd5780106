"""A deterministic generator of realistic Amazon orders for tests, the benchmark and demo mode.

Orders use the demo catalogue's SKUs (:mod:`marketbridge.testing.demo_catalogue`)
so they always match the demo shops' products, plus ``MB-UNKNOWN`` (sold on
Amazon only, C5). The mix covers every case the channel must handle:

* every order starts Pending (payment authorisation) and turns Unshipped
  minutes later; some stay Pending for a day;
* Prime (free shipping), in-store pickup at a supply source, Amazon Business
  (with a VAT number), multi-line orders, promotions, replacements,
  pre-orders (PENDING_AVAILABILITY first);
* cancellations while Pending (never importable) and after becoming Unshipped;
* Amazon-fulfilled (AFN) orders, which a merchant-fulfilled connection must
  not import (C4);
* orders older than two days are mostly shipped already (activation only
  imports open orders, C3).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Sequence

from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS, UNKNOWN_SKU, DemoProduct

from marketbridge_amazon.emulator.model import EmulatedOrder, Item
from marketbridge_amazon.marketplaces import MARKETPLACES

_SELLABLE = [p for p in DEMO_PRODUCTS if p.active and p.sku != "MB-TEE"]
#: What Amazon sells under ``MB-UNKNOWN`` (no demo shop has it, C5).
_UNKNOWN = DemoProduct(UNKNOWN_SKU, "4006381399999", "Ceramic teapot (Amazon only)", Decimal("27.50"), Decimal("19"),
                       Decimal("0.70"), 0)


def _product(sku: str) -> DemoProduct:
    return _UNKNOWN if sku == UNKNOWN_SKU else next(p for p in DEMO_PRODUCTS if p.sku == sku)
_FIRST = ["Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Lena", "Paul", "Emma", "Noah"]
_LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch"]
_STREETS = ["Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee", "Bergstraße"]
_CITIES = [("Berlin", "10115", "Berlin"), ("Hamburg", "20095", "Hamburg"), ("München", "80331", "Bayern"),
           ("Köln", "50667", "Nordrhein-Westfalen"), ("Leipzig", "04109", "Sachsen")]


@dataclass(frozen=True)
class Mix:
    """Shares of each kind of order (each drawn independently)."""

    prime: float = 0.2
    pickup: float = 0.05
    business: float = 0.1
    multi_line: float = 0.3
    unknown_sku: float = 0.02
    promotion: float = 0.1
    replacement: float = 0.02
    preorder: float = 0.02
    long_pending: float = 0.03  #: Pending for a day before Unshipped
    cancelled_pending: float = 0.02  #: cancelled while Pending
    cancelled_later: float = 0.02  #: cancelled after becoming Unshipped
    afn: float = 0.1
    shipped_after_days: float = 2.0  #: orders older than this are shipped …
    shipped_share: float = 0.8  #: … with this probability
    malformed: float = 0.0  #: spec-valid but unmappable orders (a line without SKU and ASIN)

    @classmethod
    def none(cls) -> Mix:
        """No kind drawn at random: every order is a plain one unless the caller forces a kind."""
        return cls(**{name: 0.0 for name in cls.__dataclass_fields__ if name not in ("shipped_after_days",
                                                                                     "shipped_share")})


class OrderGenerator:
    """Creates :class:`EmulatedOrder` values; ``seed`` makes runs repeatable."""

    def __init__(self, seller_id: str, marketplace_id: str = "A1PA6795UKMFR9", seed: int = 7,
                 mix: Mix | None = None, stores: Sequence[dict[str, Any]] = ()) -> None:
        self.seller_id = seller_id
        self.marketplace = MARKETPLACES[marketplace_id]
        self.random = random.Random(seed)
        self.mix = mix or Mix()
        self.stores = list(stores)  #: supply source addresses for pickup orders
        self._counter = 0

    def _order_id(self) -> str:
        self._counter += 1
        return f"{self.random.randint(200, 399):03d}-{self.random.randint(0, 9_999_999):07d}-{self._counter:07d}"

    def _address(self) -> dict[str, str]:
        city, postal, region = self.random.choice(_CITIES)
        name = f"{self.random.choice(_FIRST)} {self.random.choice(_LAST)}"
        return {"name": name, "addressLine1": f"{self.random.choice(_STREETS)} {self.random.randint(1, 120)}",
                "city": city, "postalCode": postal, "stateOrRegion": region,
                "countryCode": self.marketplace.country_code, "phone": f"+49 30 {self.random.randint(1000000, 9999999)}",
                "addressType": "RESIDENTIAL"}

    def _price(self, gross: Decimal, rate: Decimal) -> Decimal:
        if self.marketplace.prices_include_tax:
            return gross
        return (gross * 100 / (100 + rate)).quantize(Decimal("0.01"))

    def order(self, created: datetime, *, now: datetime | None = None, **overrides: Any) -> EmulatedOrder:
        """One order placed at ``created``; ``overrides`` force kinds (``prime=True``, ``status_events=[…]`` …).

        ``skus=[("MB-MUG-BLUE", 2), "MB-CANDLE"]`` fixes the lines (SKU, or SKU and quantity) instead of
        drawing them.
        """
        mix, rnd = self.mix, self.random

        def pick(kind: str) -> bool:
            if kind in overrides:
                return bool(overrides[kind])
            return rnd.random() < getattr(mix, kind)

        afn, pickup = pick("afn"), False
        pickup = not afn and bool(self.stores) and pick("pickup")
        prime, business = pick("prime") and not pickup, pick("business")
        if "skus" in overrides:
            fixed = [(entry, None) if isinstance(entry, str) else (entry[0], int(entry[1]))
                     for entry in overrides["skus"]]
            products = [_product(sku) for sku, _ in fixed]
            quantities = [quantity for _, quantity in fixed]
        else:
            products = rnd.sample(_SELLABLE, 3 if pick("multi_line") else 1)
            quantities = [None] * len(products)
        items = []
        for index, product in enumerate(products):
            sku: str | None = product.sku
            if index == 0 and "skus" not in overrides and pick("unknown_sku"):
                sku = UNKNOWN_SKU
            items.append(Item(order_item_id=f"{rnd.randint(10**13, 10**14 - 1)}", sku=sku,
                              asin=f"B0{rnd.randint(10**7, 10**8 - 1)}", title=product.name,
                              quantity=quantities[index] or rnd.choice((1, 1, 1, 2, 3)),
                              unit_price=self._price(product.price, product.tax_rate), tax_rate=product.tax_rate))
        programs = []
        if prime:
            programs.append("PRIME")
        if pickup:
            programs.append("IN_STORE_PICK_UP")
        if business:
            programs.append("AMAZON_BUSINESS")
        preorder = pick("preorder")
        if preorder:
            programs.append("PREORDER")
        address = dict(rnd.choice(self.stores)) if pickup else self._address()
        buyer = {"buyerName": address["name"] if not pickup else f"{rnd.choice(_FIRST)} {rnd.choice(_LAST)}",
                 "buyerEmail": f"{rnd.randint(10**9, 10**10)}@marketplace.amazon.{self.marketplace.domain.split('amazon.')[-1]}"}
        if business:
            buyer["buyerCompanyName"] = f"{rnd.choice(_LAST)} GmbH"
            buyer["_vat"] = f"DE{rnd.randint(10**8, 10**9 - 1)}"
            if rnd.random() < 0.5:
                buyer["buyerPurchaseOrderNumber"] = f"PO-{rnd.randint(1000, 9999)}"
        events = overrides.get("status_events") or self._timeline(created, preorder, pick, now)
        order = EmulatedOrder(
            order_id=overrides.get("order_id") or self._order_id(), seller_id=self.seller_id,
            marketplace_id=self.marketplace.id, marketplace_name=f"Amazon.{self.marketplace.domain.split('amazon.')[-1]}",
            currency=self.marketplace.currency, prices_include_tax=self.marketplace.prices_include_tax,
            fulfilled_by="AMAZON" if afn else "MERCHANT", created=created, items=items, events=events,
            address=address, buyer=buyer, programs=programs,
            service_level="NEXT_DAY" if prime else "STANDARD",
            shipping=Decimal("0") if (prime or pickup) else self._price(Decimal("4.90"), Decimal("19")),
            shipping_tax_rate=Decimal("19"),
            discount=Decimal("2.00") if pick("promotion") else Decimal("0"),
            replaced_order_id=self._order_id() if pick("replacement") else None,
            malformed=pick("malformed"))
        if order.replaced_order_id:
            order.shipping = Decimal("0")
            for item in order.items:
                item.unit_price = Decimal("0")
            order.discount = Decimal("0")
        self._ship_old(order, now)
        return order

    def _timeline(self, created: datetime, preorder: bool, pick: Any, now: datetime | None) -> list:
        rnd = self.random
        first = "PENDING_AVAILABILITY" if preorder else "PENDING"
        events: list[tuple[datetime, str]] = [(created, first)]
        if pick("cancelled_pending"):
            events.append((created + timedelta(minutes=rnd.randint(5, 120)), "CANCELLED"))
            return events
        wait = timedelta(hours=rnd.randint(20, 30)) if pick("long_pending") else timedelta(minutes=rnd.randint(1, 30))
        if preorder:
            wait += timedelta(days=rnd.randint(1, 3))
        events.append((created + wait, "UNSHIPPED"))
        if pick("cancelled_later"):
            events.append((created + wait + timedelta(hours=rnd.randint(1, 12)), "CANCELLED"))
        return events

    def _ship_old(self, order: EmulatedOrder, now: datetime | None) -> None:
        """Orders older than ``shipped_after_days`` were mostly shipped (by the seller or Amazon)."""
        if now is None or order.status_at(now) != "UNSHIPPED":
            return
        shipped_at = order.created + timedelta(days=self.mix.shipped_after_days)
        if shipped_at > now or self.random.random() >= self.mix.shipped_share:
            return
        order.add_event(shipped_at, "SHIPPED")
        for item in order.items:
            item.shipped = item.quantity
        if order.fulfilled_by == "MERCHANT":
            order.packages.append({"_at": shipped_at, "packageReferenceId": "1", "createdTime": shipped_at.strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "packageStatus": {"status": "SHIPPED"}, "carrier": "DHL",
                "shipTime": shipped_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "trackingNumber": f"00340434{self._counter:010d}",
                "packageItems": [{"orderItemId": i.order_item_id, "quantity": i.quantity} for i in order.items]})

    def orders(self, start: datetime, end: datetime, count: int, *, now: datetime | None = None) -> list[EmulatedOrder]:
        """``count`` orders placed at random times in ``[start, end)``, sorted by creation time."""
        span = (end - start).total_seconds()
        times = sorted(start + timedelta(seconds=self.random.random() * span) for _ in range(count))
        return [self.order(created, now=now) for created in times]
