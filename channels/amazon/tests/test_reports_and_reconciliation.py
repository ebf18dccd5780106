"""The report join (backlog route) and the reconciliation helper."""
from __future__ import annotations

from datetime import timedelta

from marketbridge.order import load_order

from marketbridge_amazon.order_mapping import MappingRules
from marketbridge_amazon.orders_import import Scope
from marketbridge_amazon.reconcile import expected_orders, missing_orders
from marketbridge_amazon.report_orders import TRACKING_COLUMNS, UNSHIPPED_COLUMNS, join_reports
from marketbridge_amazon.reports import parse_flat_file

RULES = MappingRules(currency="EUR", prices_include_tax=True, resolve_store=lambda a: None,
                     known_store=lambda a: "MB-STORE-BERLIN" if a.get("addressLine1") == "Torstraße 1" else None)


def unshipped(order_id: str, item: str, sku: str, quantity: int = 1, **extra: str) -> dict[str, str]:
    row = {c: "" for c in UNSHIPPED_COLUMNS}
    row.update({"order-id": order_id, "order-item-id": item, "purchase-date": "2026-11-01T10:00:00+00:00",
                "sku": sku, "product-name": sku.title(), "quantity-purchased": str(quantity),
                "recipient-name": "Anna Müller", "ship-address-1": "Hauptstraße 1", "ship-city": "Berlin",
                "ship-postal-code": "10115", "ship-country": "DE", "buyer-email": "x@marketplace.amazon.de",
                "is-prime": "false", "ship-service-level": "Standard"})
    row.update(extra)
    return row


def tracking(order_id: str, sku: str, status: str = "Unshipped", price: str = "29.80", quantity: int = 2,
             **extra: str) -> dict[str, str]:
    row = {c: "" for c in TRACKING_COLUMNS}
    row.update({"amazon-order-id": order_id, "sku": sku, "asin": "B0TEST", "order-status": status,
                "currency": "EUR", "item-price": price, "item-tax": "4.76", "shipping-price": "4.90",
                "shipping-tax": "0.78", "item-promotion-discount": "-2.00", "quantity": str(quantity),
                "fulfillment-channel": "Merchant", "last-updated-date": "2026-11-01T11:00:00+00:00"})
    row.update(extra)
    return row


def test_rows_are_joined_into_a_valid_order_with_unit_prices():
    joined = join_reports([unshipped("A", "1", "MB-MUG-BLUE", 2, **{"is-prime": "true"})],
                          [tracking("A", "MB-MUG-BLUE")], RULES)
    [order] = joined.orders
    load_order(order)
    line = order["lines"][0]
    assert line["unit_price"]["amount"] == "14.90" and line["tax"]["amount"] == "4.76"
    assert line["discount"]["amount"] == "2.00" and line["marketplace_product_id"] == "B0TEST"
    assert order["flags"]["prime"] and "Amazon Prime Order" in order["tags"]
    assert order["total"]["amount"] == "32.70"  # 29.80 + 4.90 shipping − 2.00 promotion, tax included
    assert "x@marketplace" not in str(order)


def test_unpriced_and_cancelled_orders_are_rechecked_not_guessed():
    joined = join_reports([unshipped("A", "1", "MB-MUG-BLUE"), unshipped("B", "2", "MB-KETTLE"),
                           unshipped("C", "3", "MB-CANDLE")],
                          [tracking("A", "MB-OTHER"), tracking("C", "MB-CANDLE", status="Cancelled"),
                           tracking("D", "MB-TEE-S", status="Cancelled")], RULES)
    assert joined.orders == [] and joined.recheck == ["A", "B", "C", "D"]


def test_backfill_drops_older_orders_and_does_not_recheck_cancellations():
    joined = join_reports([unshipped("A", "1", "MB-MUG-BLUE", **{"purchase-date": "2026-10-01T00:00:00+00:00"})],
                          [tracking("A", "MB-MUG-BLUE"), tracking("D", "MB-TEE-S", status="Cancelled")], RULES,
                          created_since="2026-10-15T00:00:00+00:00")
    assert joined.orders == [] and joined.recheck == []


def test_store_address_marks_a_pickup_order():
    joined = join_reports([unshipped("A", "1", "MB-MUG-BLUE", **{"ship-address-1": "Torstraße 1"})],
                          [tracking("A", "MB-MUG-BLUE")], RULES)
    assert joined.orders[0]["pickup_store_code"] == "MB-STORE-BERLIN" and joined.orders[0]["flags"]["pickup"]


def test_bad_amount_rejects_the_order_with_rows_but_without_the_email():
    joined = join_reports([unshipped("A", "1", "MB-MUG-BLUE")], [tracking("A", "MB-MUG-BLUE", price="n/a")], RULES)
    assert joined.rejected[0].reason.startswith("Order A: column item-price")
    assert "buyer-email" not in joined.rejected[0].raw[0]


def test_flat_file_parser_reads_tab_separated_rows():
    rows = parse_flat_file("\ufefforder-id\tsku\r\n123\tA B\r\n\r\n")
    assert rows == [{"order-id": "123", "sku": "A B"}]


def test_missing_orders_lists_what_was_never_imported():
    assert missing_orders(["B", "A", "C"], ["A", "X"]) == ["B", "C"]
    rows = [tracking("A", "S"), tracking("B", "S", status="Pending"), tracking("C", "S", status="Cancelled"),
            tracking("E", "S", **{"fulfillment-channel": "Amazon"}), tracking("F", "S", status="Shipped")]
    assert expected_orders(rows, Scope("A1PA6795UKMFR9", "MERCHANT")) == ["A", "F"]


def test_daily_reconciliation_against_the_emulator(channel, emulator, generator, clock):
    start = clock.now() - timedelta(days=1)
    for hours in (20, 10, 5):
        created = clock.now() - timedelta(hours=hours)
        emulator.add_order(generator.order(created, afn=False, pickup=False, status_events=[(created, "UNSHIPPED")]))
    ids = sorted(emulator.orders.by_id)
    report_id = channel.request_reconciliation(start, clock.now() - timedelta(minutes=5))
    assert channel.reconciliation(report_id, ids[:1]) is None
    clock.advance(seconds=91)
    result = channel.reconciliation(report_id, ids[:1])
    assert result.expected == tuple(ids) and result.missing == tuple(ids[1:])
