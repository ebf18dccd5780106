"""The Ecwid app's HTTP side: webhook receiver, app page inside the Ecwid admin, OAuth install.

Mounted by the ``register_blueprints`` hook under ``/ecwid``:

=================================  ======  ==========================================================
route                              who     protected by
=================================  ======  ==========================================================
``POST /ecwid/webhooks``           Ecwid   ``X-Ecwid-Webhook-Signature`` (app or custom-app client
                                           secret), 25 h age limit, event-id replay guard; CSRF-exempt
``GET  /ecwid/app``                Ecwid   the encrypted ``payload`` (AES with the client secret),
                                           confirmed by ``GET /profile`` with the token it carries
``GET  /ecwid/connect``            user    ``login_required``; starts the OAuth install
``GET  /ecwid/oauth/<state>``      user    ``login_required`` + ``state`` signed for this session
``GET|POST /ecwid/oauth``          user    ``login_required``; App Market install, confirmed by a
                                           CSRF-protected form before the code is exchanged
=================================  ======  ==========================================================

Webhooks are hints (Ecwid signs only ``eventId`` and ``eventCreated``): the
order or product is re-read through the REST API with the shop's own token
(:meth:`~marketbridge_ecwid.adapter.EcwidShopAdapter.events_for_webhook`),
the events go to :func:`~marketbridge.engine.shop_changes.ingest_shop_events`
and each connection that got a message is delivered at once
(:func:`~marketbridge.jobs.enqueue_delivery`). A rejected call records
nothing.
"""
from __future__ import annotations

import json
import logging
import secrets as token_bytes
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketbridge.engine import problems
from marketbridge.engine.shop_changes import ingest_shop_events
from marketbridge.engine.stock import apply_levels
from marketbridge.errors import AdapterError, AuthenticationFailed, MarketbridgeError, RateLimited, TemporaryFailure
from marketbridge.host import Host, current_host
from marketbridge.http import make_session
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import Connection, Order, Shop, User, db
from marketbridge.web import csrf, login_embedded, login_required
from marketbridge.web.forms import PostForm

from marketbridge_ecwid.app_payload import AppPayload, PayloadRejected, confirm_store_access, decrypt_payload
from marketbridge_ecwid.oauth import TokenGrant, authorize_url, exchange_code
from marketbridge_ecwid.signing import LinkRejected, LinkSigner
from marketbridge_ecwid.stores import (
    AppConfig,
    all_shops,
    api_url_of,
    save_token,
    shop_client_secret,
    shops_for_store,
    store_id_of,
)
from marketbridge_ecwid.webhooks import (
    SIGNATURE_HEADER,
    EcwidWebhook,
    ReplayGuard,
    WebhookRejected,
    note_webhook,
    parse_webhook,
)

log = logging.getLogger(__name__)

#: How long the signed OAuth ``state`` stays valid (Ecwid's codes live "a few minutes").
STATE_MAX_AGE = 15 * 60
#: Where ``app_state`` (Ecwid's deep link, from inside the verified payload) may lead.
APP_STATES = {"orders": "orders.index", "problems": "problems.index", "connections": "connections.index"}

_REFUSAL_STATUS = {"unsigned": 401, "malformed": 400, "bad_signature": 403, "stale": 403, "wrong_store": 403,
                   "replayed": 403, "unknown_store": 403}


def make_blueprint() -> Blueprint:
    """The ``ecwid`` blueprint (``url_prefix="/ecwid"``)."""
    bp = Blueprint("ecwid", __name__, url_prefix="/ecwid", template_folder="templates")
    bp.add_url_rule("/webhooks", "webhook", csrf.exempt(webhook), methods=["POST"])
    bp.add_url_rule("/app", "app_page", app_page, methods=["GET"])
    bp.add_url_rule("/connect", "connect", connect, methods=["GET"])
    bp.add_url_rule("/oauth/<state>", "oauth_return", oauth_return, methods=["GET"])
    bp.add_url_rule("/oauth", "oauth_install", oauth_install, methods=["GET", "POST"])
    return bp


def register(app: Flask) -> list[Blueprint]:
    """What the plugin's ``register_blueprints`` hook returns."""
    return [make_blueprint()]


def _app_config() -> AppConfig:
    return AppConfig.from_config(current_app.config)


# -- webhooks -------------------------------------------------------------------------------------------------
def _refuse(reason: str, message: str) -> tuple[Response, int]:
    """A rejected call: nothing was recorded. 401 unsigned, 403 forged/stale/replayed, 400 malformed."""
    log.info("Ecwid webhook refused (%s)", reason)
    body = current_app.response_class(json.dumps({"error": reason, "message": message}),
                                      mimetype="application/json")
    return body, _REFUSAL_STATUS.get(reason, 403)


