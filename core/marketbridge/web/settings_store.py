"""Saving adapter settings (shops and marketplace accounts) and checking their connection.

Shared by :mod:`.shops` and :mod:`.accounts`: plain settings go to the row's
``settings``, secret ones are merged with the stored secrets and sealed with
:meth:`~marketbridge.host.Host.seal` (D2). A secret is never read back into a
form or a page.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import gettext as _

from marketbridge.adapters.common import CheckResult
from marketbridge.errors import AuthenticationFailed, MarketbridgeError
from marketbridge.engine.failures import resume
from marketbridge.host import Host, current_host
from marketbridge.models import MarketplaceAccount, Shop, db
from marketbridge.web.forms import SettingsForm

log = logging.getLogger("marketbridge.web")


def resume_after_fix(row: Shop | MarketplaceAccount) -> None:
    """Credentials changed or checked fine: the paused jobs of this shop/account run again at once."""
    now = current_host().clock.now()
    if isinstance(row, Shop):
        resume(now, shop=row)
    else:
        resume(now, account=row)


def stored_secret_names(host: Host, row: Shop | MarketplaceAccount) -> set[str]:
    """Names of the secret settings that have a stored value (the values stay sealed here)."""
    return {name for name, value in host.open(row.secrets).items() if value}


def apply_form(host: Host, row: Shop | MarketplaceAccount, form: SettingsForm) -> bool:
    """Copy the form into ``row``; returns whether credentials or settings changed.

    A change clears ``auth_problem``: the jobs paused for refused credentials
    try again with the new ones. Keys the form does not declare (written by
    the plugin itself, e.g. a platform's store id from an app install) are kept.
    """
    settings, new_secrets = form.values()
    row.name = (form.name.data or "").strip()
    changed = any((row.settings or {}).get(k) != v for k, v in settings.items())
    row.settings = {**(row.settings or {}), **settings}
    if new_secrets:
        secrets = host.open(row.secrets)
        changed = changed or any(secrets.get(k) != v for k, v in new_secrets.items())
        secrets.update(new_secrets)
        row.secrets = host.seal(secrets)
    elif row.secrets is None:
        row.secrets = host.seal({})
    if changed:
        resume_after_fix(row)
    return changed


@dataclass
class CheckOutcome:
    """What "check connection" found, ready to show."""

    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None


def run_check(make_adapter: Callable[[], Any], row: Shop | MarketplaceAccount | None = None) -> CheckOutcome:
    """Call the adapter's ``check_connection``; transport and plugin errors become a message, never a 500.

    A clean result clears ``row.auth_problem`` (the credentials work again).
    """
    try:
        result: CheckResult = make_adapter().check_connection()
        outcome = CheckOutcome(problems=list(result.problems))
    except AuthenticationFailed as exc:
        outcome = CheckOutcome(problems=[exc.message])
    except MarketbridgeError as exc:
        outcome = CheckOutcome(error=exc.message)
    except Exception:  # a broken plugin must not take the page down
        log.exception("check_connection raised an unexpected error")
        outcome = CheckOutcome(error=_("The plugin failed unexpectedly; the details are in the server log."))
    try:
        if outcome.ok and row is not None and row.auth_problem:
            resume_after_fix(row)
        db.session.commit()  # adapters may have stored state (tokens) while checking
    except Exception:
        db.session.rollback()
        log.exception("could not save after check_connection")
    return outcome
