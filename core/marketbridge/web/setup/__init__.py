"""Connection set-up pages: status mapping, carriers, activation checklist, backfill, test orders,
automation rules, Prime, stock and price settings, and the dashboard (S1, S4, K4, C2, C3, C6, O5, O7, P1, P2, M2).

One module per page group, each a blueprint whose every view needs a login
(``before_request(require_login)``) and loads its connection through
:func:`~marketbridge.web.scope.current_scope`, so embedded shop sessions
see only their own connections. :func:`init_app` registers them and the
template helpers the connection page uses (checklist, backfill progress,
recent test orders).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from marketbridge.web.setup import activation, carriers, dashboard, rules, settings, statuses

BLUEPRINTS: tuple[Blueprint, ...] = (statuses.bp, carriers.bp, activation.bp, rules.bp, settings.bp, dashboard.bp)
#: Blueprint names, so the host renders its friendly error pages for them.
BLUEPRINT_NAMES = frozenset(bp.name for bp in BLUEPRINTS)


def init_app(app: Flask) -> None:
    """Register the set-up blueprints and the helpers ``mb/connections/detail.html`` calls."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    helpers: dict[str, Any] = {
        "setup_checklist": activation.checklist,
        "setup_progress": activation.progress,
        "setup_test_orders": activation.recent_test_orders,
        "setup_test_order_form": activation.TestOrderForm,
        "setup_backfill_form": activation.BackfillForm,
    }
    app.jinja_env.globals.update(helpers)
