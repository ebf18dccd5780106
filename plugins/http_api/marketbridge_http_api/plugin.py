"""Entry point of the ``marketbridge`` plugin group: the ``http_api`` shop (C10), its API and its tables."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask

from marketbridge import hookimpl
from marketbridge.adapters import ShopAdapter

from marketbridge_http_api.adapter import HttpApiShopAdapter


@hookimpl
def register_shops() -> list[type[ShopAdapter]]:
    """Hand the host the adapter class (``kind = "http_api"``, "Shop via HTTP API")."""
    return [HttpApiShopAdapter]


@hookimpl
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Mount the shop API under ``/api/shop/v1`` (see :mod:`.api`)."""
    from marketbridge_http_api.api import register

    return register(app)


@hookimpl
def register_migrations() -> list[str]:
    """The Alembic branch ``http_api``: feeds, catalogue, published orders, pushed events."""
    return [str(Path(__file__).parent / "migrations" / "versions")]
