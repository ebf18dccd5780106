"""Marketbridge: the host of the plugin framework that connects shops to marketplaces.

Plugins import ``hookimpl`` from here to implement hooks::

    from marketbridge import hookimpl

    @hookimpl
    def register_channels():
        return [MyChannel]
"""
from importlib.metadata import PackageNotFoundError, version

import pluggy

hookimpl = pluggy.HookimplMarker("marketbridge")

try:
    __version__ = version("marketbridge")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["hookimpl", "__version__"]
