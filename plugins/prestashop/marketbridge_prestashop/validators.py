"""PrestaShop's field validators (``classes/Validate.php``), the subset the plugin's resources use.

The documentation's field tables name a validator per field (``isAddress``,
``isPostCode`` …). The emulator and the contract check reject values the
real shop rejects; :mod:`marketbridge_prestashop.sanitize` uses the same
character classes to clean marketplace data before it is sent, so a buyer
named "Anne-Marie (Büro 2)" does not hold an order.

Patterns follow PrestaShop 8 ``Validate`` (and its ``CustomerNameValidator``
for ``isCustomerName``); ``isEmail`` is the long-standing regular expression
(PrestaShop 8 delegates to egulias/email-validator, which accepts a superset).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

_DATE = re.compile(r"^([0-9]{4})-((?:0?[0-9])|(?:1[0-2]))-((?:0?[0-9])|(?:[1-2][0-9])|(?:3[01]))( [0-9]{2}:[0-9]{2}:[0-9]{2})?$")
_CUSTOMER_NAME = re.compile(r"^(?!\s*$)(?:[^0-9!<>,;?=+()/\\@#\"°*`{}_^$%:¤\[\]|.。]|[.。](?:\s|$))*$")

#: Characters each text validator refuses (used by the sanitizer to strip them).
FORBIDDEN: dict[str, str] = {
    "isName": "0123456789!<>,;?=+()@#\"°{}_$%:",
    "isCustomerName": "0123456789!<>,;?=+()/\\@#\"°*`{}_^$%:¤[]|",
    "isGenericName": "<>={}",
    "isAddress": "!<>?=+@{}_$%",
    "isCityName": "!<>;?=+@#\"°{}_$%",
    "isMessage": "<>{}",
    "isCatalogName": "<>;=#{}",
    "isReference": "<>;={}",
}


def _no_chars(chars: str) -> Callable[[str], bool]:
    forbidden = set(chars)
    return lambda value: not (set(value) & forbidden)


def is_unsigned_int(value: str) -> bool:
    return value.isdigit() and int(value) < 4294967296


def is_int(value: str) -> bool:
    return re.fullmatch(r"-?[0-9]+", value) is not None


def is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", value) is not None


def is_date(value: str) -> bool:
    match = _DATE.match(value)
    if not match:
        return False
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def is_clean_html(value: str) -> bool:
    lowered = value.lower()
    if re.search(r"<\s*script", lowered) or re.search(r"script:", lowered):
        return False
    if re.search(r"\bon[a-z]+\s*=", lowered):
        return False
    return re.search(r"<\s*(i?frame|form|input|embed|object)", lowered) is None


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "isUnsignedId": is_unsigned_int,
    "isNullOrUnsignedId": lambda v: v == "" or is_unsigned_int(v),
    "isUnsignedInt": is_unsigned_int,
    "isInt": is_int,
    "isBool": lambda v: v in ("0", "1"),
    "isFloat": is_float,
    "isUnsignedFloat": lambda v: is_float(v) and float(v) >= 0,
    "isPrice": lambda v: re.fullmatch(r"[0-9]{1,10}(\.[0-9]{1,9})?", v) is not None,
    "isNegativePrice": lambda v: re.fullmatch(r"-?[0-9]{1,10}(\.[0-9]{1,9})?", v) is not None,
    "isDate": is_date,
    "isDateFormat": lambda v: _DATE.match(v) is not None,
    "isEmail": lambda v: re.fullmatch(
        r"[a-z\w0-9!#$%&'*+/=?^`{}|~_-]+[.a-z\w0-9!#$%&'*+/=?^`{}|~_-]*@[a-z\w0-9]+(?:[.]?[_a-z\w0-9-])*\.[a-z\w0-9]+",
        v, re.IGNORECASE) is not None,
    "isName": _no_chars(FORBIDDEN["isName"]),
    "isCustomerName": lambda v: _CUSTOMER_NAME.match(v) is not None,
    "isGenericName": _no_chars(FORBIDDEN["isGenericName"]),
    "isAddress": _no_chars(FORBIDDEN["isAddress"]),
    "isCityName": _no_chars(FORBIDDEN["isCityName"]),
    "isPostCode": lambda v: v == "" or re.fullmatch(r"[a-zA-Z 0-9-]+", v) is not None,
    "isPhoneNumber": lambda v: re.fullmatch(r"[+0-9. ()/-]*", v) is not None,
    "isMessage": _no_chars(FORBIDDEN["isMessage"]),
    "isCleanHtml": is_clean_html,
    "isCatalogName": _no_chars(FORBIDDEN["isCatalogName"]),
    "isCarrierName": _no_chars("<>;=#{}"),
    "isReference": _no_chars(FORBIDDEN["isReference"]),
    "isTrackingNumber": lambda v: re.fullmatch(r"[~:#,%&_=()\[\].? +\-@/a-zA-Z0-9]+", v) is not None,
    "isModuleName": lambda v: re.fullmatch(r"[a-zA-Z0-9_-]+", v) is not None,
    "isMd5": lambda v: re.fullmatch(r"[a-fA-F0-9]{32}", v) is not None,
    "isPasswd": lambda v: 5 <= len(v) < 255,
    "isEan13": lambda v: re.fullmatch(r"[0-9]{0,13}", v) is not None,
    "isLanguageIsoCode": lambda v: re.fullmatch(r"[a-zA-Z]{2,3}", v) is not None,
    "isString": lambda v: True,
    "isAnything": lambda v: True,
    "isColor": lambda v: re.fullmatch(r"(#[0-9a-fA-F]{6}|[a-zA-Z]+)", v) is not None,
}


def validate(validator: str | None, value: str) -> bool:
    """Whether ``value`` passes PrestaShop's ``validator``; unknown validators accept everything."""
    if not validator:
        return True
    check = VALIDATORS.get(validator)
    return True if check is None else bool(check(value))
