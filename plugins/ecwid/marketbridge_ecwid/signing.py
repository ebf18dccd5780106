"""Signed, short-lived links: from the Ecwid app page to the merchant pages, and the OAuth round trip.

Once the app page has verified Ecwid's payload (:mod:`marketbridge_ecwid.app_payload`),
the embedded merchant pages receive a link token carrying the store id and
the deep-link state, signed with the host's secret key and valid for minutes.
The pages trust that token and nothing else from the query string (M1). The
same signer protects the OAuth redirect address (:mod:`marketbridge_ecwid.oauth`).

Built on ``itsdangerous`` (HMAC-SHA1 over a timestamped, url-safe JSON
payload), already installed with Flask, with time taken from Marketbridge's
injectable clock so expiry is testable without waiting.
"""
from __future__ import annotations

from typing import Any, Mapping

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from marketbridge.clock import Clock
from marketbridge.errors import MarketbridgeError


class LinkRejected(MarketbridgeError):
    """A signed link is forged, altered or expired; ``expired`` tells the last case apart."""

    code = "ecwid_link_rejected"

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message, expired=expired)
        self.expired = expired


class LinkSigner:
    """Signs and checks small JSON payloads for one purpose (the ``salt``)."""

    def __init__(self, secret_key: str | bytes, clock: Clock, *, purpose: str = "ecwid-admin-link") -> None:
        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._serializer = URLSafeTimedSerializer(secret_key, salt=f"marketbridge:{purpose}", signer=ClockSigner)

    def sign(self, data: Mapping[str, Any]) -> str:
        """A url-safe token carrying ``data`` and the time of signing."""
        return self._serializer.dumps(dict(data))

    def verify(self, token: str, max_age: int) -> dict[str, Any]:
        """The data of a token signed at most ``max_age`` seconds ago; raises :class:`LinkRejected`."""
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except SignatureExpired:
            raise LinkRejected("This link has expired; open the page again from the Ecwid admin.",
                               expired=True) from None
        except BadData:
            raise LinkRejected("This link is not valid; open the page again from the Ecwid admin.") from None
        if not isinstance(data, dict):
            raise LinkRejected("This link is not valid; open the page again from the Ecwid admin.")
        return data
