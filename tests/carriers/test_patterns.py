"""Merchant rule patterns are checked before saving, in plain English (S4)."""
from __future__ import annotations

import pytest

from marketbridge.carriers import check_pattern, validate_pattern


def test_good_pattern_reports_each_sample() -> None:
    report = check_pattern(r"1Z[0-9A-Z]{16}", ["1Z5R 8939 0357 5671 27", "JJD1410302937991"])
    assert report.ok
    assert report.matching == ("1Z5R 8939 0357 5671 27",)  # spaces removed, as the policy does
    assert report.not_matching == ("JJD1410302937991",)
    assert report.also_matches == ("UPS",)
    assert validate_pattern(r"1Z[0-9A-Z]{16}", ["JJD1410302937991"]) == [
        "Sample 'JJD1410302937991' does not match the pattern.",
        "Among the built-in example numbers, the pattern matches those of: UPS.",
    ]


def test_case_mismatch_is_explained() -> None:
    messages = validate_pattern(r"JJD\d{13}", ["jjd1410302937991"])
    assert "would if upper and lower case were ignored" in messages[0]


@pytest.mark.parametrize(("regex", "fragment"), [
    ("", "The pattern is empty"),
    ("[0-9", "not a valid regular expression: unterminated character set at position 1"),
    ("(\\d+)+", "unsafe"),
    ("(\\d*[A-Z]*)*", "unsafe"),
    ("(a|a1)*", "alternatives that can start with the same character"),
    ("x" * 501, "501 characters long"),
])
def test_problems_block_saving(regex: str, fragment: str) -> None:
    report = check_pattern(regex, ["123"])
    assert not report.ok
    assert fragment in report.problems[0]
    assert report.matching == report.not_matching == ()  # samples are not run against a bad pattern


@pytest.mark.parametrize("regex", [r"\d{12}", r"(\d{4} ?)+", r"(?:ab|ac)*", r"(?>a+)+b", r"[A-Z]{2}\d{9}(GB|DE)",
                                   r"(x|\d)+"])
def test_safe_patterns_are_not_flagged(regex: str) -> None:
    assert check_pattern(regex, ["1"]).ok


def test_catch_all_and_empty_match_are_warned() -> None:
    report = check_pattern(".*", ["anything"])
    assert report.ok
    assert any("empty tracking number" in w for w in report.warnings)
    assert any("nearly every carrier" in w for w in report.warnings)
    assert report.also_matches == ()


def test_overlap_with_other_carriers_is_listed() -> None:
    assert check_pattern(r"\d{12}", ["201298452277"]).also_matches == ("DHL Paket", "FedEx", "GLS", "Purolator")


def test_missing_and_implausible_samples() -> None:
    assert "Add at least one sample" in check_pattern(r"\d{12}", []).warnings[0]
    report = check_pattern(r"\d+", ["1" * 70])
    assert not report.ok and "70 characters long" in report.problems[0]
