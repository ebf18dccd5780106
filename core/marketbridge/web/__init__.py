"""The merchant pages: server-rendered Flask blueprints with login, CSRF and three languages (M1–M3).

What plugin blueprints use from here:

* :func:`login_required` – decorator for a view that needs a logged-in merchant.
* :func:`require_login` – the same as a ``blueprint.before_request`` guard for a whole blueprint.
* :func:`login_embedded` – open the pages authenticated after the plugin verified a signed request
  (Shopware admin iframe, Ecwid app page, signed back-office link); see :mod:`marketbridge.web.auth`.
* the layout ``mb/base.html`` (``{% extends "mb/base.html" %}`` with ``{% block content %}``) so
  plugin pages look like the core pages, and :func:`marketbridge.web.problem_text.problem_text`.

Every form is protected by CSRF (:data:`csrf`); a plugin endpoint that receives signed
server-to-server calls (webhooks) exempts itself with ``csrf.exempt(view)``.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Install login, CSRF protection and translations, and mount the core pages."""
    from marketbridge.web import auth, i18n, pages

    csrf.init_app(app)
    login_manager.init_app(app)
    auth.configure(login_manager)
    pm = app.extensions["marketbridge"].pm
    folders = [str(Path(app.root_path) / "translations"),
               *(folder for found in pm.hook.register_translations() for folder in found or ())]
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(folders))
    # one Babel per app: its translation cache must not be shared with other apps in the process
    Babel(app, locale_selector=i18n.select_locale)
    pages.init_app(app)


from marketbridge.web.auth import login_embedded, login_required, require_login  # noqa: E402  (needs the objects above)

__all__ = ["csrf", "init_app", "login_embedded", "login_manager", "login_required", "require_login"]
