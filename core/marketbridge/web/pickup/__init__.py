"""Click & Collect pages (K1–K6, S5): stores, their stock, pickup products, the pickup order overview.

One blueprint, ``pickup``, mounted at ``/pickup``; every view needs a login
and loads rows through :func:`~marketbridge.web.scope.current_scope`:

* :mod:`.stores` – a connection's pickup stores: list, create, edit, archive (K1).
* :mod:`.stock` – a store's own stock figures, entered in bulk (K2).
* :mod:`.products` – which products can be picked up in a store (K3).
* :mod:`.overview` – pickup orders with their marketplace status, per-order and
  bulk status changes confirmed before they are sent, partial pickups (K5, K6).

:mod:`.actions` holds what the order page shares with the overview: which
statuses an order can be sent, and sending them with per-order results (S5).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from marketbridge.web.auth import require_login

bp = Blueprint("pickup", __name__, url_prefix="/pickup")
bp.before_request(require_login)


@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(409)
def _error(error: HTTPException) -> Any:
    """The same calm error pages as the core pages."""
    titles = {403: _("Not allowed"), 404: _("Not found"), 405: _("Not allowed"), 409: _("Not possible now")}
    texts = {403: _("This page is not available in this session."),
             404: _("There is nothing here. It may have been removed, or the link is wrong."),
             405: _("This address does not accept this kind of request."),
             409: _("This action does not apply to the current state. Reload the page.")}
    code = error.code or 500
    return render_template("mb/error.html", code=code, title=titles.get(code, error.name),
                           text=texts.get(code, error.description)), code


from marketbridge.web.pickup import overview, products, stock, stores  # noqa: E402,F401  (routes on bp)

__all__ = ["bp"]
