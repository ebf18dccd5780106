"""The plugin is found through the ``marketbridge`` entry-point group; the host never names it."""
from __future__ import annotations

import pytest

from marketbridge.plugins import AdapterRegistry, make_plugin_manager
from marketbridge.testing.context import adapter_context

from marketbridge_shopware.adapter import ShopwareShop


def test_registered_through_the_entry_point() -> None:
    registry = AdapterRegistry(make_plugin_manager())
    assert registry.shop("shopware") is ShopwareShop
    assert ShopwareShop.batch_size == 100
    assert {f.name for f in ShopwareShop.settings_fields if f.secret} == {"client_secret"}


@pytest.mark.parametrize(("settings", "pushes"), [
    ({}, False),  # an integration's key: polled
    ({"app_shop_id": "sWeMuLaToR0001"}, True),  # registered through the app: webhooks
    ({"app_shop_id": "sWeMuLaToR0001", "app_active": False}, False),  # app deactivated or removed
])
def test_only_shops_with_an_active_app_push_changes(settings: dict, pushes: bool) -> None:
    assert ShopwareShop(adapter_context(settings={"shop_url": "https://shop.example", **settings})).pushes_changes is pushes


def test_readme_lists_exactly_the_permissions_the_adapter_needs() -> None:
    from pathlib import Path

    from marketbridge_shopware import permissions

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): {e.strip() for e in line.split("|")[2].split(",")}
            for line in readme.splitlines() if line.startswith(("| read |", "| create |", "| update |"))}
    assert rows == {"read": set(permissions.READ), "create": set(permissions.CREATE), "update": set(permissions.UPDATE)}
