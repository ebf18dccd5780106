"""The shop's side of the Shopware app system, for tests and demo mode.

Implements what Shopware core does when a merchant installs an app whose manifest
has a ``<setup><registrationUrl>`` (APP-SYSTEM.md §1): the signed registration
request, the proof check, the confirmation carrying the app's integration
credentials; then signed webhooks (§3), signed admin-module URLs (§4) and secret
rotation by re-registration (§7). All signatures are HMAC-SHA256 in lowercase hex,
computed here independently of the plugin's verifier so that each checks the other.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

import requests

from marketbridge_shopware.emulator.auth import AuthRegistry, Integration
from marketbridge_shopware.emulator.seed import LANGUAGE_EN, SHOPWARE_VERSION


def hmac_hex(key: str, message: str | bytes) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest()


def php_json(payload: Any) -> bytes:
    """``json_encode`` as PHP does it: compact, slashes escaped as ``\\/``."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/").encode("utf-8")


class AppInstallError(RuntimeError):
    """The app's backend answered the handshake wrongly; Shopware aborts the install."""


@dataclass
class WebhookDelivery:
    """One webhook the shop sent (kept for assertions and the demo's activity log)."""

    event: str
    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None
    error: str | None = None


@dataclass
class InstalledApp:
    """An app as the shop stores it (``app`` table): shop secret, integration, webhooks."""

    name: str
    app_secret: str
    registration_url: str
    shop_secret: str
    integration: Integration
    webhooks: dict[str, str]  #: event → URL
    modules: dict[str, str] = field(default_factory=dict)  #: module name → source URL
    version: str = "1.0.0"
    active: bool = True
    error_count: dict[str, int] = field(default_factory=dict)


