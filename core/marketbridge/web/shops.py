"""Shops: list, add (the form comes from the shop adapter's ``settings_fields``), edit, check connection."""
from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from marketbridge.host import current_host
from marketbridge.models import Connection, Shop, SyncProblem
from marketbridge.web.auth import require_login
from marketbridge.web.scope import Scope
from marketbridge.web.settings_pages import SettingsPages, plugin_page

bp = Blueprint("shops", __name__, url_prefix="/shops")
bp.before_request(require_login)

TEXTS = {
    "title": _l("Shops"),
    "add": _l("Add a shop"),
    "choose": _l("Which platform is your shop on?"),
    "new_title": _l("Add a shop"),
    "edit_title": _l("Edit shop"),
    "saved": _l("The shop was saved."),
    "none": _l("No shop yet. Add your shop to start."),
    "kind_label": _l("Platform"),
    "no_plugin": _l("No shop platform is installed. Install a shop plugin (for example marketbridge-shopware)."),
    "missing_plugin": _l("The plugin for this platform is not installed any more; the shop is kept but cannot "
                         "sync."),
}


def _extra(row: Shop | None, cls: type | None) -> dict[str, Any]:
    """Links to the plugin's own pages: its install flow (``authorize_endpoint``, to add a shop without
    copying credentials) and its set-up page for an existing shop (``admin_endpoint``)."""
    if row is None:
        return {"authorize_url": plugin_page(cls, "authorize_endpoint")}
    return {"admin_url": plugin_page(cls, "admin_endpoint", shop_id=row.id)}


def _scoped_rows(scope: Scope) -> Any:
    return scope.shops()


def _scoped_row(scope: Scope, row_id: int) -> Shop:
    return scope.shop(row_id)


pages = SettingsPages(
    name="shops",
    model=Shop,
    texts=TEXTS,
    classes=lambda: dict(current_host().registry.shops),
    fields_attr="settings_fields",
    adapter=lambda row: current_host().shop_adapter(row),  # type: ignore[arg-type]
    scoped_rows=_scoped_rows,
    scoped_row=_scoped_row,
    connection_column=Connection.shop_id,
    problem_column=SyncProblem.shop_id,
    can_add=lambda scope: not scope.limited,
    extra_context=_extra,
)
pages.register(bp)
