"""Plugin entry point: hands the Amazon channel adapter and its pages to the host."""
from __future__ import annotations

from typing import Any

from marketbridge import hookimpl
from marketbridge.adapters import ChannelAdapter

from marketbridge_amazon.adapter import AmazonChannel


@hookimpl
def register_channels() -> list[type[ChannelAdapter]]:
    """Return the Amazon channel adapter class (``kind = "amazon"``)."""
    return [AmazonChannel]


@hookimpl
def register_blueprints(app: Any) -> list[Any]:
    """The authorisation flow and the quota page under ``/amazon`` (see :mod:`marketbridge_amazon.web`)."""
    from marketbridge_amazon import web

    return web.register(app)
