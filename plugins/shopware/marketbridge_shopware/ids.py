"""Shopware ids: 32 lowercase hex characters (a UUID without dashes).

Marketbridge derives the ids of everything it creates from the marketplace
reference, as the Shopware docs suggest (NOTES.md, "Idempotency"): the same
marketplace order always maps to the same order id, so a second create can
never produce a second order.
"""
from __future__ import annotations

import hashlib
import re
import uuid

_ID = re.compile(r"^[0-9a-f]{32}$")


def derived_id(*parts: str) -> str:
    """A deterministic Shopware id: md5 of the parts joined with ``|`` (32 hex chars)."""
    return hashlib.md5("|".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def random_id() -> str:
    """A fresh random id, as Shopware generates one when the client sends none."""
    return uuid.uuid4().hex


def is_id(value: object) -> bool:
    """Whether ``value`` has the shape of a Shopware id."""
    return isinstance(value, str) and _ID.match(value) is not None
