"""Mounts the core page blueprints, the layout's helpers and the error pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from marketbridge.web import accounts, auth, connections, i18n, labels, orders, problems, shops
from marketbridge.web.forms import LanguageForm, PostForm
from marketbridge.web.history_text import event_text
from marketbridge.web.problem_text import problem_text
from marketbridge.web import pickup as pickup_pages
from marketbridge.web import setup as setup_pages

#: Templates (``mb/…``) and the stylesheet; plugin pages may extend ``mb/base.html``.
ui = Blueprint("mb_ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/mb-static")


CORE_BLUEPRINTS = frozenset({"mb_ui", "auth", "shops", "accounts", "connections", "orders", "labels", "problems"})
CORE_BLUEPRINTS = CORE_BLUEPRINTS | setup_pages.BLUEPRINT_NAMES  # connection set-up pages


@ui.get("/")
@auth.login_required
def home() -> Response:
    """The start page is the list of connections."""
    return redirect(url_for("connections.index"))


def init_app(app: Flask) -> None:
    """Register every core blueprint and the template helpers."""
    app.register_blueprint(ui)
    for blueprint in (auth.bp, shops.bp, accounts.bp, connections.bp, orders.bp, labels.bp, problems.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(pickup_pages.bp)  # Click & Collect pages
    setup_pages.init_app(app)
    app.login_manager.login_view = "auth.login"  # type: ignore[attr-defined]
    app.jinja_env.filters["when"] = i18n.when
    app.jinja_env.globals.update(problem_text=problem_text, event_text=event_text,
                                 language_names=i18n.LANGUAGE_NAMES)
    app.context_processor(_layout_context)
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (403, 404, 405, 409):
        app.register_error_handler(code, _http_error)


def _layout_context() -> dict[str, Any]:
    """What ``mb/base.html`` needs on every page."""
    return {
        "current_language": i18n.current_language,
        "languages": i18n.languages,
        "embedded": auth.is_embedded,
        "language_form": LanguageForm if current_user.is_authenticated else None,
        "post_form": PostForm,
    }


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("mb/error.html", code=400, title=_("The form has expired"),
                           text=_("The page was open too long or came from somewhere else. Go back, reload the "
                                  "page and try again.")), 400


def _http_error(error: HTTPException) -> Any:
    if request.blueprint is not None and request.blueprint not in CORE_BLUEPRINTS:
        return error.get_response()  # plugin endpoints (webhooks, APIs) keep their own error bodies
    titles = {403: _("Not allowed"), 404: _("Not found"), 405: _("Not allowed"), 409: _("Not possible now")}
    texts = {403: _("This page is not available in this session."),
             404: _("There is nothing here. It may have been removed, or the link is wrong."),
             405: _("This address does not accept this kind of request."),
             409: _("This action does not apply to the current state. Reload the page.")}
    code = error.code or 500
    return render_template("mb/error.html", code=code, title=titles.get(code, error.name),
                           text=texts.get(code, error.description)), code
