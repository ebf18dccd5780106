"""Reading the JSON data files shipped inside this package (``data/``)."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any


def read_json(*parts: str) -> Any:
    """Parse ``data/<parts…>``; a missing or broken file raises (a packaging error, not a merchant's)."""
    path = resources.files("marketbridge.carriers").joinpath("data", *parts)
    return json.loads(path.read_text(encoding="utf-8"))


def list_json(*parts: str) -> list[str]:
    """Names of the ``.json`` files in ``data/<parts…>``, sorted."""
    folder = resources.files("marketbridge.carriers").joinpath("data", *parts)
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
