"""Entry point of the ``marketbridge`` plugin group: the Magento shop adapter and its pages/endpoints."""
from __future__ import annotations

from typing import Any

from marketbridge import hookimpl
from marketbridge.adapters import ShopAdapter

from marketbridge_magento.adapter import MagentoShopAdapter


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    """Return the Magento 2 shop adapter (``kind = "magento"``)."""
    return [MagentoShopAdapter]


@hookimpl
def register_blueprints(app: Any) -> list[Any]:
    """The ``/magento`` blueprint: set-up page, integration activation, signed admin link, change notifications."""
    from marketbridge_magento.web import make_blueprint

    return [make_blueprint()]
