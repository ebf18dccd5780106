"""Which products can be picked up in a store (K3).

The merchant enters products by the connection's identifier (SKU, EAN or
shop product ID); the shop finds them, and each becomes a listing of the
store (``Listing.store_code``). Unknown values are refused with their list
and nothing is saved. Enabling a product queues its stock for the store at
once, so an already listed product goes out with the next stock sync;
stopping offers zero in the store.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from marketbridge.adapters import ProductIdentifier, ShopProduct
from marketbridge.engine.stock import queue_stock, refresh_products
from marketbridge.errors import MarketbridgeError
from marketbridge.host import current_host
from marketbridge.models import Connection, Listing, Store, db
from marketbridge.web.forms import PostForm
from marketbridge.web.pickup import bp
from marketbridge.web.pickup.actions import deliver_soon
from marketbridge.web.pickup.forms import PickupProductsForm
from marketbridge.web.pickup.stores import is_archived, scoped_store
from marketbridge.web.problem_text import WORDS
from marketbridge.web.scope import current_scope

log = logging.getLogger("marketbridge.web")
MAX_VALUES = 500


def identifier_word(connection: Connection) -> str:
    """``SKU``, ``EAN`` or ``product ID`` in the page's language."""
    word = WORDS["identifier"].get(connection.product_identifier)
    return str(word) if word is not None else connection.product_identifier


def _listings(store: Store) -> list[Listing]:
    return list(db.session.execute(sa.select(Listing).where(
        Listing.connection_id == store.connection_id, Listing.store_code == store.code)
        .order_by(Listing.active.desc(), Listing.sku)).scalars())


def _render(store: Store, form: PickupProductsForm, status: int = 200) -> Any:
    connection = current_scope().connection(store.connection_id)
    return render_template("mb/pickup/products.html", store=store, connection=connection, form=form,
                           listings=_listings(store), identifier=identifier_word(connection),
                           archived=is_archived(store), action=PostForm()), status


def _find(connection: Connection, values: list[str]) -> dict[str, ShopProduct]:
    adapter = current_host().shop_adapter(connection.shop)
    size = max(1, adapter.batch_size)
    found: dict[str, ShopProduct] = {}
    for start in range(0, len(values), size):
        found.update(adapter.find_products(ProductIdentifier(connection.product_identifier), values[start:start + size]))
    return found


def _quoted(values: list[str]) -> str:
    shown = ", ".join(f"\u201c{v}\u201d" for v in values[:20])
    return shown + (" \u2026" if len(values) > 20 else "")


@bp.route("/stores/<int:store_id>/products", methods=["GET", "POST"])
def store_products(store_id: int) -> Any:
    """The store's pickup products, and a form to enable more."""
    store = scoped_store(store_id)
    connection = current_scope().connection(store.connection_id)
    form = PickupProductsForm()
    form.values.label.text = _("Products by %(identifier)s, one a line", identifier=identifier_word(connection))
    if request.method == "GET" or not form.validate_on_submit():
        return _render(store, form, 400 if request.method == "POST" else 200)
    if is_archived(store):
        abort(409)
    values = list(dict.fromkeys(v.strip() for v in re.split(r"[\n,;]+", form.values.data or "") if v.strip()))
    if len(values) > MAX_VALUES:
        form.values.errors = [_("Enter at most %(num)d products at once.", num=MAX_VALUES)]
        return _render(store, form, 400)
    try:
        found = _find(connection, values)
    except MarketbridgeError as exc:
        form.values.errors = [_("The shop could not be asked for these products: %(error)s Nothing was saved; try "
                                "again later.", error=exc.message)]
        return _render(store, form, 400)
    except Exception:
        log.exception("find_products failed")
        form.values.errors = [_("The shop plugin failed unexpectedly; the details are in the server log. Nothing "
                                "was saved.")]
        return _render(store, form, 400)
    unknown = [v for v in values if v not in found]
    without_sku = [v for v in values if v in found and not (found[v].sku or
                                                            (v if connection.product_identifier == "sku" else None))]
    if unknown:
        form.values.errors.append(ngettext(
            "No shop product has this %(identifier)s: %(values)s. Correct it or remove it; nothing was saved.",
            "No shop product has these values (%(identifier)s): %(values)s. Correct them or remove them; nothing was "
            "saved.", len(unknown), identifier=identifier_word(connection), values=_quoted(unknown)))
    if without_sku:
        form.values.errors.append(_("These products have no SKU in the shop, which the marketplace needs: "
                                    "%(values)s. Nothing was saved.", values=_quoted(without_sku)))
    if form.values.errors:
        return _render(store, form, 400)
    added = _enable(store, values, found, connection)
    flash(ngettext("%(num)d product can now be picked up in %(store)s; its stock is being sent to the marketplace.",
                   "%(num)d products can now be picked up in %(store)s; their stock is being sent to the "
                   "marketplace.", added, store=store.name) if added else
          _("These products could already be picked up in %(store)s.", store=store.name), "success")
    return redirect(url_for("pickup.store_products", store_id=store.id))


def _enable(store: Store, values: list[str], found: dict[str, ShopProduct], connection: Connection) -> int:
    existing = {row.sku: row for row in _listings(store)}
    product_ids: list[str] = []
    for value in values:
        product = found[value]
        sku = product.sku or value
        row = existing.get(sku)
        if row is not None and row.active:
            continue
        if row is None:
            row = Listing(connection_id=store.connection_id, sku=sku, product_id=product.product_id,
                          store_code=store.code, active=True)
            db.session.add(row)
            existing[sku] = row
        row.active = True
        row.product_id = product.product_id
        product_ids.append(product.product_id)
    db.session.commit()
    if product_ids:
        refresh_products(current_host(), connection.shop, list(dict.fromkeys(product_ids)))
        deliver_soon([store.connection_id])
    return len(product_ids)


@bp.post("/stores/<int:store_id>/products/<int:listing_id>/stop")
def stop_product(store_id: int, listing_id: int) -> Any:
    """The product can no longer be picked up in this store: zero is offered there."""
    store = scoped_store(store_id)
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.connection_id != store.connection_id or listing.store_code != store.code:
        abort(404)
    if listing.active:
        listing.active = False
        queue_stock(current_host().clock.now(), listing, 0)
        db.session.commit()
        deliver_soon([store.connection_id])
    flash(_("%(sku)s can no longer be picked up in %(store)s.", sku=listing.sku, store=store.name), "success")
    return redirect(url_for("pickup.store_products", store_id=store.id))
