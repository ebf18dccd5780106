"""Order import over real HTTP: mapping (O1, O5, O8, K1), C3/C4 scoping, pending and cancelled orders."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from marketbridge.adapters import FetchRequest
from marketbridge.clock import FakeClock
from marketbridge.order import OrderStatus, load_order

from marketbridge_amazon.emulator import AmazonEmulator, OrderGenerator
from marketbridge_amazon.order_mapping import PICKUP_TAG, PRIME_TAG


def _open_order(generator: OrderGenerator, clock: FakeClock, **kinds: object):
    created = clock.now() - timedelta(hours=3)
    events = [(created, "PENDING"), (created + timedelta(minutes=10), "UNSHIPPED")]
    return generator.order(created, now=clock.now(), status_events=events, **{"afn": False, **kinds})


def test_orders_map_to_valid_canonical_orders_with_flags(channel, emulator, generator, clock, run_import):
    """O1/O5/K1: Prime tag, pickup store code, business, replacement, pre-order, promise, line ids, SKU/ASIN."""
    prime = emulator.add_order(_open_order(generator, clock, prime=True, pickup=False, multi_line=True,
                                           business=False))
    pickup = emulator.add_order(_open_order(generator, clock, pickup=True, business=False))
    business = emulator.add_order(_open_order(generator, clock, business=True, prime=False, pickup=False))
    replacement = emulator.add_order(_open_order(generator, clock, replacement=True, pickup=False))
    run = run_import(channel, clock.now() - timedelta(days=1))

    by_id = run.orders
    assert set(by_id) == {prime.order_id, pickup.order_id, business.order_id, replacement.order_id}
    for order in by_id.values():
        load_order(order)
    p = by_id[prime.order_id]
    assert PRIME_TAG in p["tags"] and p["flags"]["prime"] is True
    assert [line["line_id"] for line in p["lines"]] == [i.order_item_id for i in prime.items]
    assert [line["sku"] for line in p["lines"]] == [i.sku for i in prime.items]
    assert [line["marketplace_product_id"] for line in p["lines"]] == [i.asin for i in prime.items]
    assert p["prices_include_tax"] is True and p["currency"] == "EUR"
    assert p["promise"]["latest_ship"] and p["promise"]["latest_delivery"]
    assert Decimal(p["total"]["amount"]) == prime.grand_total()
    c = by_id[pickup.order_id]
    assert c["flags"]["pickup"] is True and c["pickup_store_code"] == "MB-STORE-BERLIN" and PICKUP_TAG in c["tags"]
    b = by_id[business.order_id]
    assert b["flags"]["business"] is True and b["buyer"]["vat_number"] == business.buyer["_vat"]
    r = by_id[replacement.order_id]
    assert r["flags"]["replacement"] is True and r["notes"]["replaces_order"] == replacement.replaced_order_id


def test_buyer_email_is_never_returned(channel, emulator, generator, clock, run_import):
    """O8: the anonymised buyer e-mail Amazon sends is dropped, also from rejected orders' raw data."""
    emulator.add_order(_open_order(generator, clock, pickup=False))
    emulator.add_order(_open_order(generator, clock, pickup=False, malformed=True))
    run = run_import(channel, clock.now() - timedelta(days=1))
    assert run.orders and run.rejected
    dumped = json.dumps([run.orders, [r.raw for r in run.rejected]])
    assert "@marketplace.amazon" not in dumped and "buyerEmail" not in dumped
    assert all(order["buyer"]["email"] is None for order in run.orders.values())


def test_malformed_order_is_rejected_with_raw_data_and_reason(channel, emulator, generator, clock, run_import):
    good = emulator.add_order(_open_order(generator, clock, pickup=False))
    bad = emulator.add_order(_open_order(generator, clock, pickup=False, malformed=True))
    run = run_import(channel, clock.now() - timedelta(days=1))
    assert good.order_id in run.orders and bad.order_id not in run.orders
    rejected = [r for r in run.rejected if r.marketplace_order_id == bad.order_id]
    assert rejected and "neither a SKU nor an ASIN" in rejected[0].reason
    assert rejected[0].raw["orderId"] == bad.order_id


def test_merchant_and_amazon_fulfilled_orders_never_mix(make_channel, emulator, generator, clock, run_import):
    """C4: an MFN connection sees no AFN order and vice versa."""
    mfn = emulator.add_order(_open_order(generator, clock, afn=False, pickup=False))
    created = clock.now() - timedelta(hours=2)
    afn = emulator.add_order(generator.order(created, afn=True, status_events=[(created, "UNSHIPPED")]))
    since = clock.now() - timedelta(days=1)
    merchant = run_import(make_channel(), since)
    amazon = run_import(make_channel(fulfilment_channel="marketplace"), since)
    assert set(merchant.orders) == {mfn.order_id}
    assert set(amazon.orders) == {afn.order_id}
    assert amazon.orders[afn.order_id]["fulfilment_channel"] == "marketplace"


