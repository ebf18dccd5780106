"""The app's own settings on the Marketbridge server: name, app secret, public address.

=========================  ======================================================================
Setting                    Meaning
=========================  ======================================================================
SHOPWARE_APP_NAME          ``<meta><name>`` of the app manifest; part of the registration proof
                           (``MarketbridgeApp``)
SHOPWARE_APP_SECRET        the app secret (``<setup><secret>``) that signs registrations. Without
                           it, one is created in ``<instance>/shopware-app.secret`` when an
                           administrator downloads the manifest
SHOPWARE_APP_URL           public address of this server as shops reach it, e.g.
                           ``https://marketbridge.example.com`` (default: the address of the
                           request, which is wrong behind some proxies)
=========================  ======================================================================

Like every setting they can be given as environment variables with the ``MARKETBRIDGE_``
prefix (``MARKETBRIDGE_SHOPWARE_APP_SECRET``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, url_for

from marketbridge.crypto import load_or_create_secret

DEFAULT_APP_NAME = "MarketbridgeApp"
SECRET_FILE = "shopware-app.secret"


def app_name() -> str:
    return str(current_app.config.get("SHOPWARE_APP_NAME") or DEFAULT_APP_NAME)


def app_secret(*, create: bool = False) -> str | None:
    """The configured app secret, else the one in the instance folder (created only when ``create``)."""
    configured = current_app.config.get("SHOPWARE_APP_SECRET")
    if configured:
        return str(configured)
    path = Path(current_app.instance_path) / SECRET_FILE
    if path.exists():
        return path.read_text().strip() or None
    return load_or_create_secret(current_app.instance_path, SECRET_FILE) if create else None


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute URL of ``endpoint`` as shops must call it."""
    base = str(current_app.config.get("SHOPWARE_APP_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, _scheme=request.scheme, **values)
