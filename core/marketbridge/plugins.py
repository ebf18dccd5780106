"""The plugin manager: loads built-in policies and installed plugins, validates them.

Plugins are found through the ``marketbridge`` entry-point group, exactly as
pytest finds ``pytest11`` plugins; the host never imports a plugin by name.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import traceback
from dataclasses import dataclass
from importlib.metadata import Distribution
from types import TracebackType
from typing import Any, Iterable

import pluggy

from marketbridge import hookspecs
from marketbridge.adapters import ChannelAdapter, ShopAdapter
from marketbridge.errors import ConfigurationError

ENTRY_POINT_GROUP = "marketbridge"

#: Core's default policies, registered like any plugin (and before them, so they run last).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "marketbridge.policies.import_checks",
    "marketbridge.policies.automation",
    "marketbridge.policies.prime",
    "marketbridge.policies.status_mapping",
    "marketbridge.policies.stock",
    "marketbridge.policies.carriers",
)


def make_plugin_manager(*, load_entrypoints: bool = True, extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Build and validate the plugin manager.

    Registers core's default policies, then every installed plugin (unless
    ``load_entrypoints`` is false), then ``extra`` plugin objects (tests).
    Raises :class:`~marketbridge.errors.ConfigurationError` naming the plugin
    and hook when a plugin implements an unknown hook or a hook with arguments
    the spec does not have.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        _register(pm, importlib.import_module(name), name)
    if load_entrypoints:
        _load_entrypoints(pm)
    for plugin in extra:
        _register(pm, plugin, getattr(plugin, "__name__", None))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise _explain(exc) from exc
    return pm


def _load_entrypoints(pm: pluggy.PluginManager) -> None:
    """Register every installed plugin; one that cannot even be imported is named in the error."""
    for dist in importlib.metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group != ENTRY_POINT_GROUP:
                continue
            try:
                entry_point.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is a broken installation
                raise ConfigurationError(
                    f"Plugin {entry_point.name!r} ({dist.metadata['Name']} {dist.version}) cannot be imported: "
                    f"{type(exc).__name__}: {exc}", plugin=entry_point.name) from exc
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except pluggy.PluginValidationError as exc:
        raise _explain(exc) from exc


def _register(pm: pluggy.PluginManager, plugin: Any, name: str | None) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise _explain(exc) from exc


def _explain(exc: pluggy.PluginValidationError) -> ConfigurationError:
    plugin = getattr(exc.plugin, "__name__", repr(exc.plugin))
    return ConfigurationError(f"Plugin {plugin!r} cannot be loaded: {exc}", plugin=plugin)


@dataclass(frozen=True)
class PluginInfo:
    """One row of ``marketbridge plugins``."""

    name: str
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """List registered plugins with their distribution version and implemented hooks."""
    dists: dict[int, Distribution] = {id(p): d for p, d in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
        dist = dists.get(id(plugin))
        rows.append(PluginInfo(
            name=name,
            version=dist.version if dist is not None else None,
            hooks=hooks,
            builtin=name in DEFAULT_PLUGINS,
        ))
    return sorted(rows, key=lambda r: (not r.builtin, r.name))


class AdapterRegistry:
    """Shop and channel adapter classes by ``kind``, collected from the registration hooks."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.shops: dict[str, type[ShopAdapter]] = self._collect(pm.hook.register_shops(), ShopAdapter, "shop")
        self.channels: dict[str, type[ChannelAdapter]] = self._collect(
            pm.hook.register_channels(), ChannelAdapter, "channel")

    @staticmethod
    def _collect(results: list[list[type]], base: type, what: str) -> dict[str, Any]:
        found: dict[str, type] = {}
        for classes in results:
            for cls in classes or ():
                if not (isinstance(cls, type) and issubclass(cls, base)):
                    raise ConfigurationError(f"register_{what}s returned {cls!r}, which is not a {base.__name__} subclass")
                kind = getattr(cls, "kind", None)
                if not kind:
                    raise ConfigurationError(f"{cls.__qualname__} has no 'kind'")
                if kind in found and found[kind] is not cls:
                    raise ConfigurationError(
                        f"Two {what} adapters claim kind {kind!r}: {found[kind].__module__} and {cls.__module__}")
                found[kind] = cls
        return found

    def shop(self, kind: str) -> type[ShopAdapter]:
        """The shop adapter class for ``kind``; raises ``ConfigurationError`` when not installed."""
        try:
            return self.shops[kind]
        except KeyError:
            raise ConfigurationError(f"No installed plugin provides the shop platform {kind!r}", kind=kind) from None

    def channel(self, kind: str) -> type[ChannelAdapter]:
        """The channel adapter class for ``kind``; raises ``ConfigurationError`` when not installed."""
        try:
            return self.channels[kind]
        except KeyError:
            raise ConfigurationError(f"No installed plugin provides the marketplace channel {kind!r}", kind=kind) from None


class PolicyError(Exception):
    """A policy hook implementation raised; ``plugin`` names the culprit."""

    def __init__(self, hook: str, plugin: str, error: BaseException) -> None:
        super().__init__(f"plugin {plugin!r} failed in {hook}: {type(error).__name__}: {error}")
        self.hook = hook
        self.plugin = plugin
        self.error = error


def call_policy(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> Any:
    """Call a policy hook and, if an implementation raises, say which plugin did.

    Returns what pluggy returns. Raises :class:`PolicyError` wrapping the
    original exception with the plugin's name, so the engine can show the
    merchant *who* failed and carry on with the next order or connection.
    """
    caller = getattr(pm.hook, hook)
    try:
        return caller(**kwargs)
    except Exception as exc:  # noqa: BLE001 - any plugin error is attributed, then handled by the engine
        raise PolicyError(hook, _culprit(pm, hook, exc.__traceback__), exc) from exc


def _culprit(pm: pluggy.PluginManager, hook: str, tb: TracebackType | None) -> str:
    codes = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        codes[impl.function.__code__] = impl.plugin_name
    frames = [frame for frame, _ in traceback.walk_tb(tb)]
    for frame in frames:
        if frame.f_code in codes:
            return codes[frame.f_code]
    return "unknown"

