"""How an adapter declares the settings a merchant fills in (credentials, URLs, options).

The host renders forms from these declarations, encrypts every ``secret`` field
at rest (D2), redacts it everywhere it could be shown, and hands the decrypted
values to the adapter through :class:`~marketbridge.adapters.context.AdapterContext`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FieldKind(StrEnum):
    TEXT = "text"
    SECRET = "secret"  #: encrypted at rest, never shown again, never logged
    URL = "url"
    CHOICE = "choice"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class SettingField:
    """One setting of a shop or a marketplace account.

    ``label`` and ``help`` are English; the host translates them when the
    plugin ships translations, and shows them as they are otherwise.
    """

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    help: str = ""
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    default: str | bool | None = None

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.SECRET
