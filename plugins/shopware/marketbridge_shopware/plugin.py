"""Entry point of the ``marketbridge`` group: the Shopware shop adapter and the Shopware app's routes."""
from __future__ import annotations

from flask import Blueprint, Flask

from marketbridge import hookimpl
from marketbridge.adapters import ShopAdapter

from marketbridge_shopware.adapter import ShopwareShop


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    """Return the Shopware 6 adapter class (``kind = "shopware"``)."""
    return [ShopwareShop]


@hookimpl
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Mount the app routes under ``/shopware`` (see :mod:`marketbridge_shopware.web.routes`)."""
    from marketbridge_shopware.web import make_blueprint

    return [make_blueprint()]