def _store_hint(body: bytes) -> str | None:
    """The body's ``storeId`` (unsigned: only says which shops' secrets to try)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    value = payload.get("storeId") if isinstance(payload, dict) else None
    return str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def webhook() -> Any:
    """``POST /ecwid/webhooks?eventtype=…``: verify, re-read, record, deliver (``APPS.md`` §1)."""
    host = current_host()
    app_cfg = _app_config()
    body = request.get_data(cache=True)
    if not request.headers.get(SIGNATURE_HEADER):
        return _refuse("unsigned", "The call carries no Ecwid webhook signature.")
    hint = _store_hint(body)
    if hint is None:
        return _refuse("malformed", "The webhook body is not an Ecwid event.")
    now = host.clock.now()
    verified: list[tuple[Shop, EcwidWebhook, bool]] = []
    rejection: WebhookRejected | None = None
    for shop in shops_for_store(hint):
        own = shop_client_secret(host, shop)
        for secret in _unique([own, app_cfg.client_secret]):
            try:
                hook = parse_webhook(body, request.headers, client_secret=secret, now=now,
                                     store_id=store_id_of(shop))
            except WebhookRejected as exc:
                rejection = exc
                if exc.reason != "bad_signature":
                    break
                continue
            verified.append((shop, hook, secret == (own or app_cfg.client_secret)))
            break
    if not verified:
        if rejection is None and app_cfg.client_secret:
            try:  # our app's genuine webhook for a store not connected here: acknowledge, nothing to do
                hook = parse_webhook(body, request.headers, client_secret=app_cfg.client_secret, now=now)
            except WebhookRejected as exc:
                rejection = exc
            else:
                return {"status": "ignored", "event": hook.event_id, "reason": "store not connected"}, 200
        if rejection is None:
            return _refuse("unknown_store", "No Ecwid store with this id is connected, so the call cannot be "
                                            "verified.")
        return _refuse(rejection.reason, rejection.message)
    results = [_process(host, shop, hook, owns_token) for shop, hook, owns_token in verified]
    if all(r == "replayed" for r in results):
        return _refuse("replayed", "This Ecwid event was processed already.")
    if any(isinstance(r, AdapterError) for r in results):
        failure = next(r for r in results if isinstance(r, AdapterError))
        wait = getattr(failure, "retry_after", None)
        headers = {"Retry-After": str(int(wait))} if wait else {}
        return {"status": "retry", "message": failure.message}, 503, headers
    return {"status": "ok", "event": verified[0][1].event_id}, 200


def _process(host: Host, shop: Shop, hook: EcwidWebhook, owns_token: bool) -> str | AdapterError:
    """Handle one verified webhook for one shop; returns ``"done"``, ``"replayed"`` or the failure to retry."""
    shop_id = shop.id
    now = host.clock.now()
    adapter = host.shop_adapter(shop)
    guard = ReplayGuard(adapter.context.state)
    if guard.seen(hook.event_id, hook.created):
        return "replayed"
    events: list[Any] = []
    levels: list[Any] = []
    try:
        if hook.event_type == "application.uninstalled":
            if owns_token:
                _uninstalled(shop, now)
        elif shop.auth_problem:
            pass  # paused until the credentials are fixed; polling then catches up from its cursor
        elif hook.is_order_event:
            events = adapter.events_for_webhook(hook)
        elif hook.is_product_event:
            levels = adapter.stock_for_webhook(hook)
    except AuthenticationFailed as exc:
        db.session.rollback()
        shop = db.session.get(Shop, shop_id)  # type: ignore[assignment]
        shop.auth_problem = exc.message
        problems.report(now, code="authentication_failed", shop_id=shop.id,
                        message="{error} Syncing is paused until this is fixed.", params={"error": exc.message})
        adapter = host.shop_adapter(shop)
        guard = ReplayGuard(adapter.context.state)
    except AdapterError as exc:
        db.session.rollback()  # nothing recorded: Ecwid retries, and polling is the safety net
        log.warning("Ecwid webhook %s for shop %s not processed: %s", hook.event_id, shop_id, exc.message)
        return exc
    guard.remember(hook.event_id, hook.created, now)
    note_webhook(adapter.context.state, now)
    connections: set[int] = set()
    if events:
        connections = ingest_shop_events(host, shop_id, events).connections  # commits, guard included
    else:
        if levels and apply_levels(host, db.session.get(Shop, shop_id), levels):  # type: ignore[arg-type]
            connections = set(db.session.execute(sa.select(Connection.id).where(
                Connection.shop_id == shop_id, Connection.active.is_(True))).scalars())
        db.session.commit()
    for connection_id in sorted(connections):
        try:
            enqueue_delivery(connection_id)
        except Exception:  # noqa: BLE001 - the scheduler delivers anyway; the webhook was recorded
            log.exception("could not trigger delivery for connection %s", connection_id)
    return "done"


def _uninstalled(shop: Shop, now: datetime) -> None:
    message = (f"The Marketbridge app was uninstalled from Ecwid store {store_id_of(shop)}, so its access token "
               "no longer works. Install the app again from the Ecwid App Market (or enter a new secret token in "
               "the shop settings) to resume.")
    shop.auth_problem = message
    problems.report(now, code="authentication_failed", shop_id=shop.id,
                    message="{error} Syncing is paused until this is fixed.", params={"error": message})


# -- app page inside the Ecwid admin (M1) ---------------------------------------------------------------------
def _page_error(title: str, text: str, status: int) -> tuple[str, int]:
    return render_template("mb/error.html", code=status, title=title, text=text), status


def _decrypt(query_payload: str, candidates: Iterable[str]) -> tuple[AppPayload, str] | None:
    for secret in candidates:
        try:
            return decrypt_payload(query_payload, secret), secret
        except PayloadRejected:
            continue
    return None


def app_page() -> Any:
    """``GET /ecwid/app?payload=…``: Ecwid's iframe. Verify the payload, open a session for that shop only."""
    host = current_host()
    app_cfg = _app_config()
    payload_text = request.args.get("payload")  # nothing else from the query string is used
    if not payload_text:
        return _page_error("Open this page from the Ecwid admin",
                           "Marketbridge's Ecwid page works only inside the Ecwid admin (Apps → Marketbridge).", 403)
    shops = all_shops()
    found = _decrypt(payload_text, _unique([app_cfg.client_secret, *(shop_client_secret(host, s) for s in shops)]))
    if found is None:
        return _page_error("Not allowed", "Ecwid's data for this page could not be verified. Open the page again "
                                          "from the Ecwid admin.", 403)
    payload, secret = found
    candidates = [s for s in shops if store_id_of(s) == str(payload.store_id)
                  and secret in _unique([shop_client_secret(host, s), app_cfg.client_secret])]
    shop = candidates[0] if candidates else None
    api_url = api_url_of(shop, app_cfg)
    try:
        confirm_store_access(payload, make_session(host.http_timeout), api_url, timeout=host.http_timeout)
    except PayloadRejected as exc:
        return _page_error("Not allowed", exc.message, 403)
    if shop is None:
        if not app_cfg.auto_register:
            return _page_error(
                "This store is not connected yet",
                f"Ecwid store {payload.store_id} is not connected to this Marketbridge. Log in to Marketbridge and "
                "add it under Shops (or with the Ecwid install link), then open this page again.", 403)
        shop = save_token(host, payload.store_id, payload.access_token, shop=None, name=None, api_url=api_url)
    else:
        save_token(host, payload.store_id, payload.access_token, shop=shop, name=None, api_url=None)
    db.session.commit()
    login_embedded(shop, locale=payload.lang)
    return redirect(_deep_link(shop, payload.app_state))


