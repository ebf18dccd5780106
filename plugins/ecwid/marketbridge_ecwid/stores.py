"""Ecwid stores and Marketbridge's ``Shop`` rows: finding them from a request, and saving granted tokens.

Every Ecwid shop keeps its numeric store id in ``Shop.settings["store_id"]``
(the merchant enters it, or the OAuth install / app page fills it in). A
webhook, the app page and the OAuth return all name a store id; this module
finds the shop rows behind it and stores a token that Ecwid granted, sealed
with :meth:`~marketbridge.host.Host.seal` (D2).

The public Ecwid app's own credentials are installation settings, read from
the Flask config (environment variables with the ``MARKETBRIDGE_`` prefix):

==========================  ==================================================================
``ECWID_CLIENT_ID``         the app's client id (OAuth install)
``ECWID_CLIENT_SECRET``     the app's client secret: webhook signatures, app-page payload, OAuth
``ECWID_AUTO_REGISTER``     ``true``: the app page adds a store Marketbridge does not know yet
``ECWID_API_URL``           REST base for stores not known yet (default Ecwid's; the demo/tests
                            point it at the emulator)
``ECWID_OAUTH_URL``         OAuth base (default ``https://my.ecwid.com/api/oauth``)
==========================  ==================================================================

A store connected through its own custom app instead keeps that app's
``client_secret`` among the shop's secrets; both are accepted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import sqlalchemy as sa

from marketbridge.host import Host
from marketbridge.models import Shop, db

from marketbridge_ecwid.settings import DEFAULT_API_URL, DEFAULT_OAUTH_URL

KIND = "ecwid"


@dataclass(frozen=True)
class AppConfig:
    """The installation's Ecwid app settings (all optional: a custom app per store needs none)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    auto_register: bool = False
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL

    @property
    def can_install(self) -> bool:
        """Whether the OAuth install (``/ecwid/connect``) is set up."""
        return bool(self.client_id and self.client_secret)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AppConfig:
        def text(name: str) -> str | None:
            value = config.get(name)
            return str(value).strip() or None if value is not None else None

        auto = config.get("ECWID_AUTO_REGISTER")
        return cls(
            client_id=text("ECWID_CLIENT_ID"), client_secret=text("ECWID_CLIENT_SECRET"),
            auto_register=auto is True or str(auto).strip().lower() in ("1", "true", "yes", "on"),
            api_url=text("ECWID_API_URL") or DEFAULT_API_URL, oauth_url=text("ECWID_OAUTH_URL") or DEFAULT_OAUTH_URL,
        )


def store_id_of(shop: Shop) -> str:
    """The Ecwid store id a shop row is for (``""`` when not set)."""
    return str((shop.settings or {}).get("store_id") or "").strip()


def shops_for_store(store_id: int | str) -> list[Shop]:
    """Every Ecwid shop row for ``store_id``, oldest first (normally one)."""
    wanted = str(store_id).strip()
    if not wanted.isdigit():
        return []
    rows = db.session.execute(sa.select(Shop).where(Shop.kind == KIND).order_by(Shop.id)).scalars()
    return [shop for shop in rows if store_id_of(shop) == wanted]


def all_shops() -> list[Shop]:
    """Every Ecwid shop row."""
    return list(db.session.execute(sa.select(Shop).where(Shop.kind == KIND).order_by(Shop.id)).scalars())


def shop_client_secret(host: Host, shop: Shop) -> str | None:
    """The client secret of the shop's own custom app, if the merchant entered one."""
    value = str(host.open(shop.secrets).get("client_secret") or "").strip()
    return value or None


def api_url_of(shop: Shop | None, app: AppConfig) -> str:
    """The REST base for a shop (its own setting, else the installation's)."""
    if shop is not None:
        configured = str((shop.settings or {}).get("api_url") or "").strip()
        if configured:
            return configured
    return app.api_url


def save_token(host: Host, store_id: int, access_token: str, *, shop: Shop | None, name: str | None,
               api_url: str | None) -> Shop:
    """Store a token Ecwid granted for ``store_id`` on ``shop``, or on a new shop row when ``shop`` is None.

    Clears ``auth_problem`` when the token changed, so paused jobs resume.
    Joins the current transaction (the caller commits).
    """
    if shop is None:
        settings: dict[str, Any] = {"store_id": str(store_id)}
        if api_url and api_url != DEFAULT_API_URL:
            settings["api_url"] = api_url
        shop = Shop(kind=KIND, name=name or f"Ecwid store {store_id}", settings=settings,
                    secrets=host.seal({"access_token": access_token}), created_at=host.clock.now())
        db.session.add(shop)
        db.session.flush()
        return shop
    secrets = host.open(shop.secrets)
    if secrets.get("access_token") != access_token:
        secrets["access_token"] = access_token
        shop.secrets = host.seal(secrets)
        shop.auth_problem = None
    return shop
