"""Every sample of the tracking-number data is detected or rejected as it should be (S4).

The corpus is jkeen/tracking_number_data (MIT), copied unchanged into
``marketbridge/carriers/data/tracking_number_data``; Marketbridge's European
formats in ``formats_europe.json`` follow the same schema and carry their own
samples, so both are checked here the same way.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from marketbridge.carriers import detect, get_carrier
from marketbridge.carriers.datafiles import list_json, read_json
from marketbridge.carriers.formats import TrackingFormat, all_formats, normalize_number
from marketbridge.carriers.registry import alias_index, all_carriers, s10_operators

FORMATS = all_formats()
SHARED_CORPUS = Path("/work/shared/data/tracking-numbers")

#: Valid samples whose own carrier is not ranked first without further hints, because another
#: carrier's published format genuinely fits the same number. sample -> (rival carrier, reason).
COLLISIONS: dict[str, tuple[str, str]] = {
    "78045768393": ("dhl_express", "11 digits that pass both Old Dominion's Luhn check and DHL Express's "
                                   "mod 7 air waybill check"),
    "287809468872": ("fedex", "12 digits that pass both Purolator's Luhn check and FedEx Express's "
                              "weighted mod 11 check"),
    "320610804900": ("fedex", "12 digits that pass both Purolator's Luhn check and FedEx Express's "
                              "weighted mod 11 check"),
    "JFV247545960": ("dhl_express", "DHL Express piece IDs are J + 2-3 letters + 9-10 digits, which covers "
                                    "Purolator's 3 letters + 9 digits whenever it starts with J"),
    "4201028200009261290113185417468510": ("fedex", "34 digits that fit FedEx Express (34) and USPS IMpb "
                                                    "with a 420 ZIP prefix, and pass both check digits"),
    " 4 2 0 1 0 2 8 2 0 0 0 0 9 2 6 1 2 9 0 1 1 3 1 8 5 4 1 7 4 6 8 5 1 0 ": (
        "fedex", "the same USPS number with spaces"),
    "201298452277": ("fedex", "12 digits that pass DHL Paket's 4/9 check, GLS's 3/1+1 check and FedEx "
                              "Express's weighted mod 11 check"),
}

#: Hints that settle a collision: sample -> (shop carrier name, country).
SETTLED_BY: dict[str, tuple[str | None, str | None]] = {
    "78045768393": (None, "US"),
    "287809468872": (None, "CA"),
    "320610804900": (None, "CA"),
    "JFV247545960": ("Purolator", None),
    "4201028200009261290113185417468510": ("USPS", None),
    " 4 2 0 1 0 2 8 2 0 0 0 0 9 2 6 1 2 9 0 1 1 3 1 8 5 4 1 7 4 6 8 5 1 0 ": ("USPS", None),
    "201298452277": ("DHL Paket", "DE"),
}


def _expected(fmt: TrackingFormat, sample: str) -> str:
    if fmt.carrier_id is not None:
        return fmt.carrier_id
    hit = fmt.match(normalize_number(sample))
    assert hit is not None
    return s10_operators(hit.groups["CountryCode"], hit.groups["ServiceType"])[0]


def _samples(kind: str) -> list[tuple[str, str]]:
    return [(fmt.id, sample) for fmt in FORMATS for sample in getattr(fmt, kind)]


def test_corpus_is_complete_and_counted() -> None:
    assert len(list_json("tracking_number_data")) == 18
    corpus = [f for f in FORMATS if f.source.startswith("jkeen/")]
    assert sum(len(f.valid_samples) for f in corpus) == 192  # as the corpus README states
    assert sum(len(f.invalid_samples) for f in corpus) == 88


def test_corpus_copy_is_unchanged_and_keeps_its_licence() -> None:
    folder = resources.files("marketbridge.carriers").joinpath("data", "tracking_number_data")
    assert "Permission is hereby granted" in folder.joinpath("LICENSE").read_text(encoding="utf-8")
    if not SHARED_CORPUS.exists():
        pytest.skip(f"{SHARED_CORPUS} is not available to compare with")
    for name in [*list_json("tracking_number_data"), "LICENSE"]:
        assert folder.joinpath(name).read_bytes() == (SHARED_CORPUS / name).read_bytes(), name


@pytest.mark.parametrize(("format_id", "sample"), _samples("valid_samples"))
def test_valid_sample_matches_its_own_format(format_id: str, sample: str) -> None:
    fmt = next(f for f in FORMATS if f.id == format_id)
    assert fmt.match(normalize_number(sample)) is not None


@pytest.mark.parametrize(("format_id", "sample"), _samples("invalid_samples"))
def test_invalid_sample_is_rejected_by_its_format(format_id: str, sample: str) -> None:
    fmt = next(f for f in FORMATS if f.id == format_id)
    assert fmt.match(normalize_number(sample)) is None


@pytest.mark.parametrize(("format_id", "sample"), _samples("valid_samples"))
def test_valid_sample_is_detected_as_its_carrier(format_id: str, sample: str) -> None:
    fmt = next(f for f in FORMATS if f.id == format_id)
    expected = _expected(fmt, sample)
    if fmt.hint_only:  # offered only with a hint, never on the number alone
        assert all(m.format_id != fmt.id for m in detect(sample))
        matches = detect(sample, get_carrier(expected).name)
        assert matches[0].carrier_id == expected
        return
    matches = detect(sample)
    ranked = [m.carrier_id for m in matches]
    if sample in COLLISIONS:
        rival, _reason = COLLISIONS[sample]
        assert expected in ranked, f"{sample!r} must at least be offered as {expected}"
        assert ranked[0] == rival, f"collision list is stale for {sample!r}: ranking is {ranked}"
        name, country = SETTLED_BY[sample]
        assert detect(sample, name, country)[0].carrier_id == expected
    else:
        assert ranked[0] == expected, f"{sample!r} ({format_id}) ranked {ranked}"
        assert matches[0].format_id is not None


def test_every_format_names_a_registered_carrier_and_a_source() -> None:
    for fmt in FORMATS:
        assert fmt.source, fmt.id
        if fmt.carrier_id is not None:
            get_carrier(fmt.carrier_id)
        else:
            assert fmt.courier_code == "s10"
        assert fmt.valid_samples, f"{fmt.id} needs at least one valid sample"


def test_every_s10_operator_and_parent_is_registered() -> None:
    for country, rules in read_json("carriers.json")["s10_operators"].items():
        for rule in rules:
            for carrier_id in rule["carriers"]:
                assert get_carrier(carrier_id).id == carrier_id, country
    for carrier in all_carriers():
        if carrier.parent:
            get_carrier(carrier.parent)
    assert alias_index()  # raises if two carriers share an alias