def _deep_link(shop: Shop, app_state: str | None) -> str:
    """Where ``app_state`` leads: ``orders``, ``problems``, ``order:<Ecwid order id>``; else the connections."""
    state = (app_state or "").strip()
    if state.startswith("order:"):
        order_id = db.session.execute(sa.select(Order.id).join(Connection, Connection.id == Order.connection_id)
                                      .where(Connection.shop_id == shop.id,
                                             Order.shop_order_id == state[len("order:"):].strip())
                                      ).scalars().first()
        return url_for("orders.detail", order_id=order_id) if order_id else url_for("orders.index")
    return url_for(APP_STATES.get(state, "connections.index"))


# -- OAuth install ----------------------------------------------------------------------------------------------
def _signer() -> LinkSigner:
    return LinkSigner(current_app.secret_key or "", current_host().clock, purpose="ecwid-oauth")


def _principal_id() -> str:
    return str(current_user.get_id())


@login_required
def connect() -> Any:
    """Send the merchant to Ecwid's consent page; the token comes back without copy-paste."""
    app_cfg = _app_config()
    if not app_cfg.can_install:
        flash("The Ecwid app is not set up on this Marketbridge (ECWID_CLIENT_ID and ECWID_CLIENT_SECRET). "
              "Add the shop with its store ID and secret token instead.", "error")
        return redirect(url_for("shops.index"))
    state = _signer().sign({"principal": _principal_id(), "nonce": token_bytes.token_urlsafe(8)})
    return redirect(authorize_url(app_cfg.client_id or "", url_for("ecwid.oauth_return", state=state,
                                                                   _external=True), oauth_url=app_cfg.oauth_url))


