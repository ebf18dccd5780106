"""The distribution registers the adapter through the ``marketbridge`` entry-point group only."""
from __future__ import annotations

from importlib.metadata import entry_points

from marketbridge.adapters import ShopAdapter
from marketbridge.plugins import AdapterRegistry, make_plugin_manager

from marketbridge_magento import plugin
from marketbridge_magento.adapter import MagentoShopAdapter


def test_entry_point_names_the_plugin_module():
    [ep] = [e for e in entry_points(group="marketbridge") if e.name == "magento"]
    assert ep.value == "marketbridge_magento.plugin"


def test_host_registry_gets_the_adapter_by_kind():
    registry = AdapterRegistry(make_plugin_manager(load_entrypoints=False, extra=[plugin]))
    assert registry.shop("magento") is MagentoShopAdapter
    assert issubclass(MagentoShopAdapter, ShopAdapter) and not MagentoShopAdapter.__abstractmethods__


def test_secret_settings_are_declared_secret():
    secret = {f.name for f in MagentoShopAdapter.settings_fields if f.secret}
    assert secret == {"consumer_key", "consumer_secret", "access_token", "access_token_secret", "admin_link_secret",
                      "notify_secret"}
