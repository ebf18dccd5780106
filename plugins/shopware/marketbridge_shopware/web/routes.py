"""The Shopware app's routes on the Marketbridge server (blueprint ``shopware``, prefix ``/shopware``).

=====================================  ==========================================================  ===============
route                                  what                                                        protected by
=====================================  ==========================================================  ===============
``GET  /shopware/app/register``        registration request of an installing shop (§1a); answers   app signature
                                       the proof and a fresh shop secret (§1b)
``POST /shopware/app/confirm/<t>``     confirmation carrying the integration keys (§1c)            new shop secret
``POST /shopware/webhook``             every webhook of the manifest (§3, §6)                      shop signature
``GET  /shopware/admin``               the admin module's iframe (§4): opens the merchant pages    shop signature
                                       limited to this shop
``GET  /shopware/admin/open``          where the iframe lands; explains blocked cookies            session
``GET  /shopware/app/manifest.xml``    the manifest for this server, with the app secret           admin login
=====================================  ==========================================================  ===============

(§ = ``shared/specs/shopware/APP-SYSTEM.md``.) Unsigned, wrongly signed, stale and replayed
calls are answered 401/403 before anything is read from them or written anywhere. The
machine endpoints are exempt from CSRF: their signature is their protection.

The pending registration between request and confirmation is not stored: the confirmation
URL carries it, encrypted with the host's secret box (shop-id, address, the new secret and
when it was issued), so only this server can read it and only for 10 minutes.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from marketbridge.errors import AdapterError, ConfigurationError
from marketbridge.host import DbState, current_host
from marketbridge.models import User, db
from marketbridge.web import csrf, login_embedded, login_required

from marketbridge_shopware import settings as keys
from marketbridge_shopware.app.admin import MAX_LINK_AGE, AdminLinkRejected, link_key, link_shop_id, verify_admin_link
from marketbridge_shopware.app.registration import (
    PREVIOUS_SIGNATURE,
    SHOP_SIGNATURE,
    PendingRegistration,
    RegistrationRejected,
    new_shop_secret,
    registration_answer,
    verify_confirmation,
    verify_registration,
)
from marketbridge_shopware.app.webhooks import ReplayGuard, WebhookRejected, verify_webhook
from marketbridge_shopware.queries import parse_time
from marketbridge_shopware.web import config
from marketbridge_shopware.web.manifest import ManifestUrls, build_manifest
from marketbridge_shopware.web.shops import app_secrets, save_registration, shop_for_app_id
from marketbridge_shopware.web.sync import handle_call

log = logging.getLogger("marketbridge.shopware")
CONFIRM_WITHIN = timedelta(minutes=10)
ADMIN_LINKS_STATE = "shopware.admin_links"


def _refuse(status: int, message: str) -> Response:
    """A JSON error the shop shows (registration) or logs (webhooks)."""
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _refuse_page(message: str, *, status: int = 403, cookie_help: bool = False) -> tuple[str, int]:
    return render_template("shopware/refused.html", message=message, cookie_help=cookie_help), status


def _claimed_shop_id(raw: bytes) -> str | None:
    """``source.shopId`` of a webhook body, only to choose which secret to check it with."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    source = body.get("source") if isinstance(body, dict) else None
    shop_id = source.get("shopId") if isinstance(source, dict) else None
    return shop_id if isinstance(shop_id, str) else None


