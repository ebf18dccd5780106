"""Make marketplace text acceptable to PrestaShop's validators without losing its meaning.

Marketplace addresses and names contain characters PrestaShop refuses
(digits in names, ``#`` or ``@`` in street lines, letters in phone numbers…).
Sending them unchanged would fail with "Validation error" and hold the order
for a cosmetic reason, so each value is cleaned for its field's validator
(:mod:`marketbridge_prestashop.validators`) and cut to its documented size.
"""
from __future__ import annotations

import re

from marketbridge_prestashop.validators import FORBIDDEN

_SPACES = re.compile(r"\s+")


def _squash(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def clean(value: str | None, validator: str, max_size: int | None = None) -> str:
    """``value`` without the characters ``validator`` refuses, whitespace squashed, cut to ``max_size``."""
    if not value:
        return ""
    if validator == "isPostCode":
        cleaned = re.sub(r"[^a-zA-Z0-9 -]", "", value)
    elif validator == "isPhoneNumber":
        cleaned = re.sub(r"[^+0-9. ()/-]", "", value)
    elif validator == "isCustomerName":
        cleaned = "".join(" " if char in FORBIDDEN["isCustomerName"] else char for char in value)
        cleaned = re.sub(r"[.。](?=\S)", ". ", cleaned)
    else:
        forbidden = FORBIDDEN.get(validator, "")
        cleaned = "".join(" " if char in forbidden else char for char in value)
    cleaned = _squash(cleaned)
    if max_size is not None:
        cleaned = cleaned[:max_size].rstrip()
    return cleaned
