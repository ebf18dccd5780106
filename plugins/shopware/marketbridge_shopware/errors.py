"""Reading Shopware's error answers and saying in plain words what they mean.

Shopware answers every failure as ``{"errors": [{"status", "code", "title", "detail",
"source": {"pointer"}, "meta": {"parameters"}}]}`` (``components/schemas/failure``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests

INTEGRATIONS_PAGE = "Settings > System > Integrations"


@dataclass(frozen=True)
class ShopwareError:
    """One entry of an error answer."""

    status: str
    code: str
    title: str = ""
    detail: str = ""
    pointer: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def field_path(self) -> str | None:
        """``/0/orderCustomer/email`` → ``orderCustomer.email``."""
        if not self.pointer:
            return None
        parts = [p for p in self.pointer.split("/") if p and not p.isdigit()]
        return ".".join(parts) or None


def parse_errors(response: requests.Response) -> list[ShopwareError]:
    """The error entries of ``response``; an empty list when the body is not Shopware's shape."""
    try:
        body = response.json()
    except ValueError:
        return []
    entries = body.get("errors") if isinstance(body, dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        params = meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {}
        source = entry.get("source") if isinstance(entry.get("source"), dict) else {}
        out.append(ShopwareError(
            status=str(entry.get("status") or response.status_code), code=str(entry.get("code") or ""),
            title=str(entry.get("title") or ""), detail=str(entry.get("detail") or ""),
            pointer=source.get("pointer") if isinstance(source.get("pointer"), str) else None, parameters=params))
    return out


def missing_privileges(errors: list[ShopwareError]) -> list[str]:
    """Privileges named by ``FRAMEWORK__MISSING_PRIVILEGE_ERROR`` entries (their detail is JSON)."""
    found: list[str] = []
    for error in errors:
        if error.code != "FRAMEWORK__MISSING_PRIVILEGE_ERROR":
            continue
        try:
            detail = json.loads(error.detail)
        except ValueError:
            continue
        for privilege in detail.get("missingPrivileges", []) if isinstance(detail, dict) else []:
            if isinstance(privilege, str) and privilege not in found:
                found.append(privilege)
    return found


def retry_seconds(errors: list[ShopwareError]) -> float | None:
    """Seconds a ``FRAMEWORK__RATE_LIMIT_EXCEEDED`` answer asks to wait."""
    for error in errors:
        seconds = error.parameters.get("seconds")
        if isinstance(seconds, (int, float)):
            return float(seconds)
        match = re.search(r"try again in (\d+) seconds", error.detail)
        if match:
            return float(match.group(1))
    return None


def summary(errors: list[ShopwareError]) -> str:
    """One readable line per error: ``orderCustomer.email: This value should not be blank.``"""
    lines = []
    for error in errors:
        text = error.detail or error.title or error.code
        path = error.field_path()
        lines.append(f"{path}: {text}" if path else text)
    return "; ".join(lines) or "no details given"


_FOREIGN_KEY = re.compile(r"1452 Cannot add or update a child row.*?REFERENCES `(\w+)`", re.S)
_DUPLICATE = re.compile(r"1062 Duplicate entry")


def foreign_key_target(errors: list[ShopwareError]) -> str | None:
    """The table a failed foreign key points to (``product``, ``shipping_method`` …), if that is the error."""
    for error in errors:
        match = _FOREIGN_KEY.search(error.detail)
        if match:
            return match.group(1)
    return None


def is_duplicate(errors: list[ShopwareError]) -> bool:
    """Whether the database refused a duplicate primary key (the order already exists)."""
    return any(_DUPLICATE.search(error.detail) for error in errors)
