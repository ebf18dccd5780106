"""Magento integration activation: the OAuth 1.0a handshake that hands Marketbridge its keys.

When an integration has an *Endpoint URL*, clicking **Activate** in
System > Extensions > Integrations makes Magento POST a form to it with
``oauth_consumer_key``, ``oauth_consumer_secret``, ``store_base_url`` and
``oauth_verifier``. The app then, signing with HMAC-SHA256:

1. ``POST <store>/oauth/token/request`` (consumer key only) →
   ``oauth_token=…&oauth_token_secret=…`` (request token);
2. ``POST <store>/oauth/token/access`` (consumer + request token + verifier) →
   ``oauth_token=…&oauth_token_secret=…`` (access token; never expires).

The four keys are then the shop's secrets, exactly as if typed in by hand.
This module holds the pure parsing and the two calls; the endpoint that
receives the POST is ``POST /magento/activate/<shop id>/<token>`` in :mod:`.web`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import parse_qs, urlparse

import requests
from requests_oauthlib import OAuth1

from marketbridge.errors import AuthenticationFailed, TemporaryFailure
from marketbridge.http import raise_for_status, transport_errors


class InvalidActivation(ValueError):
    """The activation POST is not what Magento sends; ``reason`` is safe to show."""


@dataclass(frozen=True)
class Activation:
    """What Magento posts on activation (secrets hidden from ``repr``)."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    store_base_url: str
    verifier: str = field(repr=False)

    @property
    def shop_url(self) -> str:
        """The store URL to save as the shop's ``url`` setting (without a trailing slash)."""
        return self.store_base_url.rstrip("/")


@dataclass(frozen=True)
class IntegrationKeys:
    """The four secrets of an activated integration."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    def as_secrets(self) -> dict[str, str]:
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret,
                "access_token": self.access_token, "access_token_secret": self.access_token_secret}


def parse_activation(form: Mapping[str, str]) -> Activation:
    """Validate Magento's activation form; raise :class:`InvalidActivation` naming what is wrong."""
    missing = [name for name in ("oauth_consumer_key", "oauth_consumer_secret", "store_base_url", "oauth_verifier")
               if not str(form.get(name) or "").strip()]
    if missing:
        raise InvalidActivation("Magento's activation is missing " + ", ".join(missing) + ".")
    base = str(form["store_base_url"]).strip()
    parsed = urlparse(base)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise InvalidActivation("Magento sent a store address that is not a web address.")
    return Activation(str(form["oauth_consumer_key"]).strip(), str(form["oauth_consumer_secret"]).strip(),
                      base if base.endswith("/") else base + "/", str(form["oauth_verifier"]).strip())


def exchange_tokens(session: requests.Session, activation: Activation, *, timeout: float = 30.0) -> IntegrationKeys:
    """Run steps 1 and 2 of the handshake; raise the engine's exceptions on failure."""
    what = f"Magento at {urlparse(activation.store_base_url).hostname}"
    request_auth = OAuth1(activation.consumer_key, activation.consumer_secret, signature_method="HMAC-SHA256")
    token, token_secret = _token_call(session, activation.store_base_url + "oauth/token/request", request_auth,
                                      what, timeout)
    access_auth = OAuth1(activation.consumer_key, activation.consumer_secret, token, token_secret,
                         verifier=activation.verifier, signature_method="HMAC-SHA256")
    access, access_secret = _token_call(session, activation.store_base_url + "oauth/token/access", access_auth,
                                        what, timeout)
    return IntegrationKeys(activation.consumer_key, activation.consumer_secret, access, access_secret)


def _token_call(session: requests.Session, url: str, auth: OAuth1, what: str, timeout: float) -> tuple[str, str]:
    with transport_errors(what):
        response = session.post(url, auth=auth, timeout=timeout)
    raise_for_status(response, what, auth_hint="Click 'Reauthorize' on the integration in Magento to start again.")
    values = parse_qs(response.text)
    token, secret = values.get("oauth_token", [""])[0], values.get("oauth_token_secret", [""])[0]
    if response.status_code >= 400:
        raise AuthenticationFailed(f"{what} refused the integration handshake (HTTP {response.status_code}). "
                                   "Click 'Reauthorize' on the integration in Magento to start again.")
    if not token or not secret:
        raise TemporaryFailure(f"{what} answered the integration handshake without a token", code="malformed_response")
    return token, secret
