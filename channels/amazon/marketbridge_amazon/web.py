"""The Amazon pages: the SP-API website authorisation flow (C7, C8) and the quota page.

Mounted by the ``register_blueprints`` hook under ``/amazon``; every route needs a logged-in
merchant (``require_login`` on the whole blueprint):

=======================================  =====================================================================
route                                    what
=======================================  =====================================================================
``GET /amazon/``                         the Amazon accounts with their grant, and links to renew and to the quota
``GET|POST /amazon/authorize``           choose the marketplace (its region follows), then off to Seller Central's
                                         consent page with a signed, expiring, single-use ``state``.
                                         ``?account_id=<id>`` renews that account's grant (C8); it is
                                         ``AmazonChannel.authorize_endpoint``, so the host's account pages link here
``GET /amazon/callback``                 Amazon's redirect back (``state``, ``selling_partner_id``,
                                         ``spapi_oauth_code``): verify, exchange the code at LWA, store the
                                         refresh token sealed in the account's secrets, ``granted_at`` and
                                         ``expires_at`` (+1 year). Register this address as the app's redirect URI
``GET /amazon/accounts/<id>/quota``      per operation: calls, times the quota ran out, the announced and the
                                         documented rate, the bucket's level now
=======================================  =====================================================================

The ``state`` is an HMAC-SHA256 signature (key derived from the app's ``SECRET_KEY``) over the account
being renewed (or none), the principal who started, the marketplace, which app credentials were used,
a nonce and a ten-minute expiry. The nonce is also kept in the merchant's session and removed at the
first callback that carries it, before anything else happens: a forged, expired, foreign or replayed
``state`` gets a page saying so, and nothing is called or stored. Amazon's code is single-use as well.

Which SP-API app the merchant authorises (:func:`app_credentials`):

* renewal – the account's own app (``application_id``, ``lwa_client_id`` settings, ``lwa_client_secret``);
* a new account – the installation's app from the settings ``AMAZON_APPLICATION_ID``,
  ``AMAZON_LWA_CLIENT_ID``, ``AMAZON_LWA_CLIENT_SECRET`` (environment ``MARKETBRIDGE_AMAZON_…``), with
  ``AMAZON_APP_BETA`` for a draft app and the optional overrides ``AMAZON_SELLER_CENTRAL_URL``,
  ``AMAZON_ENDPOINT``, ``AMAZON_LWA_TOKEN_URL``, ``AMAZON_REDIRECT_URI``;
* demo mode without those settings – the demo account's (the emulator's) app.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from marketbridge.engine import problems
from marketbridge.engine.failures import resume
from marketbridge.errors import AuthenticationFailed, RateLimited, TemporaryFailure
from marketbridge.host import current_host
from marketbridge.http import make_session
from marketbridge.models import MarketplaceAccount, QuotaUsage, db
from marketbridge.web import require_login
from marketbridge.web.forms import grouped_options
from marketbridge.web.scope import current_scope

from marketbridge_amazon.authorization import (GRANT_LIFETIME, Grant, consent_url, exchange_code, make_state,
                                               read_state, record_grant)
from marketbridge_amazon.i18n import _, _l
from marketbridge_amazon.marketplaces import LWA_TOKEN_URL, MARKETPLACES, marketplace
from marketbridge_amazon.rates import ASSUMED, USAGE_PLANS

bp = Blueprint("amazon", __name__, url_prefix="/amazon", template_folder="templates")
bp.before_request(require_login)

KIND = "amazon"
SESSION_KEY = "amazon_oauth_nonces"
#: At most this many consent flows may be open at once in one session (older ones are forgotten).
OPEN_FLOWS = 5
REGION_LABELS = {"na": _l("North America"), "eu": _l("Europe, Middle East and India"), "fe": _l("Far East")}


@bp.context_processor
def _texts() -> dict[str, Any]:
    return {"t": _}


# -- which app is authorised -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppCredentials:
    """The SP-API app the merchant authorises, and where its endpoints are."""

    source: str  #: "account", "config" or "demo"
    application_id: str
    client_id: str
    client_secret: str
    beta: bool = False
    seller_central: str | None = None  #: override of the marketplace's Seller Central (emulator)
    endpoint: str | None = None
    token_url: str | None = None

    def __repr__(self) -> str:  # the client secret never reaches a log line
        return f"AppCredentials(source={self.source!r}, application_id={self.application_id!r})"


def _from_settings(source: str, settings: Mapping[str, Any], secrets_: Mapping[str, str]) -> AppCredentials | None:
    application_id = str(settings.get("application_id") or "").strip()
    client_id = str(settings.get("lwa_client_id") or "").strip()
    client_secret = secrets_.get("lwa_client_secret") or ""
    if not (application_id and client_id and client_secret):
        return None
    return AppCredentials(source, application_id, client_id, client_secret, bool(settings.get("beta")),
                          settings.get("seller_central") or None, settings.get("endpoint") or None,
                          settings.get("lwa_token_url") or None)


def _from_config(config: Mapping[str, Any]) -> AppCredentials | None:
    values = {"application_id": config.get("AMAZON_APPLICATION_ID"), "lwa_client_id": config.get("AMAZON_LWA_CLIENT_ID"),
              "beta": str(config.get("AMAZON_APP_BETA", "")).lower() in ("1", "true", "yes"),
              "seller_central": config.get("AMAZON_SELLER_CENTRAL_URL"), "endpoint": config.get("AMAZON_ENDPOINT"),
              "lwa_token_url": config.get("AMAZON_LWA_TOKEN_URL")}
    return _from_settings("config", values, {"lwa_client_secret": str(config.get("AMAZON_LWA_CLIENT_SECRET") or "")})


def _demo_account() -> MarketplaceAccount | None:
    rows = db.session.execute(sa.select(MarketplaceAccount).filter_by(kind=KIND).order_by(MarketplaceAccount.id)
                              ).scalars()
    return next((row for row in rows if (row.settings or {}).get("demo")), None)


def app_credentials(source: str | None, account: MarketplaceAccount | None) -> AppCredentials | None:
    """The app to authorise (see the module doc); ``None`` when none is set up."""
    host = current_host()
    if account is not None and source in (None, "account"):
        found = _from_settings("account", account.settings or {}, host.open(account.secrets))
        if found is not None or source == "account":
            return found
    if source in (None, "config"):
        found = _from_config(current_app.config)
        if found is not None or source == "config":
            return found
    if source in (None, "demo") and current_app.config.get("DEMO"):
        demo = _demo_account()
        if demo is not None:
            return _from_settings("demo", demo.settings or {}, host.open(demo.secrets))
    return None


def state_key() -> bytes:
    """The ``state`` signing key, derived from the app's session key (never the key itself)."""
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"marketbridge-amazon-oauth-state",
                    hashlib.sha256).digest()


