"""Magento's pages and endpoints in Marketbridge (blueprint ``magento``, under ``/magento``).

========================================  =========  ==============================================================
route                                     guard      what it does
========================================  =========  ==============================================================
``GET  /magento/shops/<id>/setup``        login      what to enter in Magento: activation endpoint, identity link,
                                                     admin link, notification URL
``POST /magento/shops/<id>/activation``   login+CSRF a new activation address (the old one stops working)
``POST /magento/activate/<id>/<token>``   token      Magento's integration activation (consumer key/secret, verifier);
                                                     Marketbridge fetches the access token from the store itself
``GET  /magento/identity/<id>``           login      the integration's identity link (popup during activation)
``GET  /magento/admin?shop=…&sig=…``      signature  the signed admin link: opens the pages logged in for the shop (M1)
``POST /magento/notify/<id>``             signature  change notification of the optional observer module
========================================  =========  ==============================================================

Machine endpoints (``activate``, ``notify``) are exempt from CSRF and refuse
anything unsigned, forged or replayed with 401/403 before touching data.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketbridge.engine.shop_changes import ingest_shop_events
from marketbridge.errors import AdapterError, AuthenticationFailed
from marketbridge.host import DbState, Host, current_host
from marketbridge.http import make_session
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import Shop, db
from marketbridge.web import csrf, login_embedded, login_required
from marketbridge.web.auth import safe_next
from marketbridge.web.scope import current_scope

from marketbridge_magento import admin_link, notify
from marketbridge_magento.adapter import MagentoShopAdapter
from marketbridge_magento.handshake import InvalidActivation, exchange_tokens, parse_activation

log = logging.getLogger("marketbridge.magento")
KIND = "magento"
ACTIVATION_TOKEN = "activation_token"
ACTIVATIONS_USED = "activations_used"
ACTIVATED = "activated"
ADMIN_LINKS_USED = "admin_links_used"
NOTIFICATIONS_SEEN = "notifications_seen"
KEPT_ACTIVATIONS = 20


def _state(host: Host, shop: Shop) -> DbState:
    """The plugin's encrypted key → value store of ``shop`` (``adapter_state``); survives settings edits."""
    return DbState(host.box, "shop", shop.id)


def _magento_shop(shop_id: Any) -> Shop | None:
    shop = db.session.get(Shop, int(shop_id)) if str(shop_id or "").isdigit() else None
    return shop if shop is not None and shop.kind == KIND else None


def _host_of(url: str | None) -> str:
    return (urlparse(url or "").hostname or "").lower()


def _remember(state: DbState, key: str, marker: str, at: int, keep_seconds: int) -> None:
    """Add ``marker`` (seen at unix time ``at``) to a replay list, dropping entries older than ``keep_seconds``."""
    seen = {k: v for k, v in dict(state.get(key) or {}).items() if int(v) >= at - keep_seconds}
    seen[marker] = at
    state.set(key, seen)


def _seen(state: DbState, key: str, marker: str) -> bool:
    return marker in dict(state.get(key) or {})


def _refuse(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"message": message}), status