class AppHost:
    """Installs apps and talks to their backends over real HTTP."""

    def __init__(self, auth: AuthRegistry, shop_id: str, timestamp: Callable[[], int]) -> None:
        self.auth = auth
        self.shop_id = shop_id
        self.shop_url = ""
        self.apps: dict[str, InstalledApp] = {}
        self.deliveries: list[WebhookDelivery] = []
        self._timestamp = timestamp
        self.http = requests.Session()

    def _registration_query(self, shop_url: str) -> str:
        # Guzzle leaves ':' and '/' unencoded in query values: sign exactly what is sent.
        return urlencode({"shop-id": self.shop_id, "shop-url": shop_url, "timestamp": self._timestamp()},
                         safe=":/")

    def install(self, name: str, registration_url: str, app_secret: str, *, shop_url: str,
                privileges: frozenset[str], webhooks: dict[str, str] | None = None,
                modules: dict[str, str] | None = None) -> InstalledApp:
        """Run the registration handshake (APP-SYSTEM.md §1) and store the app."""
        self.shop_url = shop_url
        query = self._registration_query(shop_url)
        headers = {"shopware-app-signature": hmac_hex(app_secret, query), "sw-version": SHOPWARE_VERSION}
        existing = self.apps.get(name)
        if existing is not None:
            headers["shopware-shop-signature"] = hmac_hex(existing.shop_secret, query)
        answer = self.http.get(f"{registration_url}?{query}", headers=headers, timeout=5)
        if answer.status_code != 200:
            raise AppInstallError(f"registration answered HTTP {answer.status_code}: {answer.text[:200]}")
        body = answer.json()
        expected = hmac_hex(app_secret, f"{self.shop_id}{shop_url}{name}")
        if not hmac.compare_digest(expected, str(body.get("proof", "")).strip()):
            raise AppInstallError("The app's registration proof is wrong")
        new_secret = str(body.get("secret", ""))
        if not 64 <= len(new_secret) <= 255 or (existing is not None and new_secret == existing.shop_secret):
            raise AppInstallError("The app must return a new shop secret of 64 to 255 characters")
        integration = self.auth.add_integration(f"App {name}", admin=False, privileges=privileges)
        confirmation = php_json({"apiKey": integration.access_key, "secretKey": integration.secret,
                                 "timestamp": str(self._timestamp()), "shopUrl": shop_url, "shopId": self.shop_id})
        confirm_headers = {"Content-Type": "application/json", "sw-version": SHOPWARE_VERSION,
                           "shopware-shop-signature": hmac_hex(new_secret, confirmation)}
        if existing is not None:
            confirm_headers["shopware-shop-signature-previous"] = hmac_hex(existing.shop_secret, confirmation)
        confirmed = self.http.post(body["confirmation_url"], data=confirmation, headers=confirm_headers, timeout=5)
        if not 200 <= confirmed.status_code < 300:
            self.auth.remove_integration(integration.access_key)
            raise AppInstallError(f"confirmation answered HTTP {confirmed.status_code}")
        if existing is not None:
            self.auth.remove_integration(existing.integration.access_key)
        app = InstalledApp(name=name, app_secret=app_secret, registration_url=registration_url, shop_secret=new_secret,
                           integration=integration, webhooks=dict(webhooks or (existing.webhooks if existing else {})),
                           modules=dict(modules or (existing.modules if existing else {})))
        self.apps[name] = app
        return app

    def deactivate(self, name: str) -> None:
        """Extensions > My extensions: switch the app off (only lifecycle webhooks still go out)."""
        self.apps[name].active = False
        self.dispatch("app.deactivated", [], only=name)

    def activate(self, name: str) -> None:
        self.apps[name].active = True
        self.dispatch("app.activated", [], only=name)

    def uninstall(self, name: str) -> None:
        """Remove the app: ``app.deleted`` is sent, then its integration and secret are gone."""
        self.dispatch("app.deleted", [], only=name)
        app = self.apps.pop(name)
        self.auth.remove_integration(app.integration.access_key)

    def dispatch(self, event: str, payload: Any, *, only: str | None = None) -> None:
        """Send ``event`` to every active app subscribed to it, signed with its shop secret.

        Lifecycle events (``app.*``) reach an app even while it is inactive (APP-SYSTEM.md §6).
        """
        for app in self.apps.values():
            url = app.webhooks.get(event)
            if url is None or (only is not None and app.name != only) or (
                    not app.active and not event.startswith("app.")):
                continue
            body = php_json({"data": {"payload": payload, "event": event},
                             "source": {"url": self.shop_url, "appVersion": app.version, "shopId": self.shop_id,
                                        "eventId": secrets.token_hex(16)},
                             "timestamp": self._timestamp()})
            headers = {"Content-Type": "application/json", "sw-version": SHOPWARE_VERSION,
                       "sw-context-language": LANGUAGE_EN, "sw-user-language": "en-GB",
                       "shopware-shop-signature": hmac_hex(app.shop_secret, body)}
            try:
                answer = self.http.post(url, data=body, headers=headers, timeout=20)
                delivery = WebhookDelivery(event, url, body, headers, answer.status_code)
            except requests.RequestException as exc:
                delivery = WebhookDelivery(event, url, body, headers, None, type(exc).__name__)
            ok = delivery.status is not None and 200 <= delivery.status < 300
            app.error_count[event] = 0 if ok else app.error_count.get(event, 0) + 1
            self.deliveries.append(delivery)

    def module_url(self, app_name: str, module: str, *, user_language: str = "en-GB") -> str:
        """The signed iframe URL the Administration opens for an admin module (§4, ``QuerySigner``)."""
        app = self.apps[app_name]
        query = urlencode({"shop-id": self.shop_id, "shop-url": self.shop_url, "timestamp": self._timestamp(),
                           "sw-version": SHOPWARE_VERSION, "sw-context-language": LANGUAGE_EN,
                           "sw-user-language": user_language})
        return f"{app.modules[module]}?{query}&shopware-shop-signature={hmac_hex(app.shop_secret, query)}"