def redirect_uri() -> str:
    """Where Amazon sends the merchant back: register exactly this URL as the app's OAuth redirect URI."""
    return str(current_app.config.get("AMAZON_REDIRECT_URI") or url_for("amazon.callback", _external=True))


# -- pages ---------------------------------------------------------------------------------------------------------


def _amazon_account(account_id: Any) -> MarketplaceAccount:
    try:
        row = current_scope().account(int(account_id))
    except (TypeError, ValueError):
        abort(404)
    if row.kind != KIND:
        abort(404)
    return row


def _country(code: str) -> str:
    locale = get_locale()
    return str(locale.territories.get(code, code)) if locale is not None else code


def marketplace_groups() -> dict[str, list[tuple[str, str]]]:
    """Marketplaces by region for the choice (the region follows from the marketplace)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for region in ("eu", "na", "fe"):
        entries = [(m.id, f"{m.domain.capitalize()} ({_country(m.country_code)})")
                   for m in MARKETPLACES.values() if m.region == region]
        groups[str(REGION_LABELS[region])] = sorted(entries, key=lambda e: e[1])
    return groups


class AuthorizeForm(FlaskForm):
    marketplace = SelectField(_l("Marketplace"), validators=[DataRequired()],
                              description=_l("The Amazon marketplace you sell on. Its region (North America; Europe, "
                                             "Middle East and India; Far East) decides where Marketbridge connects; "
                                             "one authorisation covers every marketplace of the region."))


@bp.get("/")
def index() -> Any:
    """The Amazon seller accounts, their authorisation, and links to renew it and to the quota page."""
    rows = db.session.execute(current_scope().accounts().where(MarketplaceAccount.kind == KIND)).scalars().all()
    return render_template("amazon/index.html", accounts=rows, app_ready=app_credentials(None, None) is not None)


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    """Choose the marketplace, then continue to Amazon's consent page (``?account_id=`` renews a grant)."""
    account = _amazon_account(request.args["account_id"]) if request.args.get("account_id") else None
    app = app_credentials(None, account)
    form = AuthorizeForm()
    form.marketplace.choices = grouped_options(marketplace_groups())
    if request.method == "GET":
        settings = account.settings if account is not None else {}
        form.marketplace.data = (settings or {}).get("marketplace") or "A1PA6795UKMFR9"
    if app is not None and form.validate_on_submit():
        chosen = marketplace(form.marketplace.data or "")
        if chosen is None:
            form.marketplace.errors = [_("Choose one of the marketplaces in the list.")]
        else:
            nonce = secrets.token_urlsafe(16)
            pending = [n for n in session.get(SESSION_KEY, []) if isinstance(n, str)][-(OPEN_FLOWS - 1):]
            session[SESSION_KEY] = [*pending, nonce]
            state = make_state(state_key(), str(account.id) if account is not None else "",
                               current_host().clock.now(), nonce=nonce,
                               data={"principal": current_user.get_id(), "marketplace": chosen.id,
                                     "app": app.source})
            return redirect(consent_url(app.seller_central or chosen.seller_central, app.application_id, state,
                                        redirect_uri=redirect_uri(), beta=app.beta), code=302)
    status = 400 if request.method == "POST" else 200
    return render_template("amazon/authorize.html", form=form, account=account, app_ready=app is not None,
                           redirect_uri=redirect_uri()), status


