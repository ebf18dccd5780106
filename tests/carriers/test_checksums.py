"""Check-digit algorithms against published worked examples (S4)."""
from __future__ import annotations

import pytest

from marketbridge.carriers import checksums


@pytest.mark.parametrize(("serial", "check", "ok"), [
    ("47312482", "9", True),   # UPU S10 worked example (S10 standard, Wikipedia "S10 (UPU standard)")
    ("47312482", "8", False),
    ("12345678", "5", True),   # RB123456785GB, the corpus' own sample
    ("00000000", "5", True),   # remainder 0 -> check digit 5
    ("1234567A", "5", False),  # letters in the serial never validate
])
def test_s10(serial: str, check: str, ok: bool) -> None:
    assert checksums.s10(serial, check, {}) is ok


def test_mod10_ups_counts_letters_as_ord_minus_3() -> None:
    params = {"evens_multiplier": 1, "odds_multiplier": 2}
    assert checksums.mod10("5R8939035756712", "7", params)  # 1Z5R89390357567127
    assert not checksums.mod10("5R8939035756712", "8", params)


def test_mod10_weights_4_9_dhl_identcode() -> None:
    # paketda.de example 201298452277: 4*(2+1+9+4+2+7) + 9*(0+2+8+5+2) = 253 -> 7
    assert checksums.mod10("20129845227", "7", {"evens_multiplier": 4, "odds_multiplier": 9})


def test_mod10_offset_for_gls() -> None:
    params = {"evens_multiplier": 3, "odds_multiplier": 1, "offset": 1}
    assert checksums.mod10("20123456789", "8", params)
    assert not checksums.mod10("20123456789", "8", {**params, "offset": 0})


def test_mod10_reverse_reads_from_the_right() -> None:
    params = {"evens_multiplier": 3, "odds_multiplier": 1, "reverse": True}
    assert checksums.mod10("940011120620640626078", "7", params)  # USPS IMpb corpus sample


def test_luhn() -> None:
    assert checksums.luhn("7992739871", "3", {})  # the textbook Luhn example 79927398713
    assert not checksums.luhn("7992739871", "4", {})


def test_mod7() -> None:
    assert checksums.mod7("331881002", "5", {})  # DHL Express 3318810025
    assert not checksums.mod7("331881001", "0", {})


def test_sum_product_fedex() -> None:
    params = {"weightings": [3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1], "modulo1": 11, "modulo2": 10}
    assert checksums.sum_product_with_weightings_and_modulo("98657878885", "5", params)
    assert not checksums.sum_product_with_weightings_and_modulo("99657878885", "5", params)


def test_mod_37_36_dpd_letter_check_character() -> None:
    assert checksums.mod_37_36("01015026003653", "C", {})  # paketda.de DPD example 01015026003653C
    assert not checksums.mod_37_36("01015026003653", "D", {})
    assert not checksums.mod_37_36("0101502600365*", "C", {})


def test_verify_dispatches_by_name() -> None:
    assert checksums.verify({"name": "mod7"}, "331881002", "5")
    assert set(checksums.ALGORITHMS) == {"s10", "mod10", "mod7", "luhn",
                                         "sum_product_with_weightings_and_modulo", "mod_37_36"}
