"""Connecting a shop: settings, the key's permissions from GET /api/, plugin registration."""
from __future__ import annotations

import pytest

from marketbridge.errors import AuthenticationFailed
from marketbridge.plugins import AdapterRegistry, make_plugin_manager
from marketbridge_prestashop.adapter import PrestaShopAdapter
from marketbridge_prestashop.emulator import DEMO_KEY
from marketbridge_prestashop.settings import ShopSettings


def test_check_connection_passes_for_a_key_with_every_permission(adapter):
    assert adapter.check_connection().ok


def test_check_connection_names_each_missing_permission(shop, adapter):
    shop.revoke("order_histories", "POST")
    shop.revoke("stock_movements")
    problems = adapter.check_connection().problems
    assert len(problems) == 2
    assert any("Add (POST) on 'order_histories'" in p for p in problems)
    assert any("View (GET) on 'stock_movements'" in p for p in problems)
    assert all("Advanced Parameters > Webservice" in p for p in problems)


def test_check_connection_requires_the_shops_resource_only_in_multistore(shop, make_adapter):
    shop.revoke("shops")
    assert make_adapter().check_connection().ok
    problems = make_adapter(shop_id="1").check_connection().problems
    assert problems == ("The Webservice key cannot use View (GET) on 'shops'. In Advanced Parameters > Webservice, "
                        "edit the key and tick View (GET) on the 'shops' row.",)


def test_check_connection_reports_a_wrong_key_a_disabled_webservice_and_bad_settings(shop, make_adapter):
    assert "refused the Webservice key" in make_adapter(key="X" * 32).check_connection().problems[0]
    assert "32-character" in make_adapter(key="").check_connection().problems[0]
    assert "time zone" in make_adapter(timezone="Mars/Olympus").check_connection().problems[0]
    shop.webservice_enabled = False
    assert "switched off" in make_adapter().check_connection().problems[0]


def test_check_connection_checks_the_carriers_and_the_default_status(shop, make_adapter):
    problems = make_adapter(carrier_reference="42", default_state_id="77").check_connection().problems
    assert any("reference id 42" in p for p in problems)
    assert any("status 77" in p for p in problems)


def test_the_carrier_is_found_by_its_reference_after_the_merchant_edits_it(shop, adapter, make_draft):
    """A carrier's id changes on every edit in Shipping > Carriers; its id_reference does not."""
    new_id = shop.edit_carrier(2, name="My carrier (new rates)")
    ref = adapter.create_order(make_draft())
    assert shop.store.get("orders", ref.order_id)["id_carrier"] == str(new_id)


def test_settings_accept_the_api_url_or_the_shop_url_and_hide_the_key():
    values = {"url": "https://shop.example/api/", "carrier_reference": "2"}
    parsed = ShopSettings.parse(values, {"webservice_key": DEMO_KEY})
    assert parsed.api_url == "https://shop.example/api"
    assert ShopSettings.parse({**values, "url": "https://shop.example"}, {"webservice_key": DEMO_KEY}).api_url \
        == "https://shop.example/api"
    assert DEMO_KEY not in repr(parsed)


@pytest.mark.parametrize("values, words", [
    ({"url": "shop.example"}, "https://"),
    ({"carrier_reference": ""}, "Carrier for marketplace orders"),
    ({"carrier_reference": "two"}, "positive number"),
    ({"weight_unit": "stone"}, "weight unit"),
    ({"payment_module": "ps wire"}, "technical name"),
])
def test_unusable_settings_say_what_to_fix(values, words):
    base = {"url": "https://shop.example", "carrier_reference": "2"}
    with pytest.raises(AuthenticationFailed) as failed:
        ShopSettings.parse({**base, **values}, {"webservice_key": DEMO_KEY})
    assert words in failed.value.message


def test_the_plugin_registers_through_the_entry_point_group():
    registry = AdapterRegistry(make_plugin_manager())
    assert registry.shop("prestashop") is PrestaShopAdapter
    assert {f.name for f in PrestaShopAdapter.settings_fields if f.secret} == {"webservice_key", "admin_link_secret"}