def make_blueprint() -> Blueprint:
    """A fresh blueprint (one per app) with every Magento route."""
    bp = Blueprint("magento", __name__, url_prefix="/magento", template_folder="templates")

    # -- merchant pages (login) ----------------------------------------------------------------------------------
    @bp.get("/shops/<int:shop_id>/setup")
    @login_required
    def setup(shop_id: int) -> Any:
        """What the merchant enters in Magento for this shop."""
        shop = current_scope().shop(shop_id)
        if shop.kind != KIND:
            return render_template("mb/error.html", code=404, title="Not a Magento shop",
                                   text="This shop is not on Magento."), 404
        host = current_host()
        state = _state(host, shop)
        token = state.get(ACTIVATION_TOKEN)
        if not token:
            token = secrets.token_urlsafe(24)
            state.set(ACTIVATION_TOKEN, token)
            db.session.commit()
        stored = host.open(shop.secrets)
        return render_template(
            "magento/setup.html", shop=shop,
            endpoint_url=url_for("magento.activate", shop_id=shop.id, token=token, _external=True),
            identity_url=url_for("magento.identity", shop_id=shop.id, _external=True),
            admin_url=url_for("magento.admin", _external=True),
            notify_url=url_for("magento.notify_changes", shop_id=shop.id, _external=True),
            has_keys=bool(stored.get("access_token")), has_admin_secret=bool(stored.get("admin_link_secret")),
            has_notify_secret=bool(stored.get("notify_secret")), activated=state.get(ACTIVATED))

    @bp.post("/shops/<int:shop_id>/activation")
    @login_required
    def new_activation_address(shop_id: int) -> Any:
        """Replace the activation address (after it leaked, or to start over)."""
        shop = current_scope().shop(shop_id)
        if shop.kind != KIND:
            return redirect(url_for("shops.detail", row_id=shop.id))
        _state(current_host(), shop).set(ACTIVATION_TOKEN, secrets.token_urlsafe(24))
        db.session.commit()
        flash("A new activation address was created; the old one no longer works. Enter the new one as the "
              "integration's Callback URL in Magento.", "success")
        return redirect(url_for("magento.setup", shop_id=shop.id))

    @bp.get("/identity/<int:shop_id>")
    @login_required
    def identity(shop_id: int) -> Any:
        """The integration's identity link: Magento opens it in a popup after posting the keys."""
        shop = current_scope().shop(shop_id)
        if shop.kind != KIND:
            return render_template("mb/error.html", code=404, title="Not a Magento shop",
                                   text="This shop is not on Magento."), 404
        stored = current_host().open(shop.secrets).get("consumer_key", "")
        given = request.args.get("oauth_consumer_key", "")
        connected = bool(stored) and hmac.compare_digest(stored.encode(), given.encode())
        callback = request.args.get("success_call_back", "")
        if not (callback.startswith(("https://", "http://")) and _host_of(callback) == _host_of(
                (shop.settings or {}).get("url"))):
            callback = ""  # only back to the shop's own Magento: never an open redirect
        return render_template("magento/identity.html", shop=shop, connected=connected, callback=callback)

    # -- Magento's integration activation (token in the URL) ------------------------------------------------------
    @bp.post("/activate/<int:shop_id>/<token>")
    def activate(shop_id: int, token: str) -> Any:
        """Magento posts the integration's consumer key/secret and verifier; fetch the access token and store it."""
        host = current_host()
        shop = _magento_shop(shop_id)
        if shop is None:
            return _refuse(403, "This activation address is not valid.")
        state = _state(host, shop)
        expected = str(state.get(ACTIVATION_TOKEN) or "")
        if not expected or not hmac.compare_digest(expected.encode(), token.encode()):
            return _refuse(403, "This activation address is not valid.")
        try:
            activation = parse_activation(request.form)
        except InvalidActivation as exc:
            return _refuse(400, str(exc))
        configured = _host_of((shop.settings or {}).get("url"))
        if configured and configured != _host_of(activation.store_base_url):
            return _refuse(403, f"This address belongs to the Marketbridge shop for {configured}, not to "
                                f"{_host_of(activation.store_base_url)}.")
        used = hashlib.sha256(f"{activation.consumer_key}\n{activation.verifier}".encode()).hexdigest()
        if used in list(state.get(ACTIVATIONS_USED) or []):
            return _refuse(403, "This activation was already used. Click 'Reauthorize' on the integration in Magento.")
        try:
            keys = exchange_tokens(make_session(host.http_timeout), activation, timeout=host.http_timeout)
        except AuthenticationFailed as exc:
            return _refuse(403, exc.message)
        except AdapterError as exc:
            return _refuse(502, f"Marketbridge could not reach the store to finish the activation: {exc.message}")
        values = host.open(shop.secrets)
        values.update(keys.as_secrets())
        shop.secrets = host.seal(values)
        settings = dict(shop.settings or {})
        settings["url"] = settings.get("url") or activation.shop_url
        settings["auth_mode"] = "oauth1"
        shop.settings = settings
        shop.auth_problem = None
        state.set(ACTIVATIONS_USED, [*list(state.get(ACTIVATIONS_USED) or [])[-(KEPT_ACTIVATIONS - 1):], used])
        state.set(ACTIVATED, {"at": host.clock.now().isoformat(), "store": activation.shop_url})
        db.session.commit()
        log.info("Magento integration activated for shop %s", shop.id)
        return jsonify({"message": "Marketbridge is connected to this store."}), 200

    csrf.exempt(activate)

    # -- signed admin link (M1) -----------------------------------------------------------------------------------
    @bp.get("/admin")
    def admin() -> Any:
        """Open the pages for the shop named in a signed link from the Magento admin."""
        host = current_host()
        shop = _magento_shop(request.args.get("shop"))
        if shop is None:
            return _page_refusal("This link does not belong to a Magento shop in Marketbridge.")
        secret = host.open(shop.secrets).get("admin_link_secret", "")
        try:
            visit = admin_link.verify(request.args, secret, host.clock)
        except admin_link.InvalidAdminLink as exc:
            return _page_refusal(exc.reason)
        target = safe_next(visit.next, url_for("connections.index"))
        state = _state(host, shop)
        if _seen(state, ADMIN_LINKS_USED, visit.signature):
            if getattr(current_user, "shop_id", None) == shop.id:
                return redirect(target)  # the same browser clicked twice: it is logged in already
            return _page_refusal("This link was used already. Open Marketbridge again from the Magento admin.")
        _remember(state, ADMIN_LINKS_USED, visit.signature, visit.issued_at,
                  admin_link.MAX_AGE_SECONDS + admin_link.MAX_CLOCK_SKEW_SECONDS)
        db.session.commit()
        login_embedded(shop, locale=visit.locale, embedded=visit.frame)
        return redirect(target)

    # -- change notifications of the optional observer module ----------------------------------------------------
    @bp.post("/notify/<int:shop_id>")
    def notify_changes(shop_id: int) -> Any:
        """Verify, read the named orders/shipments back from Magento, record the events, deliver them now."""
        host = current_host()
        if (request.content_length or 0) > notify.MAX_BODY_BYTES:
            return _refuse(413, "The notification is too large.")
        body = request.get_data(cache=False)
        if not notify.is_signed(request.headers):
            return _refuse(401, "The notification is not signed.")
        shop = _magento_shop(shop_id)
        if shop is None:
            return _refuse(403, "This notification address is not valid.")
        try:
            message = notify.verify(request.headers, body, host.open(shop.secrets).get("notify_secret", ""),
                                    host.clock)
        except notify.RefusedNotification as exc:
            return _refuse(exc.status, exc.reason)
        except notify.MalformedNotification as exc:
            return _refuse(400, str(exc))
        state = _state(host, shop)
        if _seen(state, NOTIFICATIONS_SEEN, message.signature):
            return _refuse(403, "This notification was received before.")
        if shop.auth_problem:
            return _refuse(503, "Syncing with this shop is paused until its access details are fixed.")
        try:
            adapter = host.shop_adapter(shop)
            assert isinstance(adapter, MagentoShopAdapter)  # the shop's kind is checked above
            events = adapter.events_for(message.order_ids, message.shipment_ids)
        except AdapterError as exc:
            db.session.rollback()
            return _refuse(503, f"Marketbridge could not read the changes from Magento ({exc.message}); "
                                "they arrive with the next poll.")
        outcome = ingest_shop_events(host, shop.id, events)
        _remember(state, NOTIFICATIONS_SEEN, message.signature, message.timestamp,
                  notify.MAX_AGE_SECONDS + notify.MAX_CLOCK_SKEW_SECONDS)
        db.session.commit()
        for connection_id in sorted(outcome.connections):
            enqueue_delivery(connection_id)
        return jsonify({"events": len(events), "queued": outcome.queued, "ignored": outcome.ignored}), 200

    csrf.exempt(notify_changes)
    return bp


def _page_refusal(reason: str) -> tuple[str, int]:
    return render_template("mb/error.html", code=403, title="This link cannot be used",
                           text=reason), 403

