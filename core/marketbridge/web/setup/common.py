"""Small helpers shared by the set-up pages."""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask_babel import gettext as _

from marketbridge.errors import MarketbridgeError
from marketbridge.models import Connection
from marketbridge.web.auth import require_login
from marketbridge.web.scope import current_scope

log = logging.getLogger("marketbridge.web")


def blueprint(name: str) -> Blueprint:
    """A set-up blueprint: every view needs a login."""
    bp = Blueprint(name, __name__)
    bp.before_request(require_login)
    return bp


def connection_of(connection_id: int) -> Connection:
    """The connection if this session may see it, else 404."""
    return current_scope().connection(connection_id)


def failure_text(exc: Exception, doing: str = "") -> str:
    """A remote failure in plain words (the adapter's own sentence when it gave one)."""
    if isinstance(exc, MarketbridgeError):
        return exc.message
    log.exception("a plugin failed unexpectedly%s", f" while {doing}" if doing else "")
    return _("The plugin failed unexpectedly; the details are in the server log.")


def quoted(text: Any) -> str:
    """``text`` between the page language's quotation marks."""
    return _("\u201c%(text)s\u201d", text=text)