def refused(title: str, text: str, status: int = 400) -> tuple[str, int]:
    """The page for a callback that cannot be accepted (nothing was stored)."""
    return render_template("amazon/refused.html", title=title, text=text), status


_STATE_TEXTS = {
    "state_expired": _l("The authorisation took more than ten minutes. Start it again; nothing was changed."),
    "invalid_state": _l("This answer does not come from an authorisation started here, or it was altered. "
                        "Nothing was changed. Start the authorisation again from Marketbridge."),
}


@bp.get("/callback")
def callback() -> Any:
    """Amazon's redirect after consent: verify ``state``, exchange the code, store the grant."""
    host = current_host()
    now = host.clock.now()
    title = _("Amazon authorisation not completed")
    if request.args.get("error"):
        return refused(title, _("Amazon did not authorise Marketbridge (%(reason)s). Nothing was changed; you can "
                                "start again.", reason=request.args.get("error_description") or request.args["error"]))
    try:
        payload = read_state(state_key(), request.args.get("state", ""), now)
    except AuthenticationFailed as exc:
        return refused(title, str(_STATE_TEXTS.get(exc.code, _STATE_TEXTS["invalid_state"])))
    if payload.get("principal") != current_user.get_id():
        return refused(title, _("This authorisation was started by someone else. Nothing was changed. Start it "
                                "again while logged in as yourself."), 403)
    pending = [n for n in session.get(SESSION_KEY, []) if isinstance(n, str)]
    if payload.get("nonce") not in pending:
        return refused(title, _("This authorisation answer was already used (or belongs to another browser "
                                "session). Nothing was changed. Start the authorisation again if needed."))
    session[SESSION_KEY] = [n for n in pending if n != payload["nonce"]]
    seller = (request.args.get("selling_partner_id") or "").strip()
    code = (request.args.get("spapi_oauth_code") or "").strip()
    if not seller or not code:
        return refused(title, _("Amazon's answer lacks the seller ID or the authorisation code. Nothing was "
                                "changed. Start the authorisation again."))
    account = _amazon_account(payload["account"]) if payload["account"] else None
    known = (account.settings or {}).get("selling_partner_id") if account is not None else None
    if known and known != seller:
        return refused(title, _("Amazon answered for seller %(seller)s, but this account belongs to seller "
                                "%(known)s. Log in to Seller Central as %(known)s and renew again. Nothing was "
                                "changed.", seller=seller, known=known))
    app = app_credentials(str(payload.get("app") or ""), account)
    chosen = marketplace(str(payload.get("marketplace") or ""))
    if app is None or chosen is None:
        return refused(title, _("Marketbridge's Amazon app is not set up (any more). Nothing was changed."), 409)
    try:
        grant = exchange_code(make_session(host.http_timeout), app.token_url or LWA_TOKEN_URL, code=code,
                              client_id=app.client_id, client_secret=app.client_secret, selling_partner_id=seller,
                              now=now, redirect_uri=redirect_uri(), timeout=host.http_timeout)
    except AuthenticationFailed:
        return refused(title, _("Amazon did not accept the authorisation code: it was already used or is older "
                                "than five minutes. Nothing was changed. Start the authorisation again."))
    except (TemporaryFailure, RateLimited):
        return refused(title, _("Amazon's login service could not be reached. Nothing was changed. Try again in a "
                                "few minutes."), 502)
    row = save_grant(account or _account_of_seller(seller), grant, app, chosen.id)
    flash(_("Amazon seller account %(seller)s is authorised until %(date)s.", seller=seller,
            date=format_date(row.expires_at, "long") if row.expires_at else "—"), "success")
    return redirect(url_for("accounts.detail", row_id=row.id))


