"""Amazon's carrier codes for ``confirmShipment`` ``packageDetail.carrierCode`` (S4).

The list is the ``CarrierCode`` enumeration of Amazon's feed base schema
``amzn-base.xsd`` (378 unique codes, see ``specs/amazon/NOTES.md`` → Carrier
codes), shipped as ``data/carrier_codes.json``. Matching is exact: Amazon
leaves an order unconfirmed when the code differs from its list; unlisted
carriers go as ``Other`` with the carrier's name.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def carrier_codes() -> frozenset[str]:
    """Every code Amazon accepts, exactly as spelled in its list."""
    data = json.loads(files("marketbridge_amazon").joinpath("data/carrier_codes.json").read_text(encoding="utf-8"))
    return frozenset(str(code) for code in data["codes"])
