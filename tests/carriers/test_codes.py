"""Exact marketplace carrier codes and shop carrier names (S4)."""
from __future__ import annotations

import pytest

from marketbridge.carriers import all_carriers, carrier_from_name, marketplace_code

#: Spellings in carriers.json that are not on Amazon's 2022 list, and why they are kept.
NOT_ON_AMAZON_2022 = {
    "Evri": "Hermes UK's new name since 2022; newer lists may carry it, 'Hermes UK' is the fallback",
    "Canpar": "not an Amazon code; kept as the free-text name",
    "GOFO Express": "not an Amazon code; kept as the free-text name",
    "Spee-Dee Delivery": "not an Amazon code; kept as the free-text name",
}
#: Carriers for which Amazon has no code at all: the caller must show the miss.
NO_AMAZON_CODE = {"canpar", "gofo", "speedee"}


def test_every_listed_spelling_exists_in_amazons_list(amazon_codes: frozenset[str]) -> None:
    for carrier in all_carriers():
        for code in carrier.codes:
            assert code in amazon_codes or code in NOT_ON_AMAZON_2022, f"{carrier.id}: {code!r}"


def test_every_code_returned_for_amazon_is_accepted(amazon_codes: frozenset[str]) -> None:
    for carrier in all_carriers():
        code = marketplace_code(carrier.id, amazon_codes)
        if carrier.id in NO_AMAZON_CODE:
            assert code is None, carrier.id
        else:
            assert code in amazon_codes, f"{carrier.id} -> {code!r}"


@pytest.mark.parametrize(("carrier_id", "code"), [
    ("dhl", "DHL"),
    ("dhl_paket", "DHL-Paket"),
    ("dhl_express", "DHL Express"),
    ("dhl_ecommerce", "DHL eCommerce"),
    ("deutsche_post", "Deutsche Post"),
    ("dpd_local", "DPD Local"),
    ("evri", "Hermes UK"),            # no 'Evri' on the list yet
    ("hermes_de", "Hermes"),
    ("royal_mail", "Royal Mail"),     # preferred over ROYAL_MAIL
    ("colissimo", "Colissimo"),
    ("la_poste", "La Poste"),
    ("chronopost", "Chronopost"),
    ("postnl", "PostNL"),             # preferred over 'Post NL'
    ("bpost", "BPOST"),               # the list's own spelling
    ("correos", "Correos"),
    ("poste_italiane", "Poste Italiane"),
    ("amazon_logistics", "Amazon Shipping"),
])
def test_carrier_maps_to_the_exact_amazon_spelling(carrier_id: str, code: str,
                                                   amazon_subset: frozenset[str]) -> None:
    assert marketplace_code(carrier_id, amazon_subset) == code


def test_falls_back_to_the_parent_code() -> None:
    assert marketplace_code("dhl_paket", frozenset({"DHL", "UPS"})) == "DHL"
    assert marketplace_code("colissimo", frozenset({"La Poste"})) == "La Poste"


def test_no_code_is_an_honest_none_never_other(amazon_subset: frozenset[str]) -> None:
    assert marketplace_code("gls", frozenset({"DHL", "Other"})) is None
    assert marketplace_code("no_such_carrier", amazon_subset) is None
    assert marketplace_code(None, amazon_subset, "Other") is None
    assert marketplace_code(None, amazon_subset, "Sonstige") is None
    assert marketplace_code(None, amazon_subset) is None


def test_free_text_marketplace_gets_the_display_name() -> None:
    assert marketplace_code("dhl_paket", None) == "DHL Paket"
    assert marketplace_code("evri", None) == "Evri"


def test_shop_name_that_is_an_accepted_code_of_the_carrier_wins(amazon_subset: frozenset[str]) -> None:
    assert marketplace_code("dhl", amazon_subset, "DHL Express") == "DHL Express"
    assert marketplace_code("royal_mail", amazon_subset, "royal_mail") == "ROYAL_MAIL"
    # a less specific shop name does not override what the number proves
    assert marketplace_code("dhl_paket", amazon_subset, "DHL") == "DHL-Paket"
    # a shop name of another carrier does not override the detected carrier
    assert marketplace_code("dhl_paket", amazon_subset, "Deutsche Post") == "DHL-Paket"


def test_shop_name_alone(amazon_subset: frozenset[str]) -> None:
    assert marketplace_code(None, amazon_subset, "La Poste - Colissimo") == "Colissimo"
    assert marketplace_code(None, amazon_subset, "Trans-o-Flex") == "Trans-o-Flex"  # exact code, unknown to us
    assert marketplace_code(None, amazon_subset, "Standardversand") is None


@pytest.mark.parametrize(("name", "carrier_id"), [
    ("DHL Paket", "dhl_paket"),
    ("dhl express", "dhl_express"),
    ("DHL-Päckchen", "dhl_paket"),
    ("Versand mit DHL Paket", "dhl_paket"),
    ("DHL", "dhl"),
    ("Deutsche Post Warenpost", "deutsche_post"),
    ("UPS Standard", "ups"),
    ("ups express saver", "ups"),
    ("FedEx Ground", "fedex"),
    ("USPS Priority Mail", "usps"),
    ("DPD Predict", "dpd"),
    ("GLS Germany", "gls"),
    ("Royal Mail Tracked 24", "royal_mail"),
    ("Parcelforce Worldwide", "parcelforce"),
    ("La Poste - Colissimo", "colissimo"),
    ("Colissimo (La Poste)", "colissimo"),
    ("Chronopost Relais", "chronopost"),
    ("PostNL Pakket", "postnl"),
    ("Hermes", "hermes_de"),
    ("Hermes UK", "evri"),
    ("Evri", "evri"),
    ("b-post", "bpost"),
    ("Correos Express", "correos_express"),
    ("Correos Paq Premium", "correos"),
    ("Poste Italiane", "poste_italiane"),
    ("Amazon Shipping", "amazon_logistics"),
])
def test_shop_carrier_names_are_recognised(name: str, carrier_id: str) -> None:
    assert carrier_from_name(name) == carrier_id


@pytest.mark.parametrize("name", ["", "   ", "Standardversand", "Express", "DHL / UPS", "Post"])
def test_unknown_or_ambiguous_names_give_none(name: str) -> None:
    assert carrier_from_name(name) is None