@login_required
def oauth_return(state: str) -> Any:
    """``redirect_uri`` of :func:`connect`: check the signed state, exchange the code once, save the token."""
    try:
        data = _signer().verify(state, STATE_MAX_AGE)
    except LinkRejected as exc:
        return _page_error("Not allowed", exc.message, 403)
    if data.get("principal") != _principal_id():
        return _page_error("Not allowed", "This Ecwid authorisation was started in another session; start it "
                                          "again.", 403)
    redirect_uri = url_for("ecwid.oauth_return", state=state, _external=True)
    return _finish_install(request.args.get("code"), request.args.get("error"), redirect_uri)


@login_required
def oauth_install() -> Any:
    """App Market install of the external app: Ecwid sends ``?code=`` here; the merchant confirms first."""
    form = PostForm()
    code = request.form.get("code") if request.method == "POST" else request.args.get("code")
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page_error("The form has expired", "Start the installation again from the Ecwid App Market.",
                               400)
        return _finish_install(code, None, url_for("ecwid.oauth_install", _external=True))
    if request.args.get("error") or not code:
        return _finish_install(None, request.args.get("error") or "missing_code", "")
    return render_template("ecwid/install.html", form=form, code=code)


def _finish_install(code: str | None, error: str | None, redirect_uri: str) -> Any:
    app_cfg = _app_config()
    if error or not code:
        flash("Ecwid did not grant access (the installation was declined or interrupted). Start it again to "
              "connect the store.", "error")
        return redirect(url_for("shops.index"))
    if not app_cfg.can_install:
        return _page_error("Not set up", "The Ecwid app is not set up on this Marketbridge.", 404)
    host = current_host()
    try:
        grant = exchange_code(make_session(host.http_timeout), client_id=app_cfg.client_id or "",
                              client_secret=app_cfg.client_secret or "", code=code, redirect_uri=redirect_uri,
                              oauth_url=app_cfg.oauth_url, timeout=host.http_timeout)
    except (AuthenticationFailed, TemporaryFailure, RateLimited) as exc:
        flash(exc.message, "error")
        return redirect(url_for("shops.index"))
    missing = grant.missing_scopes()
    if missing:
        flash("Ecwid granted fewer permissions than Marketbridge needs (missing: " + ", ".join(missing) + "). "
              "Install the app again and accept every requested permission.", "error")
        return redirect(url_for("shops.index"))
    shop = _shop_for_grant(host, grant, app_cfg)
    if shop is None:
        return _page_error("Not allowed", "This session belongs to another Ecwid store.", 403)
    db.session.commit()
    flash(f"Ecwid store {grant.store_id} is connected.", "success")
    return redirect(url_for("shops.detail", row_id=shop.id))


def _shop_for_grant(host: Host, grant: TokenGrant, app_cfg: AppConfig) -> Shop | None:
    """Update the store's shop row with the new token, or add one (a shop session may only renew its own)."""
    principal = current_user._get_current_object()  # type: ignore[attr-defined]
    existing = shops_for_store(grant.store_id)
    shop_id = getattr(principal, "shop_id", None)
    if shop_id is not None:
        existing = [s for s in existing if s.id == shop_id]
        if not existing:
            return None
    if existing:
        return save_token(host, grant.store_id, grant.access_token, shop=existing[0], name=None, api_url=None)
    if not isinstance(principal, User):
        return None
    try:
        name = _store_name(host, grant, app_cfg.api_url)
    except MarketbridgeError:
        name = None
    return save_token(host, grant.store_id, grant.access_token, shop=None, name=name, api_url=app_cfg.api_url)


def _store_name(host: Host, grant: TokenGrant, api_url: str) -> str | None:
    """``Ecwid store 1003 (Shop name)`` from ``GET /profile``, best effort."""
    try:
        response = make_session(host.http_timeout).get(
            f"{api_url.rstrip('/')}/{grant.store_id}/profile",
            headers={"Authorization": f"Bearer {grant.access_token}"}, timeout=host.http_timeout)
        name = (response.json().get("settings") or {}).get("storeName") if response.status_code == 200 else None
    except (ValueError, AttributeError, OSError):
        name = None
    return f"{name} (Ecwid {grant.store_id})" if name else None
