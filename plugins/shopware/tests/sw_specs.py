"""Where the shared Shopware specification lives (``shared/`` sits beside the repository)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[1] / "specs"


def load(name: str) -> Any:
    return json.loads((SPECS / name).read_text(encoding="utf-8"))
