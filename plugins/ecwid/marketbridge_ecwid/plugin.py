"""Entry point of the ``marketbridge`` plugin group: the Ecwid shop adapter and the Ecwid app's routes."""
from __future__ import annotations

from flask import Blueprint, Flask

from marketbridge import hookimpl
from marketbridge.adapters import ShopAdapter

from marketbridge_ecwid.adapter import EcwidShopAdapter


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    """Hand the host the Ecwid adapter class (``kind = "ecwid"``)."""
    return [EcwidShopAdapter]


@hookimpl
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Mount ``/ecwid/…``: webhook receiver, app page in the Ecwid admin, OAuth install (see :mod:`.web`)."""
    from marketbridge_ecwid.web import register

    return register(app)
