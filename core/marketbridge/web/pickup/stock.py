"""A store's own stock figures (K2): SKU → quantity, edited in rows or pasted as ``SKU;quantity`` lines.

Only stores whose stock mode is ``own`` keep figures. A SKU must be listed on
the store's connection; quantities are whole numbers from 0. Any error shows
at its row or line and saves nothing. Saving recomputes the stock of the
products concerned and queues what changed for the marketplace.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from marketbridge.engine.stock import refresh_products
from marketbridge.host import current_host
from marketbridge.models import Listing, Store, StoreStock, db
from marketbridge.web.pickup import bp
from marketbridge.web.pickup.actions import deliver_soon
from marketbridge.web.pickup.stores import is_archived, scoped_store
from marketbridge.web.scope import current_scope

BLANK_ROWS = 3
MAX_ROWS = 2000


@dataclass
class Row:
    """One editable row of the table."""

    sku: str = ""
    quantity: str = ""
    errors: list[str] = field(default_factory=list)


def listed_skus(connection_id: int) -> set[str]:
    """SKUs listed on the connection (the only ones a store can keep a figure for)."""
    return set(db.session.execute(sa.select(Listing.sku).where(Listing.connection_id == connection_id)
                                  .distinct()).scalars())


def _figures(store: Store) -> dict[str, int]:
    return dict(db.session.execute(sa.select(StoreStock.sku, StoreStock.quantity)
                                   .where(StoreStock.store_id == store.id).order_by(StoreStock.sku)).all())


def _initial_rows(store: Store) -> list[Row]:
    figures = _figures(store)
    offered = db.session.execute(sa.select(Listing.sku).where(
        Listing.connection_id == store.connection_id, Listing.store_code == store.code,
        Listing.active.is_(True)).distinct()).scalars()
    rows = [Row(sku, str(quantity)) for sku, quantity in figures.items()]
    rows += [Row(sku, "") for sku in sorted(set(offered) - set(figures))]
    return rows + [Row() for _ in range(BLANK_ROWS)]


def _quantity(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def _check(sku: str, text: str, known: set[str]) -> tuple[int | None, list[str]]:
    errors = []
    if sku not in known:
        errors.append(_("SKU \u201c%(sku)s\u201d is not listed on this connection. Enable it for pickup first.",
                        sku=sku))
    quantity = _quantity(text)
    if quantity is None:
        errors.append(_("\u201c%(value)s\u201d is not a quantity: enter a whole number from 0.", value=text))
    return quantity, errors


def _render(store: Store, rows: list[Row], paste: str, paste_errors: list[str], status: int = 200) -> Any:
    connection = current_scope().connection(store.connection_id)
    return render_template("mb/pickup/stock.html", store=store, connection=connection, rows=rows, paste=paste,
                           paste_errors=paste_errors, archived=is_archived(store)), status


@bp.route("/stores/<int:store_id>/stock", methods=["GET", "POST"])
def store_stock(store_id: int) -> Any:
    """Show and save a store's own stock figures."""
    store = scoped_store(store_id)
    if request.method == "GET":
        return _render(store, _initial_rows(store), "", [])
    if store.stock_mode != "own" or is_archived(store):
        flash(_("This store does not keep stock figures of its own."), "error")
        return redirect(url_for("pickup.store_stock", store_id=store.id))
    known = listed_skus(store.connection_id)
    wanted: dict[str, int | None] = {}  # SKU → quantity; None removes the figure
    rows: list[Row] = []
    failed = False
    count = min(request.form.get("rows", 0, type=int), MAX_ROWS)
    for index in range(count):
        row = Row((request.form.get(f"sku-{index}") or "").strip(), (request.form.get(f"qty-{index}") or "").strip())
        rows.append(row)
        if not row.sku:
            if row.quantity:
                row.errors.append(_("Enter the SKU for this quantity."))
                failed = True
            continue
        if not row.quantity:
            wanted[row.sku] = None
            continue
        quantity, row.errors = _check(row.sku, row.quantity, known)
        failed = failed or bool(row.errors)
        wanted[row.sku] = quantity
    paste = request.form.get("paste") or ""
    paste_errors: list[str] = []
    for number, line in enumerate(paste.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in re.split(r"[;\t]", line)]
        if len(parts) != 2 or not parts[0]:
            paste_errors.append(_("Line %(number)d: write \u201cSKU;quantity\u201d.", number=number))
            continue
        quantity, errors = _check(parts[0], parts[1], known)
        paste_errors += [_("Line %(number)d: %(error)s", number=number, error=e) for e in errors]
        wanted[parts[0]] = quantity
    if failed or paste_errors:
        return _render(store, rows, paste, paste_errors, 400)
    changed = _save(store, wanted)
    queued = 0
    if changed:
        product_ids = list(db.session.execute(sa.select(Listing.product_id).where(
            Listing.connection_id == store.connection_id, Listing.sku.in_(changed)).distinct()).scalars())
        connection = current_scope().connection(store.connection_id)
        queued = refresh_products(current_host(), connection.shop, product_ids)
        deliver_soon([store.connection_id])
    flash(ngettext("%(num)d stock figure changed.", "%(num)d stock figures changed.", len(changed)) + " " +
          ngettext("%(num)d stock update is being sent to the marketplace.",
                   "%(num)d stock updates are being sent to the marketplace.", queued), "success")
    return redirect(url_for("pickup.store_stock", store_id=store.id))


def _save(store: Store, wanted: dict[str, int | None]) -> list[str]:
    """Write the figures; returns the SKUs whose figure changed. Commits."""
    existing = {row.sku: row for row in db.session.execute(
        sa.select(StoreStock).where(StoreStock.store_id == store.id)).scalars()}
    changed = []
    for sku, quantity in wanted.items():
        row = existing.get(sku)
        if quantity is None:
            if row is not None:
                db.session.delete(row)
                changed.append(sku)
        elif row is None:
            db.session.add(StoreStock(store_id=store.id, sku=sku, quantity=quantity))
            changed.append(sku)
        elif row.quantity != quantity:
            row.quantity = quantity
            changed.append(sku)
    db.session.commit()
    return changed
