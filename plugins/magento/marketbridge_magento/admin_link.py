"""Signed links that open Marketbridge's pages from the Magento admin, already authenticated (M1).

Magento has no app iframe with a signed request like Shopware or Ecwid. An
integrator adds a menu item or button in the Magento admin (see the README)
whose URL carries the shop id, the admin user, a timestamp and an HMAC-SHA256
over them with the shop's *admin link secret*. Marketbridge verifies the
signature and the age before logging the user in (route ``GET /magento/admin``
in :mod:`.web`, which also refuses a link used before).

Query string: ``shop=<id>&user=<admin username>&ts=<unix seconds>[&locale=…][&frame=1][&next=…]&sig=<hex>``,
``sig = HMAC-SHA256(secret, "shop=<id>&user=<user>&ts=<ts>[&locale=…][&frame=1][&next=…]")`` — the
query without ``sig``, form-encoded in exactly this order (PHP ``http_build_query``).
``locale`` is the admin's interface locale (``de_DE``), ``frame=1`` says the
pages open inside an admin iframe, ``next`` is a Marketbridge path to open.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode

from marketbridge.clock import Clock

MAX_AGE_SECONDS = 300
MAX_CLOCK_SKEW_SECONDS = 60


class InvalidAdminLink(Exception):
    """The link is forged, altered, expired or incomplete; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Optional signed fields, in signing order.
OPTIONAL = ("locale", "frame", "next")


@dataclass(frozen=True)
class AdminVisit:
    """A verified visit: which shop, which Magento admin user, when the link was made, and its options."""

    shop_id: str
    user: str
    issued_at: int
    signature: str = ""
    locale: str | None = None
    frame: bool = False
    next: str | None = None


def _fields(shop_id: str, user: str, ts: int, extra: Mapping[str, str]) -> list[tuple[str, str]]:
    fields = [("shop", shop_id), ("user", user), ("ts", str(ts))]
    fields.extend((name, str(extra[name])) for name in OPTIONAL if extra.get(name))
    return fields


def sign(secret: str, shop_id: str, user: str, ts: int, **extra: str) -> str:
    """The hex signature of a link (used by the Magento side and by tests)."""
    payload = urlencode(_fields(shop_id, user, ts, extra)).encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def make_link(base_url: str, secret: str, shop_id: str, user: str, clock: Clock, **extra: str) -> str:
    """A complete signed URL for ``base_url`` (what the Magento admin button points to).

    ``extra`` may hold ``locale``, ``frame`` (``"1"``) and ``next``.
    """
    ts = int(clock.now().timestamp())
    fields = _fields(shop_id, user, ts, extra)
    return f"{base_url}?{urlencode([*fields, ('sig', sign(secret, shop_id, user, ts, **extra))])}"


def verify(query: Mapping[str, str], secret: str, clock: Clock, *, max_age: int = MAX_AGE_SECONDS) -> AdminVisit:
    """Check a link's query parameters; return the visit or raise :class:`InvalidAdminLink`."""
    if not secret:
        raise InvalidAdminLink("This shop has no admin link secret; set one in the shop settings.")
    try:
        shop_id, user, ts, given = query["shop"], query["user"], int(query["ts"]), query["sig"]
    except (KeyError, ValueError):
        raise InvalidAdminLink("The link is incomplete.") from None
    extra = {name: str(query[name]) for name in OPTIONAL if query.get(name)}
    expected = sign(secret, shop_id, user, ts, **extra)
    if not hmac.compare_digest(expected.encode(), str(given).lower().encode()):
        raise InvalidAdminLink("The link's signature is wrong: it was altered or made with another secret.")
    now = int(clock.now().timestamp())
    if ts > now + MAX_CLOCK_SKEW_SECONDS:
        raise InvalidAdminLink("The link comes from the future: check the clocks of the Magento server.")
    if now - ts > max_age:
        raise InvalidAdminLink("The link has expired; open Marketbridge again from the Magento admin.")
    return AdminVisit(shop_id, user, ts, expected, locale=extra.get("locale"), frame=extra.get("frame") == "1",
                      next=extra.get("next"))
