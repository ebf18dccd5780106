"""Shared fixtures for the carrier library tests (S4)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

#: Amazon's CarrierCode list as the Amazon channel ships it (channels/amazon/specs).
AMAZON_CODES_FILE = Path(__file__).resolve().parents[2] / "channels" / "amazon" / "specs" / "carrier-codes.json"

#: A few exact codes from that list, copied as facts so the mapping tests run anywhere.
_AMAZON_SUBSET = frozenset({
    "DHL", "DHL Express", "DHL-Paket", "DHL eCommerce", "DHL Global Mail", "Deutsche Post", "DPD", "DPD Local",
    "GLS", "UPS", "FedEx", "USPS", "Royal Mail", "ROYAL_MAIL", "Parcelforce", "La Poste", "Colissimo",
    "Coliposte", "Chronopost", "PostNL", "Post NL", "Hermes", "Hermes Logistik Gruppe", "Hermes UK", "BPOST",
    "Correos", "Correos Express", "Poste Italiane", "Amazon Shipping", "AMZL", "Other", "Otro", "Andere",
    "Sonstige", "Trans-o-Flex",
})


@pytest.fixture(scope="session")
def amazon_subset() -> frozenset[str]:
    """Exact Amazon codes for the carriers these tests map, plus generic and unknown-to-us ones."""
    return _AMAZON_SUBSET


@pytest.fixture(scope="session")
def amazon_codes() -> frozenset[str]:
    """The full Amazon CarrierCode list; skipped without the shared specs (fails under CI=true)."""
    if not AMAZON_CODES_FILE.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{AMAZON_CODES_FILE} is missing and CI=true requires it", pytrace=False)
        pytest.skip(f"{AMAZON_CODES_FILE} is not available")
    return frozenset(json.loads(AMAZON_CODES_FILE.read_text(encoding="utf-8"))["codes"])
