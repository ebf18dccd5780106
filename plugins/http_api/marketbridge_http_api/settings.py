"""What a merchant fills in for a shop of kind ``http_api``: one API token."""
from __future__ import annotations

from typing import Mapping

from marketbridge.adapters import FieldKind, SettingField

#: Shorter tokens are refused by the API (a guessable token would open the shop's orders).
MIN_TOKEN_LENGTH = 32

SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "api_token", "API token", kind=FieldKind.SECRET,
        help="A long random secret the shop sends as 'Authorization: Bearer <token>' on every call to "
             "/api/shop/v1/<shop id>/… . Generate one with: python -c \"import secrets; "
             "print(secrets.token_urlsafe(48))\" (at least 32 characters) and configure the same value in the shop.",
    ),
)


def api_token(secrets: Mapping[str, str]) -> str | None:
    """The shop's token, or ``None`` when it is missing or too short to be safe."""
    token = str(secrets.get("api_token") or "").strip()
    return token if len(token) >= MIN_TOKEN_LENGTH else None
