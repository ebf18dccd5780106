"""Who may see the pages: login, first run, logout, language, and embedded sessions (M1).

Standalone, a merchant logs in with e-mail and password (hashed with
:meth:`~marketbridge.models.User.set_password`). While no user exists, the
login page sends visitors to the first-run page that creates the first
administrator (``marketbridge create-admin EMAIL`` does the same from a shell;
run it before exposing a fresh installation).

Plugin pages
------------
Protect a view with ``@login_required``, or a whole blueprint with
``blueprint.before_request(require_login)``::

    from marketbridge.web import login_required

    @bp.get("/shopware/settings")
    @login_required
    def settings(): ...

Embedded pages
--------------
A plugin that has *verified* a signed request from the shop's admin (the
Shopware app iframe's ``shopware-shop-signature``, Ecwid's encrypted app
payload, a back-office link signed with a per-shop secret) opens the pages
with::

    login_embedded(shop, locale="de")          # a session limited to that shop
    login_embedded(user)                        # or as a known merchant user
    return redirect(url_for("connections.index"))

``login_embedded(principal, *, locale=None, embedded=True)``:

* ``principal`` is a :class:`~marketbridge.models.Shop` or a
  :class:`~marketbridge.models.User`. A shop gets a session that sees only
  that shop, its connections, their orders and problems, and the marketplace
  accounts those connections use (see :mod:`marketbridge.web.scope`). A user
  gets a normal session.
* ``locale`` is the admin's language as the shop reported it (``"de-DE"``
  is fine); it is used when the user has no language setting of their own.
* ``embedded`` marks the session as living in an iframe: the layout hides
  the logout button (the shop's admin owns the session).

Never call it for a request you have not verified: it trusts its caller.
Inside a cross-site iframe the browser only sends the session cookie when
the app runs over HTTPS with ``SESSION_COOKIE_SAMESITE="None"`` and
``SESSION_COOKIE_SECURE=True`` (settings ``MARKETBRIDGE_SESSION_COOKIE_…``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from marketbridge.accounts import MIN_PASSWORD_LENGTH, create_or_reset_user, has_users
from marketbridge.models import Shop, User, db
from marketbridge.web import i18n
from marketbridge.web.forms import LanguageForm, LoginForm, PasswordForm, SetupForm

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
EMBEDDED_KEY = "mb_embedded"
_DUMMY_HASH = generate_password_hash("not a real password")


@dataclass
class ShopPrincipal:
    """A session opened by a plugin for one shop (:func:`login_embedded`)."""

    shop_id: int
    shop_name: str
    locale: str | None = None
    is_admin: bool = False
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @property
    def email(self) -> str:
        return self.shop_name

    def get_id(self) -> str:
        return f"shop:{self.shop_id}"


def configure(manager: LoginManager) -> None:
    """Tell Flask-Login how to load principals and what to do with anonymous visitors."""
    manager.user_loader(load_principal)
    manager.unauthorized_handler(_unauthorized)
    manager.session_protection = "basic"


def load_principal(principal_id: str) -> User | ShopPrincipal | None:
    """Flask-Login's loader: ``"12"`` is a user, ``"shop:3"`` an embedded shop session."""
    if principal_id.startswith("shop:"):
        shop = db.session.get(Shop, int(principal_id[5:])) if principal_id[5:].isdigit() else None
        if shop is None:
            return None
        return ShopPrincipal(shop.id, shop.name, session.get(i18n.SESSION_KEY))
    return db.session.get(User, int(principal_id)) if principal_id.isdigit() else None


def _unauthorized() -> Response:
    if not has_users():
        return redirect(url_for("auth.setup"))
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))


def require_login() -> Response | None:
    """``blueprint.before_request(require_login)``: every view of the blueprint needs a login."""
    if not current_user.is_authenticated:
        from flask import current_app

        result: Response = current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return result
    return None


def login_required(view: F) -> F:
    """Decorator: the view needs a logged-in merchant (or an embedded shop session)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        refused = require_login()
        return refused if refused is not None else view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def login_embedded(principal: Shop | User, *, locale: str | None = None, embedded: bool = True) -> None:
    """Open an authenticated session for a plugin's *verified* signed request (see the module doc)."""
    session.clear()
    if isinstance(principal, Shop):
        login_user(ShopPrincipal(principal.id, principal.name), remember=False)
    elif isinstance(principal, User):
        login_user(principal, remember=False)
    else:
        raise TypeError("login_embedded needs a Shop or a User")
    if i18n.normalise(locale):
        session[i18n.SESSION_KEY] = i18n.normalise(locale)
    session[EMBEDDED_KEY] = embedded
    refresh()


def is_embedded() -> bool:
    """Whether this session was opened by :func:`login_embedded` for an iframe."""
    return bool(session.get(EMBEDDED_KEY))


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _home() -> str:
    return url_for("connections.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """E-mail and password login."""
    if not has_users():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), _home()))
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        user = db.session.execute(sa.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data or "")  # same time as a real check
        elif user.check_password(form.password.data or ""):
            session.clear()
            login_user(user, remember=False)
            refresh()
            return redirect(safe_next(request.args.get("next"), _home()))
        form.password.errors.append(_("E-mail address or password is wrong."))
    return render_template("mb/login.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """First run: create the first administrator. Gone once anyone can log in."""
    if has_users():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = create_or_reset_user(form.email.data or "", form.password.data or "", admin=True)
        if i18n.normalise(form.locale.data):
            user.locale = i18n.normalise(form.locale.data)
            db.session.commit()
        session.clear()
        login_user(user, remember=False)
        refresh()
        flash(_("Welcome! Start by adding your shop."), "success")
        return redirect(url_for("shops.choose"))
    status = 400 if request.method == "POST" else 200
    return render_template("mb/setup.html", form=form, min_length=MIN_PASSWORD_LENGTH), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so no link can log a merchant out)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
@login_required
def language() -> Response:
    """Switch the language: saved on the user, or in the session of an embedded shop."""
    form = LanguageForm()
    if form.validate_on_submit():
        code = i18n.normalise(form.locale.data)
        if isinstance(current_user._get_current_object(), User):  # type: ignore[attr-defined]
            current_user.locale = code
            db.session.commit()
        if code:
            session[i18n.SESSION_KEY] = code
        else:
            session.pop(i18n.SESSION_KEY, None)
        refresh()
    return redirect(safe_next(request.form.get("next"), _home()))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me() -> Any:
    """The user's own settings: language and password."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    language_form = LanguageForm(formdata=None, locale=getattr(user, "locale", None) or "")
    password_form = PasswordForm(prefix="pw")
    status = 200
    if request.method == "POST" and not isinstance(user, User):
        abort(403)
    if request.method == "POST":
        if password_form.submit.data and password_form.validate_on_submit():
            if not user.check_password(password_form.current.data or ""):
                password_form.current.errors.append(_("This is not your current password."))
                status = 400
            else:
                user.set_password(password_form.new.data or "")
                db.session.commit()
                flash(_("Your password was changed."), "success")
                return redirect(url_for("auth.me"))
        else:
            status = 400
    return render_template("mb/me.html", user=user, language_form=language_form, password_form=password_form,
                           is_user=isinstance(user, User), min_length=MIN_PASSWORD_LENGTH), status