def test_activation_fetches_open_orders_only(channel, emulator, generator, clock, run_import):
    """C3: orders already shipped or cancelled before activation are not fetched."""
    open_order = emulator.add_order(_open_order(generator, clock, pickup=False))
    created = clock.now() - timedelta(days=5)
    shipped = emulator.add_order(generator.order(created, afn=False, status_events=[
        (created, "PENDING"), (created + timedelta(minutes=5), "UNSHIPPED"), (created + timedelta(days=1), "SHIPPED")]))
    run = run_import(channel, clock.now() - timedelta(days=10))
    assert open_order.order_id in run.orders and shipped.order_id not in run.seen


def test_pending_order_turns_unshipped_a_day_later(channel, emulator, generator, clock, run_import):
    """A Pending order is reported as pending, then comes back as importable once Amazon moves it on."""
    created = clock.now() - timedelta(minutes=30)
    order = emulator.add_order(generator.order(created, afn=False, pickup=False, status_events=[
        (created, "PENDING"), (created + timedelta(days=1), "UNSHIPPED")]))
    first = run_import(channel, clock.now() - timedelta(days=1))
    assert first.orders[order.order_id]["status"] == OrderStatus.PENDING.value
    assert first.orders[order.order_id]["shipping_address"] is None
    clock.advance(days=1, minutes=5)
    later = run_import(channel, clock.now() - timedelta(days=3), cursor=first.cursor)
    assert later.orders[order.order_id]["status"] == OrderStatus.UNSHIPPED.value
    load_order(later.orders[order.order_id])
    assert later.orders[order.order_id]["shipping_address"]["line1"] == order.address["addressLine1"]


def test_order_cancelled_before_import_is_never_importable(channel, emulator, generator, clock, run_import):
    created = clock.now() - timedelta(minutes=20)
    order = emulator.add_order(generator.order(created, afn=False, pickup=False, status_events=[
        (created, "PENDING"), (created + timedelta(minutes=40), "CANCELLED")]))
    first = run_import(channel, clock.now() - timedelta(days=1))
    clock.advance(hours=1)
    later = run_import(channel, clock.now() - timedelta(days=1), cursor=first.cursor)
    statuses = [OrderStatus(o["status"]) for o in (first.orders.get(order.order_id),
                                                    later.orders.get(order.order_id)) if o]
    assert statuses[-1] is OrderStatus.CANCELLED
    assert not any(status.importable for status in statuses)


def test_pickup_order_with_unknown_store_is_rejected_until_the_store_exists(
        make_channel, emulator, generator, clock, run_import, store_address):
    other_store = {**store_address, "addressLine1": "Unknown Street 9", "postalCode": "99999"}
    created = clock.now() - timedelta(hours=1)
    order = emulator.add_order(OrderGenerator("A3EMULATORSELLER", stores=[other_store]).order(
        created, afn=False, pickup=True, status_events=[(created, "UNSHIPPED")]))
    channel = make_channel()
    run = run_import(channel, clock.now() - timedelta(days=1))
    assert order.order_id not in run.orders
    assert "matches none of your pickup stores" in run.rejected[0].reason
    from marketbridge_amazon.emulator import add_store
    add_store(emulator, "MB-STORE-X", "Other store", other_store)
    clock.advance(minutes=11)
    page = channel.refresh_orders([order.order_id])
    assert page.orders[0]["pickup_store_code"] == "MB-STORE-X"


def test_refresh_orders_reads_orders_again_and_reports_unknown_ones(channel, emulator, generator, clock):
    created = clock.now() - timedelta(minutes=10)
    order = emulator.add_order(generator.order(created, afn=False, pickup=False, status_events=[
        (created, "PENDING"), (created + timedelta(hours=2), "UNSHIPPED")]))
    assert channel.refresh_orders([order.order_id]).orders[0]["status"] == "pending"
    clock.advance(hours=2)
    page = channel.refresh_orders([order.order_id, "999-0000000-0000000"])
    assert page.orders[0]["status"] == "unshipped" and page.cursor is None
    assert page.rejected[0].marketplace_order_id == "999-0000000-0000000"


def test_first_page_uses_the_activation_date_and_marketplace(channel, emulator, clock):
    since = clock.now() - timedelta(days=3)
    channel.fetch_orders(FetchRequest(None, since, open_only=True))
    query = emulator.calls("GET", "/orders/2026-01-01/orders")[0].query
    assert query["createdAfter"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert query["marketplaceIds"] == ["A1PA6795UKMFR9"] and query["fulfilledBy"] == ["MERCHANT"]
    assert query["fulfillmentStatuses"] == ["PENDING_AVAILABILITY,PENDING,UNSHIPPED,PARTIALLY_SHIPPED"]


def test_emulator_orders_can_be_read_by_other_sellers_only_if_theirs(emulator: AmazonEmulator, channel, generator,
                                                                      clock):
    order = emulator.add_order(_open_order(generator, clock, pickup=False))
    order.seller_id = "ANOTHERSELLER"
    page = channel.refresh_orders([order.order_id])
    assert not page.orders and page.rejected
