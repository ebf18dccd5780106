"""What the PrestaShop side signs with the per-shop secret: back-office links (M1) and change notices.

PrestaShop has no app frame and no webhooks for external services, so a small
module in the shop (see the README) does both with the secret the merchant
copied from Marketbridge:

* a **back-office link** that opens Marketbridge's pages already signed in::

      mb_shop=<Marketbridge shop id>&mb_employee=<employee id>&mb_ts=<unix time>[&mb_lang=fr][&mb_frame=1]&mb_sig=<hex>

* an optional **change notice** (``POST``, form-encoded) sent from the
  ``actionOrderHistoryAddAfter`` hook, so a status change or shipment is read
  at once instead of at the next poll::

      mb_event=order&mb_order=<PrestaShop order id>&mb_shop=<Marketbridge shop id>&mb_ts=<unix time>&mb_sig=<hex>

``mb_sig`` is ``HMAC-SHA256(secret, "name=value&…")`` over *every* ``mb_``
parameter other than ``mb_sig``, sorted by name, values unescaped. In PHP:
``hash_hmac('sha256', $message, $secret)``. Anything added or changed breaks
the signature. Each kind requires a parameter the other never carries
(``mb_employee`` / ``mb_event``), so one cannot pass for the other. Both
expire after five minutes; the endpoints also refuse a signature seen before
(:mod:`.replay`). This module is pure.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping
from urllib.parse import urlencode

MAX_AGE_SECONDS = 300
CLOCK_SKEW_SECONDS = 60
LINK_PARAMS = ("mb_employee", "mb_shop", "mb_ts")
NOTICE_PARAMS = ("mb_event", "mb_order", "mb_shop", "mb_ts")
NOTICE_EVENTS = frozenset({"order"})


class InvalidLink(ValueError):
    """The link or notice is unsigned, tampered with, or expired; the message says which (never the secret)."""


class Unsigned(InvalidLink):
    """Required parameters or the signature are missing: the caller did not sign at all (HTTP 401)."""


@dataclass(frozen=True)
class LinkIdentity:
    """Who a verified link vouches for."""

    shop: str
    employee: str
    issued_at: int
    signature: str
    language: str | None = None
    frame: bool = False


@dataclass(frozen=True)
class Notice:
    """A verified change notice: which PrestaShop order changed."""

    shop: str
    order_id: str
    issued_at: int
    signature: str


def new_secret() -> str:
    """A fresh per-shop secret (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def message(params: Mapping[str, str]) -> str:
    """The signed text: the ``mb_`` parameters (except ``mb_sig``), sorted, ``name=value`` joined with ``&``."""
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name.startswith("mb_") and name != "mb_sig")


def signature(secret: str, params: Mapping[str, str]) -> str:
    """Hex HMAC-SHA256 of :func:`message` with ``secret``."""
    return hmac.new(secret.encode("utf-8"), message(params).encode("utf-8"), hashlib.sha256).hexdigest()


def sign(secret: str, params: Mapping[str, str]) -> dict[str, str]:
    """``params`` plus their ``mb_sig`` (what the PrestaShop module does; here for tests and tooling)."""
    signed = {name: str(value) for name, value in params.items() if name != "mb_sig"}
    signed["mb_sig"] = signature(secret, signed)
    return signed


def sign_link(base_url: str, secret: str, *, shop: str, employee: str, now: datetime,
              language: str | None = None, frame: bool = False) -> str:
    """A signed back-office link to ``base_url``."""
    params = {"mb_shop": shop, "mb_employee": employee, "mb_ts": str(int(now.timestamp()))}
    if language:
        params["mb_lang"] = language
    if frame:
        params["mb_frame"] = "1"
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode(sign(secret, params))}"


def sign_notice(secret: str, *, shop: str, order_id: str, now: datetime) -> dict[str, str]:
    """The signed form fields of a change notice."""
    return sign(secret, {"mb_event": "order", "mb_order": order_id, "mb_shop": shop,
                         "mb_ts": str(int(now.timestamp()))})


def _verify(params: Mapping[str, str], secret: str, required: tuple[str, ...], *, now: datetime,
            max_age: int) -> tuple[dict[str, str], int]:
    """The signed ``mb_`` parameters and their time stamp, or :class:`InvalidLink`/:class:`Unsigned`."""
    absent = [name for name in (*required, "mb_sig") if not params.get(name)]
    if absent:
        raise Unsigned(f"The request lacks {', '.join(absent)}.")
    if not secret:
        raise InvalidLink("No back-office link secret is set for this shop.")
    signed = {name: str(params[name]) for name in params if name.startswith("mb_")}
    if not hmac.compare_digest(signature(secret, signed), signed["mb_sig"].lower()):
        raise InvalidLink("The signature does not match; the request was changed or signed with another secret.")
    try:
        issued = int(signed["mb_ts"])
    except ValueError:
        raise InvalidLink("The time stamp is not a number.") from None
    age = now.timestamp() - issued
    if age > max_age:
        raise InvalidLink("The link has expired; open it again from the PrestaShop back office.")
    if age < -CLOCK_SKEW_SECONDS:
        raise InvalidLink("The link is dated in the future; check the shop server's clock.")
    return signed, issued


def verify_link(params: Mapping[str, str], secret: str, *, now: datetime,
                max_age: int = MAX_AGE_SECONDS) -> LinkIdentity:
    """Check a back-office link's query parameters; return who it vouches for or raise :class:`InvalidLink`."""
    signed, issued = _verify(params, secret, LINK_PARAMS, now=now, max_age=max_age)
    return LinkIdentity(shop=signed["mb_shop"], employee=signed["mb_employee"], issued_at=issued,
                        signature=signed["mb_sig"].lower(), language=signed.get("mb_lang") or None,
                        frame=signed.get("mb_frame") == "1")


def verify_notice(params: Mapping[str, str], secret: str, *, now: datetime,
                  max_age: int = MAX_AGE_SECONDS) -> Notice:
    """Check a change notice's form fields; return the changed order or raise :class:`InvalidLink`."""
    signed, issued = _verify(params, secret, NOTICE_PARAMS, now=now, max_age=max_age)
    if signed["mb_event"] not in NOTICE_EVENTS:
        raise InvalidLink(f"Unknown event '{signed['mb_event']}'.")
    if not signed["mb_order"].isdigit():
        raise InvalidLink("The order id is not a number.")
    return Notice(shop=signed["mb_shop"], order_id=signed["mb_order"], issued_at=issued,
                  signature=signed["mb_sig"].lower())
