"""HMAC-SHA256 signatures of the Shopware app system, lowercase hex, compared in constant time.

* POST bodies from the shop: header ``shopware-shop-signature`` = HMAC(shop secret, raw body).
* Signed GETs (admin iframe, modal targets): query parameter ``shopware-shop-signature`` =
  HMAC(shop secret, the query string without that parameter).
* Our data-carrying answers: header ``shopware-app-signature`` = HMAC(shop secret, body).
* After a secret rotation the previous secret stays valid for 60 s
  (PHPSDK ``DualSignatureRequestVerifier::INFLIGHT_ALLOWANCE``).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

SIGNATURE_PARAM = "shopware-shop-signature"
INFLIGHT_ALLOWANCE = timedelta(seconds=60)


def sign(secret: str, message: str | bytes) -> str:
    """HMAC-SHA256 of ``message`` with ``secret``, lowercase hex."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def matches(secret: str, message: str | bytes, signature: str | None) -> bool:
    """Whether ``signature`` is the signature of ``message`` (constant-time comparison)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(secret, message), signature.strip().lower())


@dataclass(frozen=True)
class ShopSecrets:
    """The shop secret(s) of one registered shop; ``previous`` is honoured shortly after a rotation."""

    current: str = field(repr=False)
    previous: str | None = field(default=None, repr=False)
    rotated_at: datetime | None = None

    def accepts(self, message: str | bytes, signature: str | None, now: datetime) -> bool:
        """Signed with the current secret, or with the previous one within the in-flight allowance."""
        if matches(self.current, message, signature):
            return True
        return (self.previous is not None and self.rotated_at is not None
                and now - self.rotated_at <= INFLIGHT_ALLOWANCE and matches(self.previous, message, signature))


def split_signed_query(raw_query: str) -> tuple[str, str | None]:
    """Remove the signature parameter wherever it is; return (the rest as sent, the signature)."""
    kept: list[str] = []
    signature: str | None = None
    for pair in raw_query.lstrip("?").split("&"):
        if pair.startswith(SIGNATURE_PARAM + "="):
            signature = unquote_plus(pair[len(SIGNATURE_PARAM) + 1:])
        elif pair:
            kept.append(pair)
    return "&".join(kept), signature


def decoded_form(query: str) -> str:
    """``k=decoded(v)&…`` in the original order (how the JS SDK rebuilds what was signed)."""
    pairs = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append(f"{unquote_plus(key)}={unquote_plus(value)}")
    return "&".join(pairs)


def query_signed_by(secrets: ShopSecrets, raw_query: str, now: datetime) -> bool:
    """Whether a signed GET's query carries a valid ``shopware-shop-signature`` (raw form first, then decoded)."""
    rest, signature = split_signed_query(raw_query)
    if signature is None:
        return False
    return secrets.accepts(rest, signature, now) or secrets.accepts(decoded_form(rest), signature, now)


def response_headers(shop_secret: str, body: bytes) -> dict[str, str]:
    """Headers for an answer the shop verifies (action-button feedback and the like)."""
    return {"shopware-app-signature": sign(shop_secret, body)}
