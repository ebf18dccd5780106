"""Ranking: specific formats beat generic ones, hints break ties, ambiguity is never hidden (S4)."""
from __future__ import annotations

from marketbridge.carriers import CarrierMatch, best_match, detect


def _ranked(matches: list[CarrierMatch]) -> list[str]:
    return [m.carrier_id for m in matches]


def test_valid_check_digit_beats_a_bare_length_match() -> None:
    # 14 digits: DHL eCommerce (14) is a bare length, Hermes' 3/1 check digit validates
    matches = detect("09133131530724")
    assert _ranked(matches)[:2] == ["hermes_de", "dhl_ecommerce"]
    assert matches[0].check_digit_verified and not matches[1].check_digit_verified
    assert matches[0].confidence > matches[1].confidence


def test_prefix_with_check_digit_is_near_certain() -> None:
    top = detect("1Z5R89390357567127")[0]
    assert (top.carrier_id, top.format_id, top.confidence) == ("ups", "ups", 0.95)
    assert "check digit is valid" in top.reasons[0]


def test_wrong_check_digit_drops_the_checked_format() -> None:
    assert "ups" not in _ranked(detect("1Z5R89390357567128"))


def test_spaces_and_lower_case_do_not_matter() -> None:
    assert detect(" 1z5r 8939 0357 5671 27 ") == detect("1Z5R89390357567127")


def test_ambiguous_number_returns_every_candidate_and_no_best_match() -> None:
    matches = detect("201298452277")
    assert set(_ranked(matches)) == {"fedex", "dhl_paket", "gls"}
    assert len({m.confidence for m in matches}) == 1
    assert best_match(matches) is None


def test_shop_name_settles_an_ambiguous_number() -> None:
    matches = detect("201298452277", "DHL Paket")
    assert matches[0].carrier_id == "dhl_paket"
    assert any("agrees" in reason for reason in matches[0].reasons)
    assert best_match(matches) == matches[0]


def test_shop_name_of_the_parent_agrees_with_a_product() -> None:
    assert detect("00340433836442636597", "DHL")[0].confidence == 0.99


def test_shop_name_does_not_override_an_unmistakable_number() -> None:
    matches = detect("1Z5R89390357567127", "DHL")
    assert _ranked(matches) == ["ups", "dhl"]
    assert matches[1].format_id is None  # DHL only because the shop says so
    assert best_match(matches) == matches[0]


def test_shop_name_beats_a_digits_only_coincidence() -> None:
    # 3318810025 passes DHL Express' mod 7 check, which one random number in seven does
    matches = detect("3318810025", "DPD Predict")
    assert _ranked(matches) == ["dpd", "dhl_express"]
    assert best_match(matches) == matches[0]


def test_country_breaks_a_tie_but_not_enough_to_act_alone() -> None:
    matches = detect("287809468872", country="CA")
    assert matches[0].carrier_id == "purolator"
    assert best_match(matches) is None  # 0.65 vs 0.6: a digits-only check is not proof


def test_name_only_when_the_number_is_unknown_or_missing() -> None:
    top = detect("ZZZ", "La Poste - Colissimo")[0]
    assert (top.carrier_id, top.format_id, top.confidence) == ("colissimo", None, 0.7)
    assert detect("", "GLS")[0].carrier_id == "gls"
    assert detect("", None) == []
    assert detect("not a tracking number") == []


def test_detection_is_deterministic() -> None:
    first = detect("78045768393")
    assert all(detect("78045768393") == first for _ in range(5))


def test_best_match_respects_minimum_and_margin() -> None:
    top = detect("RB123456785GB")  # Royal Mail 0.95, Parcelforce 0.85
    assert best_match(top) == top[0] and top[0].carrier_id == "royal_mail"
    assert best_match(top, margin=0.2) is None
    assert best_match(top, minimum=0.96) is None
    assert best_match([]) is None
