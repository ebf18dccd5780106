"""Pure helpers: settings parsing, Magento message placeholders, derived e-mails, amount splitting."""
from __future__ import annotations

from decimal import Decimal

from marketbridge.order import Money, OrderLine

from marketbridge_magento.client import render_message
from marketbridge_magento.order_mapping import line_amounts, split_name, synthetic_email
from marketbridge_magento.settings import CustomStatus, MagentoSettings


def test_settings_defaults_and_cleanup():
    settings = MagentoSettings.parse({"url": "https://shop.example.com/rest/", "stock_id": "abc",
                                      "custom_statuses": "ready_pickup | Ready for pickup | processing\n\nvip"})
    assert settings.api_base == "https://shop.example.com/rest/default/V1"
    assert (settings.carrier_code, settings.method_code, settings.stock_id) == ("flatrate", "flatrate", 1)
    assert settings.email_domain == "shop.example.com"
    assert settings.custom_statuses == (CustomStatus("ready_pickup", "Ready for pickup", "processing"),
                                        CustomStatus("vip", "vip", "processing"))


def test_placeholders_are_filled_positionally_and_by_name():
    assert render_message({"message": "%1 and %10", "parameters": [str(i) for i in range(1, 11)]}) == \
        ("1 and 10", "%1 and %10")
    assert render_message({"message": "No such entity with %fieldName = %fieldValue",
                           "parameters": {"fieldName": "cartId", "fieldValue": 5}})[0] == \
        "No such entity with cartId = 5"
    assert render_message("not an object") == ("", "")


def test_synthetic_email_is_deterministic_and_bounded():
    assert synthetic_email("amazon:302-1234567-1234567", "shop.example.com") == \
        "amazon-302-1234567-1234567@shop.example.com"
    long_ref = "amazon:" + "9" * 100
    local = synthetic_email(long_ref, "d.example").split("@")[0]
    assert len(local) == 64 and local == synthetic_email(long_ref, "d.example").split("@")[0]


def test_names_split_into_first_and_last():
    assert split_name("Erika Maria Mustermann") == ("Erika Maria", "Mustermann")
    assert split_name("Cher") == ("Cher", "-")


def test_gross_line_split_keeps_the_charged_amounts():
    line = OrderLine("1", "Mug", 3, Money(Decimal("9.99"), "EUR"), Money(Decimal("4.79"), "EUR"),
                     Money(Decimal("0"), "EUR"), sku="A")
    amounts = line_amounts(line, prices_include_tax=True)
    assert amounts.row_total_incl_tax == Decimal("29.97") and amounts.tax == Decimal("4.79")
    assert amounts.row_total == Decimal("25.18") and amounts.price == Decimal("8.3933")
