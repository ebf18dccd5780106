"""Secrets at rest (D2): Fernet encryption of credential JSON, and the key's origin.

The key comes from the ``MARKETBRIDGE_ENCRYPTION_KEYS`` setting (one or more
comma-separated Fernet keys, newest first, so keys can be rotated), or from
``<instance>/encryption.key``, created with mode 0600 on first run. Losing
the key makes stored credentials unreadable: back it up with the database.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from marketbridge.errors import ConfigurationError

REDACTED = "••••••"


class SecretBox:
    """Encrypts and decrypts JSON values with the configured keys."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigurationError("No encryption key configured")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, value: Any) -> str:
        """Encrypt a JSON-serialisable value; returns an ASCII token."""
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")

    def decrypt(self, token: str | None, default: Any = None) -> Any:
        """Decrypt a token made by :meth:`encrypt`; ``None`` gives ``default``.

        Raises ``ConfigurationError`` when no configured key opens it (wrong or
        lost key), never returning garbage.
        """
        if not token:
            return default
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise ConfigurationError("Stored secrets cannot be decrypted with the configured encryption key") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def load_keys(configured: str | None, instance_path: str) -> list[bytes]:
    """Keys from the setting, else from the instance key file (created on first run)."""
    if configured:
        return [k.strip().encode("ascii") for k in configured.split(",") if k.strip()]
    path = Path(instance_path) / "encryption.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return [path.read_bytes().strip()]


def load_or_create_secret(instance_path: str, name: str) -> str:
    """A random secret kept in ``<instance>/<name>`` (mode 0600), e.g. the session key."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip()
