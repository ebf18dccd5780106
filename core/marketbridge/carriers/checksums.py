"""Check-digit algorithms named in the tracking-number data files (S4).

Each format's ``validation.checksum`` object names one of the algorithms below
and carries its parameters, exactly as ``jkeen/tracking_number_data`` describes
them (its reference implementation is the ``tracking_number`` Ruby gem,
``lib/tracking_number/checksum_validations.rb``). One parameter is
Marketbridge's own: ``offset`` for ``mod10``, a constant added to the weighted
sum before the check digit is taken (GLS needs ``1``).

Every function receives the serial number (the characters the check digit is
computed over, spaces already removed, upper case) and the printed check
character, and returns whether they agree. None raises for odd input: a serial
holding characters an algorithm cannot weigh simply does not validate.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

ALPHABET_36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Params = Mapping[str, Any]


def _digit(check: str) -> int | None:
    return int(check) if len(check) == 1 and check.isdigit() else None


def s10(serial: str, check: str, params: Params) -> bool:
    """UPU S10: weights 8,6,4,2,3,5,9,7; 11 - (sum mod 11), where 10 becomes 0 and 11 becomes 5."""
    weights = params.get("weightings") or (8, 6, 4, 2, 3, 5, 9, 7)
    if not serial.isdigit() or len(serial) != len(weights):
        return False
    remainder = sum(int(d) * int(w) for d, w in zip(serial, weights)) % int(params.get("modulo", 11))
    expected = {0: 5, 1: 0}.get(remainder, 11 - remainder)
    return expected == _digit(check)


def mod10(serial: str, check: str, params: Params) -> bool:
    """Weighted modulo 10 (UPS, USPS, FedEx Ground, Canada Post, OnTrac, DHL Paket, Hermes, GLS).

    Characters are read left to right (right to left with ``reverse``); those
    at even positions (0, 2, …) are multiplied by ``evens_multiplier``, those
    at odd positions by ``odds_multiplier``. A letter counts as
    ``(ord(letter) - 3) % 10`` (UPS). The check digit brings
    ``sum + offset`` up to the next multiple of ten.
    """
    chars = serial[::-1] if params.get("reverse") else serial
    evens = int(params.get("evens_multiplier") or 1)
    odds = int(params.get("odds_multiplier") or 1)
    total = int(params.get("offset", 0))
    for index, char in enumerate(chars):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = (ord(char) - 3) % 10
        else:
            return False
        total += value * (odds if index % 2 else evens)
    return (10 - total % 10) % 10 == _digit(check)


def mod7(serial: str, check: str, params: Params) -> bool:
    """DHL Express air waybill: the serial read as a number, modulo 7."""
    return serial.isdigit() and int(serial) % 7 == _digit(check)


def luhn(serial: str, check: str, params: Params) -> bool:
    """Luhn (Purolator, Old Dominion): double every second digit from the right of the serial."""
    if not serial.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(serial)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10 == _digit(check)


def sum_product_with_weightings_and_modulo(serial: str, check: str, params: Params) -> bool:
    """FedEx Express: sum of digit × weight, then modulo ``modulo1`` and modulo ``modulo2``."""
    weights = params.get("weightings") or ()
    if not serial.isdigit() or len(serial) != len(weights):
        return False
    total = sum(int(d) * int(w) for d, w in zip(serial, weights))
    return total % int(params["modulo1"]) % int(params["modulo2"]) == _digit(check)


def mod_37_36(serial: str, check: str, params: Params) -> bool:
    """ISO/IEC 7064 MOD 37,36 (DPD parcel label specification): a check character 0-9 or A-Z."""
    modulus = int(params.get("modulo", 36))
    alphabet = str(params.get("alphabet", ALPHABET_36))
    value = modulus
    for char in serial:
        position = alphabet.find(char)
        if position < 0:
            return False
        value += position
        if value > modulus:
            value -= modulus
        value *= 2
        if value > modulus:
            value -= modulus + 1
    value = modulus + 1 - value
    if value == modulus:
        value = 0
    return alphabet[value] == check


ALGORITHMS: dict[str, Callable[[str, str, Params], bool]] = {
    "s10": s10,
    "mod10": mod10,
    "mod7": mod7,
    "luhn": luhn,
    "sum_product_with_weightings_and_modulo": sum_product_with_weightings_and_modulo,
    "mod_37_36": mod_37_36,
}


def verify(params: Params, serial: str, check: str) -> bool:
    """Run the algorithm named by ``params["name"]`` (one of :data:`ALGORITHMS`).

    The data loader rejects unknown names when it reads the data files, so
    detection never meets one.
    """
    return ALGORITHMS[str(params["name"])](serial, check, params)
