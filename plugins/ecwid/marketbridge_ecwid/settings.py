"""What a merchant fills in to connect an Ecwid store, and its parsed, validated form.

The host renders :data:`SETTINGS_FIELDS` as a form, encrypts the secret ones at
rest (D2) and hands them back through ``AdapterContext.settings`` /
``AdapterContext.secrets``. :func:`load_config` turns both into an
:class:`EcwidConfig` and says in plain words what is missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from marketbridge.adapters import FieldKind, SettingField
from marketbridge.errors import AuthenticationFailed

DEFAULT_API_URL = "https://app.ecwid.com/api/v3"
DEFAULT_OAUTH_URL = "https://my.ecwid.com/api/oauth"

SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "store_id", "Store ID",
        help="The number shown in Ecwid admin at the bottom of the Dashboard and on the "
             "#develop-apps page (e.g. 1003).",
    ),
    SettingField(
        "access_token", "Secret access token", kind=FieldKind.SECRET,
        help="The token that starts with secret_ (Ecwid admin → #develop-apps → your custom app → "
             "Access tokens). Installing the Marketbridge app from the Ecwid App Market fills this in for you.",
    ),
    SettingField(
        "client_secret", "App client secret", kind=FieldKind.SECRET, required=False,
        help="The client_secret of your custom Ecwid app (same #develop-apps page). Verifies Ecwid's "
             "webhooks and the app page inside the Ecwid admin for this store; without it changes are polled. "
             "Not needed when the store uses the Marketbridge app from the Ecwid App Market.",
    ),
    SettingField(
        "api_url", "API address", kind=FieldKind.URL, required=False, default=DEFAULT_API_URL,
        help="Leave as it is. Only the demo mode points this at the built-in Ecwid emulator.",
    ),
)


@dataclass(frozen=True)
class EcwidConfig:
    """The settings of one Ecwid store, validated. Secrets never appear in the repr."""

    store_id: str
    access_token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    client_secret: str | None = field(default=None, repr=False)

    @property
    def store_url(self) -> str:
        """``https://app.ecwid.com/api/v3/{storeId}``: every REST path hangs below it."""
        return f"{self.api_url.rstrip('/')}/{self.store_id}"


def load_config(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> EcwidConfig:
    """Validate the merchant's settings.

    Raises :class:`~marketbridge.errors.AuthenticationFailed` (the engine pauses
    the shop and shows the message) when the store id or token is missing or
    has the wrong shape, e.g. a ``public_`` storefront token pasted by mistake.
    """
    store_id = str(settings.get("store_id") or "").strip()
    token = str(secrets.get("access_token") or "").strip()
    if not store_id.isdigit():
        raise AuthenticationFailed(
            "The Ecwid store ID is missing or is not a number. Enter the store ID shown at the bottom "
            "of the Ecwid admin Dashboard.", code="ecwid_store_id")
    if not token:
        raise AuthenticationFailed(
            "The Ecwid secret access token is missing. Copy the token that starts with secret_ from "
            "Ecwid admin → #develop-apps, or install the Marketbridge app from the Ecwid App Market.",
            code="ecwid_token_missing")
    if token.startswith("public_"):
        raise AuthenticationFailed(
            "The token entered is Ecwid's public storefront token (it starts with public_). It cannot read "
            "orders or create them. Enter the secret token (it starts with secret_) instead.",
            code="ecwid_public_token")
    api_url = str(settings.get("api_url") or DEFAULT_API_URL).strip() or DEFAULT_API_URL
    client_secret = str(secrets.get("client_secret") or "").strip() or None
    return EcwidConfig(store_id=store_id, access_token=token, api_url=api_url, client_secret=client_secret)
