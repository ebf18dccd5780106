"""A plugin's bug must become a visible, retried problem, never a crashed job.

Adapters promise to raise only :mod:`marketbridge.errors` exceptions. When
one breaks that promise (a ``KeyError`` on an unexpected answer, say), the
:class:`Guarded` wrapper the host hands to the engine turns the exception
into a :class:`~marketbridge.errors.TemporaryFailure` that names the plugin,
logs the traceback, and lets the engine do what it does with any temporary
failure: back off, retry, and show the merchant a problem after a few
failures. Simulated crashes (``BaseException``) pass through untouched.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

from marketbridge.errors import MarketbridgeError, TemporaryFailure

log = logging.getLogger(__name__)


class Guarded:
    """Wraps an adapter instance; its public methods raise only Marketbridge errors."""

    def __init__(self, adapter: Any) -> None:
        object.__setattr__(self, "_adapter", adapter)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance() sees the adapter's own class, as plugins expect
        return type(self._adapter)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._adapter, name)
        if name.startswith("_") or not callable(value) or isinstance(value, type):
            return value
        plugin = type(self._adapter).__module__.split(".")[0]

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except MarketbridgeError:
                raise
            except Exception as exc:  # noqa: BLE001 - a plugin bug, reported instead of crashing the job
                log.exception("%s.%s raised %s", type(self._adapter).__name__, name, type(exc).__name__)
                raise TemporaryFailure(
                    f"The plugin {plugin} failed in {name} ({type(exc).__name__}: {exc}). Marketbridge retries; "
                    "if it keeps failing, update the plugin or report it to its author.",
                    code="plugin_error", plugin=plugin, error=f"{type(exc).__name__}: {exc}") from exc

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._adapter, name, value)
