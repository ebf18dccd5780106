"""The encrypted ``payload`` Ecwid passes to an app page inside its admin (M1; ``specs/ecwid/APPS.md`` §2).

Ecwid opens ``https://our.app/iframe?payload=…&app_state=…&cache-killer=…``.
``payload`` is url-safe base64 (``-``/``_``, ``=`` padding stripped) of a
16-byte IV followed by AES-128-CBC ciphertext (PKCS#7) of a JSON object; the
key is the first 16 characters of the app's ``client_secret``.

The payload has no MAC and no expiry: decrypting proves only that whoever
built it knew the client secret. :func:`confirm_store_access` therefore calls
``GET /profile`` with the token it carries and accepts the page only when
Ecwid answers for the same store. Nothing else from the query string is
trusted: :func:`payload_from_query` reads ``payload`` alone and takes
``app_state`` from inside it.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from marketbridge.errors import MarketbridgeError

_BLOCK_BITS = 128


class PayloadRejected(MarketbridgeError):
    """The app page's ``payload`` cannot be decrypted or is not confirmed by Ecwid."""

    code = "ecwid_payload_rejected"


@dataclass(frozen=True)
class AppPayload:
    """What Ecwid tells an app page: the store, the token for it and the admin's language."""

    store_id: int
    access_token: str = field(repr=False)
    lang: str | None = None
    view_mode: str | None = None
    app_state: str | None = None
    public_token: str | None = field(default=None, repr=False)


def _key(client_secret: str) -> bytes:
    key = client_secret.encode("utf-8")[:16]
    if len(key) != 16:
        raise PayloadRejected("The app's client secret is too short to decrypt Ecwid's payload.")
    return key


def decrypt_payload(payload: str, client_secret: str) -> AppPayload:
    """Decrypt and read Ecwid's app-page payload; raises :class:`PayloadRejected` on any failure."""
    text = payload.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadRejected("The app page's payload is not valid base64.") from None
    if len(raw) < 32 or len(raw) % 16:
        raise PayloadRejected("The app page's payload has the wrong length for AES-CBC.")
    decryptor = Cipher(algorithms.AES(_key(client_secret)), modes.CBC(raw[:16])).decryptor()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plain = unpadder.update(decryptor.update(raw[16:]) + decryptor.finalize()) + unpadder.finalize()
        data = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise PayloadRejected("The app page's payload does not decrypt with this app's client secret.") from None
    if not isinstance(data, dict) or not isinstance(data.get("store_id"), int) \
            or not isinstance(data.get("access_token"), str):
        raise PayloadRejected("The app page's payload lacks the store id or the access token.")
    return AppPayload(
        store_id=data["store_id"], access_token=data["access_token"], lang=_text(data, "lang"),
        view_mode=_text(data, "view_mode"), app_state=_text(data, "app_state"),
        public_token=_text(data, "public_token"),
    )


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return str(value) if value is not None else None


def encrypt_payload(data: Mapping[str, Any], client_secret: str, iv: bytes | None = None) -> str:
    """Build a payload the way Ecwid does (for the emulator and the demo mode): url-safe, unpadded."""
    iv = iv if iv is not None else os.urandom(16)
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    plain = padder.update(json.dumps(dict(data), separators=(",", ":")).encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(client_secret)), modes.CBC(iv)).encryptor()
    raw = iv + encryptor.update(plain) + encryptor.finalize()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def payload_from_query(query: Mapping[str, str], client_secret: str) -> AppPayload:
    """Read the app page's query string: only ``payload`` counts; ``app_state`` comes from inside it."""
    payload = query.get("payload")
    if not payload:
        raise PayloadRejected("The app page was opened without Ecwid's payload; open it from the Ecwid admin.")
    return decrypt_payload(payload, client_secret)


def confirm_store_access(payload: AppPayload, http: requests.Session, api_url: str, timeout: float = 10.0) -> None:
    """Prove the payload genuine: ``GET /{store_id}/profile`` with its token must answer for that store.

    Raises :class:`PayloadRejected` otherwise (also when Ecwid cannot be reached).
    """
    try:
        response = http.get(f"{api_url.rstrip('/')}/{payload.store_id}/profile",
                            headers={"Authorization": f"Bearer {payload.access_token}"}, timeout=timeout)
        body = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        raise PayloadRejected("Ecwid could not confirm the app page's store; try opening the page again.") from None
    general = body.get("generalInfo") if isinstance(body, dict) else None
    if not isinstance(general, dict) or general.get("storeId") != payload.store_id:
        raise PayloadRejected("Ecwid did not confirm the app page's store and token.")