def make_blueprint() -> Blueprint:
    """A fresh blueprint (one per app, so several apps in one process do not share state)."""
    bp = Blueprint("shopware", __name__, url_prefix="/shopware", template_folder="templates")

    @bp.get("/app/register")
    def register() -> Response:
        """§1a/§1b: verify the shop's signed registration request and answer proof + new secret."""
        secret = config.app_secret()
        if not secret:
            return _refuse(403, "The Marketbridge app is not set up on this server yet: an administrator must "
                                "download the app manifest from Marketbridge first.")
        host = current_host()
        now = host.clock.now()
        raw = request.query_string.decode("utf-8", "replace")
        shop = shop_for_app_id((parse_qs(raw).get("shop-id") or [""])[0])
        known = app_secrets(host, shop) if shop is not None else None
        try:
            found = verify_registration(raw, request.headers, secret, now, known=known,
                                        require_shop_signature=bool(shop is not None and known is not None and (
                                            shop.settings or {}).get(keys.APP_DUAL_SIGNED)))
        except RegistrationRejected as exc:
            log.warning("Shopware registration refused: %s", exc)
            return _refuse(401, str(exc))
        new_secret = new_shop_secret()
        token = host.box.encrypt({"shop_id": found.shop_id, "shop_url": found.shop_url, "secret": new_secret,
                                  "issued": now.isoformat(),
                                  "dual": known is not None and request.headers.get(SHOP_SIGNATURE) is not None})
        answer, _ = registration_answer(found, app_name=config.app_name(), app_secret=secret, secret=new_secret,
                                        confirmation_url=config.public_url("shopware.confirm", token=token))
        return jsonify(answer)

    @bp.post("/app/confirm/<token>")
    def confirm(token: str) -> Response:
        """§1c: the shop confirms with the new secret and hands over the integration keys."""
        host = current_host()
        now = host.clock.now()
        try:
            pending: Any = host.box.decrypt(token)
            issued = parse_time(pending["issued"])
            registration = PendingRegistration(str(pending["shop_id"]), str(pending["shop_url"]),
                                               str(pending["secret"]))
        except (ConfigurationError, ValueError, KeyError, TypeError):
            return _refuse(401, "This confirmation address is not one Marketbridge issued.")
        if issued is None or not timedelta(0) <= now - issued <= CONFIRM_WITHIN:
            return _refuse(401, "The registration took too long; install the app again.")
        shop = shop_for_app_id(registration.shop_id)
        confirmed_before = parse_time((shop.settings or {}).get(keys.APP_REGISTERED_AT)) if shop is not None else None
        previous = app_secrets(host, shop) if shop is not None else None
        if (confirmed_before is not None and confirmed_before > issued) or (
                previous is not None and registration.secret in (previous.current, previous.previous)):
            return _refuse(401, "This registration was confirmed already, or a newer one was.")
        if previous is not None and pending.get("dual") and request.headers.get(PREVIOUS_SIGNATURE) is None:
            return _refuse(401, "The confirmation of a re-registration must be signed with the previous secret too.")
        try:
            credentials = verify_confirmation(request.get_data(), request.headers, registration, now, previous=previous)
        except RegistrationRejected as exc:
            log.warning("Shopware confirmation refused: %s", exc)
            return _refuse(401, str(exc))
        saved = save_registration(host, credentials, shop, now, dual_signed=bool(pending.get("dual")))
        db.session.commit()
        log.info("Shopware shop %s registered the Marketbridge app (Marketbridge shop %s)", credentials.shop_id,
                 saved.id)
        return Response(status=204)

    @bp.post("/webhook")
    def webhook() -> Response:
        """§3/§6: a signed webhook; replays and stale calls are refused without side effects."""
        host = current_host()
        now = host.clock.now()
        raw = request.get_data()
        shop = shop_for_app_id(_claimed_shop_id(raw))
        secrets = app_secrets(host, shop) if shop is not None else None
        if shop is None or secrets is None:
            return _refuse(401, "Unknown shop: the Marketbridge app is not registered for it.")
        try:
            call = verify_webhook(raw, request.headers, secrets, now)
        except WebhookRejected as exc:
            log.warning("Shopware webhook refused for shop %s: %s", shop.id, exc)
            return _refuse(401, str(exc))
        guard = ReplayGuard(DbState(host.box, "shop", shop.id))
        if guard.seen(call, now):
            return _refuse(403, "This webhook (event id) was processed already.")
        guard.remember(call, now)
        try:
            handled = handle_call(host, shop, call)
        except AdapterError as exc:
            db.session.rollback()
            log.warning("Shopware webhook %s for shop %s not processed: %s", call.event, shop.id, exc.message)
            return _refuse(503, "The shop could not be read just now; the change is picked up by the next poll.")
        return jsonify({"events": handled.events, "queued": handled.queued, "stock": handled.stock_levels})

    @bp.get("/admin")
    def admin() -> Any:
        """§4: the admin module's signed iframe request opens the pages for this shop only (M1)."""
        host = current_host()
        now = host.clock.now()
        raw = request.query_string.decode("utf-8", "replace")
        shop = shop_for_app_id(link_shop_id(raw))
        secrets = app_secrets(host, shop) if shop is not None else None
        if shop is None or secrets is None:
            return _refuse_page("This Shopware shop is not connected to Marketbridge. Install the Marketbridge app "
                                "again.")
        try:
            link = verify_admin_link(raw, secrets, now)
        except AdminLinkRejected as exc:
            return _refuse_page(f"{exc}.")
        state = DbState(host.box, "shop", shop.id)
        used = {k: v for k, v in (state.get(ADMIN_LINKS_STATE) or {}).items()
                if isinstance(v, str) and now - datetime.fromisoformat(v) <= MAX_LINK_AGE * 2}
        key = link_key(raw) or ""
        if key in used:
            return _refuse_page("This link was used already. Open the module again from the Shopware Administration.")
        used[key] = now.isoformat()
        state.set(ADMIN_LINKS_STATE, used)
        db.session.commit()
        login_embedded(shop, locale=link.user_language)
        return render_template("shopware/admin_landing.html", next_url=url_for("shopware.admin_open"),
                               lang=(link.user_language or "en").split("-")[0])

    @bp.get("/admin/open")
    def admin_open() -> Any:
        """The embedded session's first page; without the session (blocked cookie) it says how to fix it."""
        if current_user.is_authenticated:
            return redirect(url_for("connections.index"))
        return _refuse_page("Your browser did not keep the Marketbridge session.", cookie_help=True)

    @bp.get("/app/manifest.xml")
    @login_required
    def manifest() -> Response:
        """The app manifest for this server (administrators only: it holds the app secret)."""
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        if not isinstance(user, User) or not user.is_admin:
            abort(403)
        urls = ManifestUrls(registration=config.public_url("shopware.register"),
                            webhook=config.public_url("shopware.webhook"), admin=config.public_url("shopware.admin"))
        body = build_manifest(name=config.app_name(), urls=urls, secret=config.app_secret(create=True))
        return Response(body, mimetype="application/xml",
                        headers={"Content-Disposition": 'attachment; filename="manifest.xml"',
                                 "Cache-Control": "no-store"})

    csrf.exempt(confirm)
    csrf.exempt(webhook)
    return bp