def _account_of_seller(seller: str) -> MarketplaceAccount | None:
    """An Amazon account of the same seller in this session's scope (authorising again renews it)."""
    rows = db.session.execute(current_scope().accounts().where(MarketplaceAccount.kind == KIND)).scalars()
    return next((row for row in rows if (row.settings or {}).get("selling_partner_id") == seller), None)


def save_grant(account: MarketplaceAccount | None, grant: Grant, app: AppCredentials,
               marketplace_id: str) -> MarketplaceAccount:
    """Create the account, or renew it keeping everything attached (connections, orders, history)."""
    host = current_host()
    now = host.clock.now()
    known = marketplace(marketplace_id)
    assert known is not None
    if account is None:
        account = MarketplaceAccount(kind=KIND, name=f"Amazon {known.domain.split('amazon.')[-1].upper()} – "
                                                     f"{grant.selling_partner_id}", created_at=now, settings={})
        db.session.add(account)
    settings = dict(account.settings or {})
    settings.update(selling_partner_id=grant.selling_partner_id, region=known.region, marketplace=marketplace_id,
                    application_id=app.application_id, lwa_client_id=app.client_id)
    for key, value in (("seller_central", app.seller_central), ("endpoint", app.endpoint),
                       ("lwa_token_url", app.token_url), ("beta", app.beta or None)):
        if value:
            settings[key] = value
    account.settings = settings
    stored = host.open(account.secrets) if account.secrets else {}
    stored.update(lwa_client_secret=app.client_secret, refresh_token=grant.refresh_token)
    account.secrets = host.seal(stored)
    account.granted_at, account.expires_at = grant.granted_at, grant.granted_at + GRANT_LIFETIME
    db.session.flush()
    resume(now, account=account)  # paused streams of the account run again at once
    record_grant(host.account_adapter(account).context.state, grant)
    problems.resolve(now, account_id=account.id,
                     codes=("authentication_failed", "grant_expired", "grant_expiring"))
    db.session.commit()
    return account


@bp.get("/accounts/<int:account_id>/quota")
def quota(account_id: int) -> Any:
    """How much of each SP-API quota the account uses, and what is left now."""
    account = _amazon_account(account_id)
    usage = {row.operation: row for row in db.session.execute(
        sa.select(QuotaUsage).filter_by(account_id=account.id)).scalars()}
    levels: dict[str, dict[str, float]] = {}
    level_error = None
    try:
        levels = current_host().account_adapter(account).quota_levels()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - incomplete settings must not break the page
        level_error = getattr(exc, "message", str(exc))
    rows = []
    for operation in sorted(set(usage) | set(levels)):
        used, level, plan = usage.get(operation), levels.get(operation), USAGE_PLANS.get(operation)
        rows.append({
            "operation": operation,
            "calls": used.calls if used else 0,
            "throttled": used.throttled if used else 0,
            "announced": _rate(used.limit_per_second) if used and used.limit_per_second else "—",
            "documented": (_rate(plan.rate) + (" *" if operation in ASSUMED else "")) if plan else "—",
            "burst": plan.burst if plan else "—",
            "available": _("%(available)s of %(burst)s", available=format_decimal(level["available"], "#,##0.#"),
                           burst=format_decimal(level["burst"], "#,##0")) if level else "—",
            "last_call": used.last_call_at if used else None,
        })
    return render_template("amazon/quota.html", account=account, rows=rows, level_error=level_error)


def _rate(per_second: float) -> str:
    if per_second >= 1:
        return _("%(rate)s per second", rate=format_decimal(per_second, "#,##0.##"))
    return _("one every %(seconds)s s", seconds=format_decimal(1 / per_second, "#,##0"))


def register(app: Flask) -> list[Blueprint]:
    """What ``register_blueprints`` returns."""
    return [bp]
