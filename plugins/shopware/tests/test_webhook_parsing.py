"""Webhook bodies → what the sync must look at (S2, P1), for every payload shape Shopware sends."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from marketbridge.testing.context import MemoryState

from marketbridge_shopware.app.signing import ShopSecrets, sign
from marketbridge_shopware.app.webhooks import ReplayGuard, WebhookRejected, parse_webhook, verify_webhook

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SOURCE = {"url": "http://localhost:8000", "appVersion": "1.0.0", "shopId": "dgrH7nLU6tlE",
          "eventId": "7b04ebe416db4ebc93de4d791325e1d9"}


def body(event: str, payload: object) -> dict:
    return {"data": {"payload": payload, "event": event}, "source": SOURCE, "timestamp": int(NOW.timestamp())}


def test_business_events_name_their_order() -> None:
    call = parse_webhook(body("state_enter.order.state.completed", {"order": {"id": "a" * 32, "orderNumber": "1"}}))
    assert (call.event, call.order_ids, call.shop_id, call.sent_at) == (
        "state_enter.order.state.completed", ("a" * 32,), "dgrH7nLU6tlE", NOW)


def test_entity_write_events_name_orders_and_stock_products() -> None:
    payload = [{"entity": "product", "operation": "update", "primaryKey": "b" * 32, "updatedFields": ["stock", "updatedAt"]},
               {"entity": "product", "operation": "update", "primaryKey": "c" * 32, "updatedFields": ["name"]},
               {"entity": "order", "operation": "insert", "primaryKey": "d" * 32, "updatedFields": []}]
    call = parse_webhook(body("product.written", payload))
    assert call.stock_product_ids == ("b" * 32,) and call.order_ids == ("d" * 32,)


def test_price_edits_name_their_product_too() -> None:
    payload = [{"entity": "product", "operation": "update", "primaryKey": "e" * 32, "updatedFields": ["price", "updatedAt"]},
               {"entity": "product", "operation": "update", "primaryKey": "f" * 32, "updatedFields": "price"}]
    assert parse_webhook(body("product.written", payload)).stock_product_ids == ("e" * 32,)


def test_lifecycle_events_are_recognised_in_both_spellings() -> None:
    assert parse_webhook(body("app.deactivated", [])).lifecycle == "deactivated"
    assert parse_webhook(body("app_deleted", [])).lifecycle == "deleted"
    assert parse_webhook(body("product.written", [])).lifecycle is None


@pytest.mark.parametrize("broken", [[], {"data": {}}, {"data": {"event": "x"}, "source": {}}])
def test_bodies_without_the_envelope_are_rejected(broken: object) -> None:
    with pytest.raises(WebhookRejected):
        parse_webhook(broken)


def test_verification_checks_signature_then_age_and_the_guard_dedupes() -> None:
    raw = json.dumps(body("state_enter.order.state.open", {"order": {"id": "e" * 32}})).encode()
    secrets = ShopSecrets("shop-secret")
    call = verify_webhook(raw, {"Shopware-Shop-Signature": sign("shop-secret", raw)}, secrets, NOW)
    guard = ReplayGuard(MemoryState())
    assert guard.first_time(call, NOW) and not guard.first_time(call, NOW)
    with pytest.raises(WebhookRejected, match="not signed"):
        verify_webhook(raw, {"shopware-shop-signature": sign("other", raw)}, secrets, NOW)
    with pytest.raises(WebhookRejected, match="not JSON"):
        verify_webhook(b"garbage", {"shopware-shop-signature": sign("shop-secret", b"garbage")}, secrets, NOW)
