"""The library step of detect_carrier: a code, or a plain-English reason (S4)."""
from __future__ import annotations

from marketbridge.carriers import suggest
from marketbridge.decisions import CarrierChoice


def test_confident_detection_gives_a_library_choice(amazon_subset: frozenset[str]) -> None:
    result = suggest("1Z5R89390357567127", "UPS Standard", "DE", amazon_subset)
    assert result.code == "UPS" and result.problem is None
    assert result.choice() == CarrierChoice("UPS", "library", "UPS")


def test_ambiguous_number_is_not_guessed(amazon_subset: frozenset[str]) -> None:
    result = suggest("201298452277", None, "DE", amazon_subset)
    assert result.code is None and result.choice() is None
    assert result.problem == ("Tracking number '201298452277' could belong to DHL Paket, GLS or FedEx; "
                              "Marketbridge will not guess. Add a carrier rule or name the carrier in the shop.")
    assert len(result.candidates) == 3


def test_carrier_without_marketplace_code_is_reported(amazon_subset: frozenset[str]) -> None:
    result = suggest("RR123456785AF", None, None, amazon_subset)
    assert result.carrier is not None and result.carrier.carrier_name == "Afghan Post"
    assert result.code is None
    assert "accepts no carrier code for Afghan Post" in (result.problem or "")


def test_unknown_number_and_missing_number(amazon_subset: frozenset[str]) -> None:
    assert "does not recognise the carrier of tracking number 'ABC'" in (
        suggest("ABC", None, None, amazon_subset).problem or "")
    assert "has no tracking number" in (suggest("", "Standardversand", None, amazon_subset).problem or "")


def test_free_text_marketplace() -> None:
    assert suggest("JJD1410302937991", None, None, None).code == "DHL Paket"
