"""Marketbridge's own European formats and S10 attributions, with their sources (S4).

Each sample below comes from the source named next to it (or is constructed
to the published rule, which says so in ``formats_europe.json``).
"""
from __future__ import annotations

import pytest

from marketbridge.carriers import detect
from marketbridge.carriers.datafiles import read_json
from marketbridge.carriers.formats import all_formats

EUROPE = [f for f in all_formats() if not f.source.startswith("jkeen/")]


def test_every_european_sample_names_its_source() -> None:
    assert {f.carrier_id for f in EUROPE} >= {"dhl_paket", "gls", "hermes_de", "evri", "parcelforce",
                                               "colissimo", "postnl", "correos"}
    for fmt in EUROPE:
        for sample in fmt.valid_samples:
            assert fmt.sample_sources.get(sample), f"{fmt.id}: sample {sample!r} has no source"


@pytest.mark.parametrize(("number", "name", "country", "carrier", "format_id"), [
    # paketda.de/firmenkunden/paket-pruefziffern.html
    ("00340433836442636597", None, None, "dhl_paket", "dhl_paket_20"),
    ("JJD1410302937991", None, None, "dhl_paket", "dhl_paket_jjd"),
    ("09133131530724", None, None, "hermes_de", "hermes_de_14"),
    ("01015026003653C", None, None, "dpd", "dpd_14"),
    ("201298452277", "DHL", "DE", "dhl_paket", "dhl_paket_12"),
    # GLS Uni-Box TechDoku 2D section 3.2.1 (constructed number); paketda.de GLS label (Track-ID)
    ("201234567898", "GLS", None, "gls", "gls_parcel_12"),
    ("XHAX4HDA", "GLS", None, "gls", "gls_track_id"),
    # parcelforce.com tracking-number formats
    ("AA1234567", None, None, "parcelforce", "parcelforce_9"),
    ("AAAA1234567890", None, None, "parcelforce", "parcelforce_14"),
    # colissimo.fr tracking FAQ
    ("8D00432154798", None, None, "colissimo", "colissimo_13"),
    # PostNL barcode webservice examples (firstred/postnl-api-php docs)
    ("3SDEVC111111111", None, None, "postnl", "postnl_3s"),
    # Correos preregister Annex XI structure (constructed number)
    ("PQ4F6P0703673180108021Q", None, None, "correos", "correos_23"),
    # evri.com: 16-character tracking number (constructed)
    ("H00AB12345678901", "Evri", "GB", "evri", "evri_16"),
])
def test_european_number_is_detected(number: str, name: str | None, country: str | None, carrier: str,
                                     format_id: str) -> None:
    top = detect(number, name, country)[0]
    assert (top.carrier_id, top.format_id) == (carrier, format_id)


@pytest.mark.parametrize(("number", "carriers"), [
    # UPU S10: the country code names the issuing operator; carriers.json s10_operators
    ("RB123456785GB", ["royal_mail", "parcelforce"]),
    ("CP123456785DE", ["dhl_paket", "deutsche_post"]),   # C = parcel post: DHL Paket international
    ("RR123456785DE", ["deutsche_post"]),                # registered letter: Deutsche Post
    ("EE123456785FR", ["chronopost"]),                   # E = EMS, run by Chronopost in France
    ("CA123456785FR", ["colissimo"]),                    # C = parcel post: Colissimo international
    ("RR123456785FR", ["la_poste"]),
    ("RR123456785NL", ["postnl"]),
    ("RR123456785BE", ["bpost"]),
    ("RR123456785ES", ["correos"]),
    ("RR123456785IT", ["poste_italiane"]),
    ("RR123456785AF", ["post_af"]),                      # a UPU member without an entry of its own
])
def test_s10_numbers_are_attributed_by_country(number: str, carriers: list[str]) -> None:
    matches = detect(number)
    assert [m.carrier_id for m in matches] == carriers
    assert all(m.format_id == "s10" and m.check_digit_verified for m in matches)


def test_s10_with_a_wrong_check_digit_or_unknown_country_is_not_postal() -> None:
    assert all(m.format_id != "s10" for m in detect("RB123456786GB"))
    assert all(m.format_id != "s10" for m in detect("RB123456785XX"))


def test_hint_only_formats_need_a_hint() -> None:
    assert detect("XHAX4HDA") == []
    assert detect("XHAX4HDA", country="DE")[0].carrier_id == "gls"  # GLS is at home in Germany
    assert detect("XHAX4HDA", country="US") == []


def test_s10_rules_are_keyed_by_iso_country() -> None:
    rules = read_json("carriers.json")["s10_operators"]
    assert all(len(country) == 2 and country.isupper() for country in rules)
