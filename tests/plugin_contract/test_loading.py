"""Loading plugins: entry points, validation at start-up, the ``plugins`` listing."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketbridge import hookimpl
from marketbridge.errors import ConfigurationError
from marketbridge.plugins import AdapterRegistry, describe_plugins, make_plugin_manager
from marketbridge.testing.examples import example_channel, example_shop


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real distribution on sys.path with a ``marketbridge`` entry point, as ``pip install`` leaves it."""
    package = tmp_path / "fakemarket_channel"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""
        from marketbridge import hookimpl
        from marketbridge.testing.examples.example_channel import ExampleChannel

        class FakeMarketChannel(ExampleChannel):
            kind = "fakemarket"
            label = "Fake Market"

        @hookimpl
        def register_channels():
            return [FakeMarketChannel]
    """))
    dist = tmp_path / "fakemarket_channel-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakemarket-channel\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[marketbridge]\nfakemarket = fakemarket_channel\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fakemarket"
    sys.modules.pop("fakemarket_channel", None)


def test_installed_plugin_is_found_through_its_entry_point(installed_plugin):
    pm = make_plugin_manager()
    registry = AdapterRegistry(pm)
    assert registry.channel("fakemarket").label == "Fake Market"
    row = next(p for p in describe_plugins(pm) if p.name == "fakemarket")
    assert row.version == "1.2.3" and row.hooks == ("register_channels",) and not row.builtin


def test_plugins_command_lists_installed_plugins_with_versions_and_hooks(installed_plugin):
    from marketbridge.cli import cli

    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"name": "fakemarket", "version": "1.2.3", "hooks": ["register_channels"]} in rows
    assert all(not r["name"].startswith("marketbridge.policies") for r in rows)
    everything = json.loads(CliRunner().invoke(cli, ["plugins", "--all"]).output)
    assert {r["name"] for r in everything} >= {"marketbridge.policies.carriers", "marketbridge.policies.stock"}


class Misspelled:
    __name__ = "misspelled_plugin"

    @hookimpl
    def register_chanels(self) -> list:  # typo on purpose
        return []


class BadSignature:
    __name__ = "bad_signature_plugin"

    @hookimpl
    def map_status(self, connection, shop_status, order, colour) -> None:  # 'colour' is not in the spec
        return None


def test_misspelled_hook_fails_at_start_up_naming_plugin_and_hook():
    with pytest.raises(ConfigurationError) as info:
        make_plugin_manager(load_entrypoints=False, extra=[Misspelled()])
    assert "misspelled_plugin" in str(info.value) and "register_chanels" in str(info.value)


def test_hook_with_unknown_argument_fails_at_start_up():
    with pytest.raises(ConfigurationError) as info:
        make_plugin_manager(load_entrypoints=False, extra=[BadSignature()])
    assert "bad_signature_plugin" in str(info.value) and "colour" in str(info.value)


def test_two_plugins_claiming_one_kind_are_refused():
    class Copy:
        __name__ = "copy"

        @hookimpl
        def register_shops(self) -> list:
            class Clone(example_shop.ExampleShop):
                pass
            return [Clone]

    pm = make_plugin_manager(load_entrypoints=False, extra=[example_shop, Copy()])
    with pytest.raises(ConfigurationError, match="Two shop adapters claim kind 'example_shop'"):
        AdapterRegistry(pm)


def test_registry_names_missing_platform():
    registry = AdapterRegistry(make_plugin_manager(load_entrypoints=False, extra=[example_channel]))
    with pytest.raises(ConfigurationError, match="'shopware'"):
        registry.shop("shopware")


def test_installed_plugin_that_cannot_be_imported_is_named(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[marketbridge]\nbroken = broken_plugin_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigurationError, match="Plugin 'broken' \\(broken-plugin 0.1\\) cannot be imported"):
        make_plugin_manager()
