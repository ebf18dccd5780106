"""Pure pieces: filter values, text cleaning, amounts, keys, XML codec."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketbridge.adapters import Marker, OrderDraft, PlannedLine, ShopProduct
from marketbridge.order.schema import load_order
from marketbridge_prestashop import filters, order_mapping, xmlcodec
from marketbridge_prestashop.emulator.query import matcher
from marketbridge_prestashop.product_key import ProductKey
from marketbridge_prestashop.sanitize import clean
from marketbridge_prestashop.testing import line, order_dict
from marketbridge_prestashop.validators import validate


@pytest.mark.parametrize("values, value, hit", [
    (["MB-1"], "mb-1", True),
    (["12,50"], "12,50", True),
    (["12,50"], "30", False),  # a lone "[12,50]" would be BETWEEN 12 AND 50
    (["A", "B"], "B", True),
])
def test_any_of_builds_or_lists_the_shop_reads_as_exact_matches(values, value, hit):
    assert matcher(filters.any_of(values))(value) is hit


def test_contains_picks_the_longest_part_free_of_filter_syntax_and_wildcards():
    assert filters.contains("amazon:302-1234567-1234567") == "%[amazon:302-1234567-1234567]%"
    assert filters.contains("A|LONGER_PART[x]") == "%[LONGER]%"
    assert filters.contains("%%") is None


@pytest.mark.parametrize("value, validator, expected", [
    ("Jean-Luc O'Neil 3rd", "isCustomerName", "Jean-Luc O'Neil rd"),
    ("Dr.Who", "isCustomerName", "Dr. Who"),
    ("Rue de l'Église #4 @Hof", "isAddress", "Rue de l'Église #4 Hof"),
    ("D-50667", "isPostCode", "D-50667"),
    ("SW1A 1AA!", "isPostCode", "SW1A 1AA"),
    ("tel. +33 (0)1 23/45", "isPhoneNumber", ". +33 (0)1 23/45"),
    ("Köln <Innenstadt>", "isCityName", "Köln Innenstadt"),
])
def test_clean_satisfies_the_validator(value, validator, expected):
    cleaned = clean(value, validator)
    assert cleaned == expected
    assert validate(validator, cleaned) or cleaned == ""


def test_clean_cuts_to_the_documented_size():
    assert clean("x" * 200, "isAddress", 128) == "x" * 128


def test_amounts_merge_lines_of_one_product_and_keep_every_figure():
    order = load_order(order_dict(lines=[line("A", 1, "11.90", "1.90", "L1"), line("A", 2, "11.90", "3.80", "L2")],
                                  total={"amount": "40.60", "currency": "EUR"}))
    product = ShopProduct(product_id="5-2", name="A")
    totals, per_key = order_mapping.amounts(order, [PlannedLine(ln, product) for ln in order.lines])
    (only,) = per_key.values()
    assert only.key == ProductKey(5, 2) and only.quantity == 3
    assert (only.total_incl, only.total_excl) == (Decimal("35.70"), Decimal("30.00"))
    assert only.detail_fields()["unit_price_tax_excl"] == "10.000000"
    assert totals.paid_excl == Decimal("40.60") - Decimal("5.70") - Decimal("0.78")
    assert totals.discounts == Decimal("0") and totals.wrapping == Decimal("0")


def test_charges_beyond_products_and_shipping_go_to_wrapping_not_to_a_negative_discount():
    order = load_order(order_dict(total={"amount": "37.70", "currency": "EUR"}))
    totals, _ = order_mapping.amounts(order, [PlannedLine(ln, ShopProduct("1", "mug")) for ln in order.lines])
    assert totals.discounts == 0 and totals.wrapping == Decimal("3.00")


def test_foreign_product_ids_are_refused():
    order = load_order(order_dict())
    with pytest.raises(ValueError):
        order_mapping.amounts(order, [PlannedLine(order.lines[0], ShopProduct("gid://shopify/1", "x"))])


def test_reference_lines_and_guest_e_mails_are_exact_and_deterministic():
    assert order_mapping.carries_reference("a\nMarketbridge reference: amazon:1\n", "amazon:1")
    assert not order_mapping.carries_reference("Marketbridge reference: amazon:12", "amazon:1")
    email = order_mapping.customer_email("amazon:302-1234567-1234567")
    assert email == order_mapping.customer_email("amazon:302-1234567-1234567")
    assert email.startswith("amazon-302-1234567-1234567.") and email.endswith("@marketbridge.invalid")
    assert validate("isEmail", email)
    assert order_mapping.customer_email("amazon:a/b") != order_mapping.customer_email("amazon:a-b")


def test_the_message_keeps_the_reference_line_within_1600_characters():
    order = load_order(order_dict(tags=["x" * 70] * 40))
    draft = OrderDraft(order=order, external_ref=order.key, lines=(), marker=Marker("amazon", "Amazon"),
                       initial_status=None, connection_name="c")
    text = order_mapping.message_text(draft)
    assert len(text) <= 1600 and text.endswith("Marketbridge reference: amazon:302-1234567-1234567")


@pytest.mark.parametrize("text, key", [("12", ProductKey(12)), ("12-3", ProductKey(12, 3)), ("0", None),
                                       ("12-", None), ("a-1", None), ("12-3-4", None)])
def test_product_keys(text, key):
    assert ProductKey.parse(text) == key
    if key is not None:
        assert str(key) == text


def test_xml_codec_round_trips_cdata_languages_and_associations():
    body = xmlcodec.entity_document("cart", {"id_lang": "1", "gift_message": "a ]]> b & <c>"},
                                    {"cart_rows": ("cart_row", [{"id_product": "1", "quantity": "2"}])})
    record = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(body)))
    assert record["gift_message"] == "a ]]> b & <c>"
    assert record["associations"] == {"cart_rows": [{"id_product": "1", "quantity": "2"}]}
    with pytest.raises(xmlcodec.MalformedDocument):
        xmlcodec.parse_document(b'{"truncated": [1, 2, ')
    with pytest.raises(xmlcodec.MalformedDocument):
        xmlcodec.parse_document(b"<html/>")
