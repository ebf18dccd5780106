"""In-process channel and shop adapters for benchmarks: no HTTP, so the figures measure the engine."""
from __future__ import annotations

import json
from decimal import Decimal
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from marketbridge import hookimpl
from marketbridge.adapters import (
    ChangePage,
    ChannelAdapter,
    CheckResult,
    FetchRequest,
    MarketplaceChoice,
    OrderDraft,
    OrderPage,
    ProductIdentifier,
    ShipmentNotice,
    ShopAdapter,
    ShopOrderRef,
    ShopProduct,
    ShopStatus,
    StatusNotice,
    StockLevel,
    StockPage,
    StockResult,
    StockSubmission,
    StockUpdate,
    Store,
)
from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS

SELLABLE = [p for p in DEMO_PRODUCTS if p.active and p.weight is not None and p.parent_sku != ""]
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
PAGE = 100


class Source:
    """Synthetic orders, generated on demand (never held in memory as a list)."""

    total = 0

    @classmethod
    def order(cls, n: int) -> dict[str, Any]:
        product = SELLABLE[n % len(SELLABLE)]
        quantity = 1 + n % 3
        when = (START + timedelta(seconds=n)).isoformat()
        money = lambda a: {"amount": str(a), "currency": "EUR"}  # noqa: E731
        return {
            "marketplace": "bench_channel", "marketplace_order_id": f"B-{n:09d}", "status": "unshipped",
            "marketplace_status": "Unshipped", "purchased_at": when, "updated_at": when, "currency": "EUR",
            "lines": [{"line_id": f"{n}-1", "sku": product.sku, "title": product.name, "quantity": quantity,
                       "unit_price": money(product.price), "tax": money("1.00"), "discount": money("0")}],
            "shipping": {"method": "Standard", "price": money("4.90"), "tax": money("0.78"), "discount": money("0")},
            "total": money(product.price * quantity + Decimal("4.90")),
            "buyer": {"name": "Bench Buyer"},
            "shipping_address": {"name": "Bench Buyer", "line1": "Street 1", "city": "Berlin",
                                 "postal_code": "10115", "country_code": "DE"},
        }


class BenchChannel(ChannelAdapter):
    kind = "bench_channel"
    label = "Bench marketplace"

    def check_connection(self) -> CheckResult:
        return CheckResult()

    def marketplaces(self) -> list[MarketplaceChoice]:
        return [MarketplaceChoice("BENCH", "Bench", "DE", "EUR")]

    def fetch_orders(self, request: FetchRequest) -> OrderPage:
        start = int(request.cursor or 0)
        end = min(start + PAGE, Source.total)
        return OrderPage(tuple(Source.order(n) for n in range(start, end)), str(end), more=end < Source.total,
                         total=Source.total)

    def refresh_orders(self, marketplace_order_ids: Sequence[str]) -> OrderPage:
        return OrderPage((), None)

    def confirm_shipment(self, notice: ShipmentNotice) -> None:
        return None

    def push_status(self, notice: StatusNotice) -> None:
        return None

    def was_delivered(self, notice: ShipmentNotice | StatusNotice) -> bool | None:
        return None

    def push_stock(self, updates: Sequence[StockUpdate]) -> StockSubmission:
        return StockSubmission(tuple(StockResult(u.sku, True) for u in updates))

    def stock_results(self, pending_id: str) -> tuple[StockResult, ...] | None:
        return ()

    def carrier_codes(self) -> frozenset[str] | None:
        return None

    def upsert_store(self, store: Store, remote_id: str | None) -> str:
        return store.code

    def archive_store(self, remote_id: str) -> None:
        return None


class BenchShop(ShopAdapter):
    kind = "bench_shop"
    label = "Bench shop"
    created: dict[str, str] = {}

    def check_connection(self) -> CheckResult:
        return CheckResult()

    def find_order(self, external_ref: str) -> ShopOrderRef | None:
        found = self.created.get(external_ref)
        return ShopOrderRef(found) if found else None

    def create_order(self, draft: OrderDraft) -> ShopOrderRef:
        json.dumps({"ref": draft.external_ref, "lines": [(p.product.product_id, p.line.quantity) for p in draft.lines]})
        order_id = str(len(self.created) + 1)
        self.created[draft.external_ref] = order_id
        return ShopOrderRef(order_id)

    def find_products(self, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
        by_sku = {p.sku: p for p in DEMO_PRODUCTS}
        return {v: ShopProduct(product_id=v, name=by_sku[v].name, sku=v, weight=by_sku[v].weight, stock=10**6)
                for v in values if v in by_sku}

    def list_statuses(self) -> list[ShopStatus]:
        return [ShopStatus("open", "Open")]

    def set_status(self, order: ShopOrderRef, status: str) -> None:
        return None

    def changes_since(self, cursor: str | None) -> ChangePage:
        return ChangePage((), cursor)

    def read_stock(self, product_ids: Sequence[str]) -> list[StockLevel]:
        return []

    def stock_changes_since(self, cursor: str | None) -> StockPage:
        return StockPage((), cursor)


@hookimpl
def register_channels() -> list[type[ChannelAdapter]]:
    return [BenchChannel]


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    return [BenchShop]
