"""The Marketbridge plugin contract: every hook a plugin may implement.

Three kinds of hooks (see ``docs/plugin-hooks.md`` for the guide with examples):

1. **Registration hooks** hand the host adapter classes, pages, CLI commands
   and database migrations. They are called once at start-up.
2. **Adapter protocols** are not hooks but base classes:
   :class:`marketbridge.adapters.ShopAdapter` and
   :class:`marketbridge.adapters.ChannelAdapter`.
3. **Policy hooks** decide what happens to orders, statuses, stock and
   carriers. Core ships a default implementation of each as an ordinary
   built-in plugin (``marketbridge.policies.*``), registered first, so a
   third-party implementation runs before it and, for ``firstresult`` hooks,
   wins by returning a value. Mark an implementation ``trylast=True`` to let
   the defaults speak first.

Error contract shared by every policy hook: an exception raised by an
implementation is caught by the engine, recorded as a sync problem naming the
plugin, and affects only the order or connection being processed; other
connections carry on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask

    from marketbridge.adapters import ChannelAdapter, ConnectionInfo, Shipped, ShopAdapter, StockLevel
    from marketbridge.decisions import CarrierChoice, Hold, ImportContext, ListingFacts, StatusDecision
    from marketbridge.order import Order

hookspec = pluggy.HookspecMarker("marketbridge")


# ---------------------------------------------------------------------------
# Registration hooks
# ---------------------------------------------------------------------------


@hookspec
def register_shops() -> list[type[ShopAdapter]]:
    """Return the shop adapter classes this plugin provides.

    Receives nothing. Returns a list of :class:`~marketbridge.adapters.ShopAdapter`
    subclasses; each ``kind`` must be unique across all plugins. Called once at
    start-up; raising aborts start-up with a message naming the plugin.
    """


@hookspec
def register_channels() -> list[type[ChannelAdapter]]:
    """Return the marketplace channel adapter classes this plugin provides.

    Receives nothing. Returns a list of
    :class:`~marketbridge.adapters.ChannelAdapter` subclasses with unique
    ``kind`` values. Called once at start-up; raising aborts start-up.
    """


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Return Flask blueprints to mount: webhooks, OAuth callbacks, embedded admin pages.

    Receives the Flask ``app`` (read its config; do not register routes on it
    directly). Returns a list of blueprints; the host registers each under its
    own ``url_prefix``. Routes must protect themselves: merchant pages with
    ``marketbridge.web.auth.login_required``, machine endpoints (webhooks) with
    the platform's signature check (and ``csrf.exempt``). The host's test suite
    enumerates every route and fails for one that answers without either.
    Called once at start-up.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``marketbridge`` command line.

    Receives the top-level ``click.Group``; add commands with ``@cli.command()``.
    Returns nothing. Called once when the CLI starts.
    """


@hookspec
def register_migrations() -> list[str]:
    """Return directories of Alembic revisions that create this plugin's own tables.

    Receives nothing. Returns absolute paths. Each plugin keeps its revisions
    on its own branch (``branch_labels = ("<plugin>",)``, ``down_revision`` of
    the first one ``None`` and ``depends_on`` the core revision it needs);
    ``marketbridge db upgrade`` applies every branch. Most plugins need no
    tables of their own: prefer ``AdapterContext.state``.
    """


@hookspec
def register_translations() -> list[str]:
    """Return directories of Flask-Babel catalogs for this plugin's pages and texts.

    Receives nothing. Returns absolute paths of folders laid out like core's
    ``translations/`` (``<lang>/LC_MESSAGES/messages.mo``); their messages are
    merged into the host's, so ``gettext`` in the plugin's templates and code
    finds them. Ship the compiled ``.mo`` files. Called once at start-up.
    """


# ---------------------------------------------------------------------------
# Policy hooks
# ---------------------------------------------------------------------------


@hookspec
def order_import(order: Order, context: ImportContext) -> Hold | list[Hold] | None:
    """Inspect, tag, hold or transform an order before it reaches the shop.

    Receives the canonical ``order`` (mutable: add tags with ``order.add_tag``
    or adjust fields) and an :class:`~marketbridge.decisions.ImportContext` with
    the connection and the shop product matched to each line. Every
    implementation is called (not ``firstresult``), third-party ones before the
    built-in defaults. Returns ``None``, a :class:`~marketbridge.decisions.Hold`
    or a list of holds; any hold keeps the order out of the shop with its
    reasons shown to the merchant. Also called by "reprocess rules" (O7) with
    ``context.reprocess`` true, when holds are ignored for orders already in the
    shop. Raising holds the order with the plugin's name and the error.
    """


@hookspec(firstresult=True)
def map_status(connection: ConnectionInfo, shop_status: str, order: Order) -> StatusDecision | None:
    """Decide which marketplace status a shop status change means (S1, S2).

    Receives the connection, the shop status code the order moved to, and the
    canonical order. Returns a :class:`~marketbridge.decisions.StatusDecision`
    or ``None``; ``firstresult``: the first decision wins, ``None`` lets the
    next implementation (finally the connection's mapping table) decide. A
    decision with ``marketplace_status=None`` sends nothing. Raising records a
    sync problem naming the plugin; nothing is sent for that change.
    """


@hookspec(firstresult=True)
def stock_source(connection: ConnectionInfo, listing: ListingFacts, level: StockLevel, store_code: str | None) -> int | None:
    """Decide the quantity to offer for one listing (P1, K2).

    Receives the connection, the listing (with units reserved by marketplace
    sales not yet seen by the shop), the shop's :class:`~marketbridge.adapters.StockLevel`
    and, for pickup stores, the store's supply source code. Returns an
    integer or ``None``; ``firstresult``: the first integer wins; the default offers the shop quantity
    (or the store's location quantity) minus reservations, never below 0.
    Raising skips this listing for this run and records a problem.
    """


@hookspec(firstresult=True)
def detect_carrier(connection: ConnectionInfo, shipment: Shipped, order: Order,
                   carrier_codes: frozenset[str] | None) -> CarrierChoice | None:
    """Find the marketplace carrier code for a shipment (S4).

    Receives the connection (with its carrier rules and default carrier), the
    shop's :class:`~marketbridge.adapters.Shipped` event (tracking numbers and
    the carrier as the shop names it), the canonical order, and the exact
    codes the marketplace accepts (``None`` when it accepts free text).
    Returns a :class:`~marketbridge.decisions.CarrierChoice` or ``None``;
    ``firstresult``: the first choice wins. The default tries the merchant's
    rules in order, then the built-in tracking-number library
    (:mod:`marketbridge.carriers`), then the connection's default carrier.
    ``None`` from every implementation holds the shipment with a problem
    telling the merchant to set a default carrier.
    """
