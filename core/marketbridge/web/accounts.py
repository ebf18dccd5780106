"""Marketplace accounts: list, add (from the channel's ``account_fields``), edit, check connection.

OAuth-style channels (C7)
-------------------------
A channel whose accounts are connected by a consent flow (Amazon: redirect to
Seller Central, consent, redirect back) provides those pages itself through
``register_blueprints`` and names its entry point on the adapter class::

    class AmazonChannel(ChannelAdapter):
        authorize_endpoint = "amazon.authorize"   # a Flask endpoint name

The pages then link to ``url_for(authorize_endpoint)`` to add an account,
and to ``url_for(authorize_endpoint, account_id=<id>)`` to renew the grant
of an existing one (C8); with no ``account_id`` route argument, Flask passes
it as the query string ``?account_id=<id>``. The plugin's view creates or
updates the :class:`~marketbridge.models.MarketplaceAccount` (``kind``,
``name``, sealed ``secrets``, ``granted_at``/``expires_at``) and redirects
to ``url_for("accounts.detail", row_id=account.id)``. A channel with both an
``authorize_endpoint`` and ``account_fields`` gets the link and the form.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from marketbridge.host import current_host
from marketbridge.models import Connection, MarketplaceAccount, SyncProblem
from marketbridge.web.auth import require_login
from marketbridge.web.scope import Scope
from marketbridge.web.settings_pages import SettingsPages, plugin_page

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
bp.before_request(require_login)

TEXTS = {
    "title": _l("Marketplace accounts"),
    "add": _l("Add a marketplace account"),
    "choose": _l("Which marketplace is the account on?"),
    "new_title": _l("Add a marketplace account"),
    "edit_title": _l("Edit marketplace account"),
    "saved": _l("The marketplace account was saved."),
    "none": _l("No marketplace account yet."),
    "kind_label": _l("Marketplace"),
    "no_plugin": _l("No marketplace channel is installed. Install a channel plugin (for example "
                    "marketbridge-amazon)."),
    "missing_plugin": _l("The plugin for this marketplace is not installed any more; the account is kept but "
                         "cannot sync."),
}


def authorize_url(cls: type | None, account: MarketplaceAccount | None = None) -> str | None:
    """The link to the channel's own consent flow, or ``None`` when it has none (see the module doc)."""
    return plugin_page(cls, "authorize_endpoint", **({"account_id": account.id} if account is not None else {}))


def _extra(row: Any, cls: type | None) -> dict[str, Any]:
    admin = plugin_page(cls, "admin_endpoint", account_id=row.id) if row is not None else None
    return {"authorize_url": authorize_url(cls, row), "is_account": True, "admin_url": admin}


def _scoped_rows(scope: Scope) -> Any:
    return scope.accounts()


def _scoped_row(scope: Scope, row_id: int) -> MarketplaceAccount:
    return scope.account(row_id)


pages = SettingsPages(
    name="accounts",
    model=MarketplaceAccount,
    texts=TEXTS,
    classes=lambda: dict(current_host().registry.channels),
    fields_attr="account_fields",
    adapter=lambda row: current_host().account_adapter(row),  # type: ignore[arg-type]
    scoped_rows=_scoped_rows,
    scoped_row=_scoped_row,
    connection_column=Connection.account_id,
    problem_column=SyncProblem.account_id,
    extra_context=_extra,
)
pages.register(bp)
