"""Registers the PrestaShop shop adapter and its pages with Marketbridge (entry point group ``marketbridge``)."""
from __future__ import annotations

from flask import Blueprint, Flask

from marketbridge import hookimpl
from marketbridge.adapters import ShopAdapter
from marketbridge_prestashop.adapter import PrestaShopAdapter


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    """Return the PrestaShop adapter class (``kind = "prestashop"``)."""
    return [PrestaShopAdapter]


@hookimpl
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Mount ``/prestashop``: the signed back-office link, change notices and their set-up page (:mod:`.web`)."""
    from marketbridge_prestashop.web import bp

    return [bp]
