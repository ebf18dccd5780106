"""Pickup stores of a connection (K1): list, create, edit, archive, and their sync state.

Saving a store queues it for the marketplace (the latest save replaces one
not yet sent) and asks the workers to deliver it. The supply source code is
the store's identity on the marketplace: unique per connection and fixed once
the store reached the marketplace. Archiving retires the store there for good;
the row stays (the archive message needs it, and old orders name its code)
and its pickup products stop being offered.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketbridge.engine.stores import queue_store
from marketbridge.host import current_host
from marketbridge.models import Connection, Listing, OutboxMessage, OutboxState, Store, SyncProblem, db
from marketbridge.web.forms import PostForm
from marketbridge.web.pickup import bp
from marketbridge.web.pickup.actions import deliver_soon
from marketbridge.web.pickup.forms import COUNTRY_ZONES, StoreForm, format_spans
from marketbridge.web.scope import current_scope


# -- read-only helpers ------------------------------------------------------------------------------------------

def scoped_store(store_id: int) -> Store:
    """The store, 404 when it does not exist or its connection is outside the session's scope."""
    store = db.session.get(Store, store_id)
    if store is None:
        abort(404)
    current_scope().connection(store.connection_id)
    return store


def _last_store_message(store: Store) -> OutboxMessage | None:
    return db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.connection_id == store.connection_id, OutboxMessage.kind == "store",
        OutboxMessage.coalesce_key == f"store:{store.id}").order_by(OutboxMessage.id.desc()).limit(1)).scalars().first()


def is_archived(store: Store) -> bool:
    """Whether the store was archived: its latest marketplace message is the archive."""
    message = _last_store_message(store)
    return message is not None and (message.payload or {}).get("action") == "archive"


def was_sent(store: Store) -> bool:
    """Whether the marketplace knows the store (its code can no longer change)."""
    return bool(store.remote_id) or store.synced_at is not None


@dataclass
class SyncState:
    """Where a store stands with the marketplace."""

    remote_id: str | None
    synced_at: datetime | None
    waiting: bool  #: a change is queued and not delivered yet
    archived: bool
    problem: SyncProblem | None  #: the open ``store_rejected`` problem


def sync_state(store: Store) -> SyncState:
    message = _last_store_message(store)
    problem = db.session.execute(sa.select(SyncProblem).where(
        SyncProblem.connection_id == store.connection_id, SyncProblem.code == "store_rejected",
        SyncProblem.subject == f"store:{store.code}", SyncProblem.resolved_at.is_(None))
        .order_by(SyncProblem.id.desc()).limit(1)).scalars().first()
    waiting = message is not None and message.state in (OutboxState.PENDING, OutboxState.SENDING)
    archived = message is not None and (message.payload or {}).get("action") == "archive"
    return SyncState(store.remote_id, store.synced_at, waiting, archived, problem)


def _stores_of(connection_ids: list[int]) -> dict[int, list[tuple[Store, SyncState]]]:
    rows = db.session.execute(sa.select(Store).where(Store.connection_id.in_(connection_ids))
                              .order_by(Store.name, Store.id)).scalars().all()
    grouped: dict[int, list[tuple[Store, SyncState]]] = {cid: [] for cid in connection_ids}
    for store in rows:
        grouped[store.connection_id].append((store, sync_state(store)))
    return grouped


def _render_list(connections: list[Connection], single: Connection | None) -> Any:
    stores = _stores_of([c.id for c in connections])
    return render_template("mb/pickup/stores.html", connections=connections, stores=stores, single=single)


# -- views ----------------------------------------------------------------------------------------------------

@bp.get("/stores")
def stores_index() -> Any:
    """Every connection's pickup stores."""
    connections = list(db.session.execute(current_scope().connections()).scalars())
    return _render_list(connections, None)


@bp.get("/connections/<int:connection_id>/stores")
def connection_stores(connection_id: int) -> Any:
    """One connection's pickup stores."""
    connection = current_scope().connection(connection_id)
    return _render_list([connection], connection)


def _code_taken(connection_id: int, code: str, store_id: int | None) -> bool:
    return db.session.execute(sa.select(Store.id).where(
        Store.connection_id == connection_id, sa.func.lower(Store.code) == code.lower(),
        Store.id != (store_id or -1))).first() is not None


def _apply(form: StoreForm, store: Store) -> None:
    store.name = (form.name.data or "").strip()
    address = {
        "line1": (form.line1.data or "").strip(), "line2": (form.line2.data or "").strip(),
        "city": (form.city.data or "").strip(), "postal_code": (form.postal_code.data or "").strip(),
        "region": (form.region.data or "").strip(), "country_code": (form.country_code.data or "").strip().upper(),
        "phone": (form.phone.data or "").strip(), "email": (form.email.data or "").strip(),
        "timezone": form.timezone.data or "",
    }
    store.address = {key: value for key, value in address.items() if value}
    store.handling_time_minutes = form.minutes()
    store.hold_days = int(form.hold_days.data or 7)
    store.opening_hours = form.opening_hours()
    store.stock_mode = form.stock_mode.data or "shop"
    store.active = bool(form.active.data)


def _save_and_send(store: Store, *, message: str) -> Any:
    queue_store(store, current_host().clock.now())
    db.session.commit()
    deliver_soon([store.connection_id])
    flash(message, "success")
    return redirect(url_for("pickup.connection_stores", connection_id=store.connection_id))


def _form_data(store: Store) -> dict[str, Any]:
    address = store.address or {}
    minutes = store.handling_time_minutes
    hours = minutes % 60 == 0
    data: dict[str, Any] = {
        "name": store.name, "code": store.code, "hold_days": store.hold_days, "stock_mode": store.stock_mode,
        "active": store.active, "handling_value": minutes // 60 if hours else minutes,
        "handling_unit": "hours" if hours else "minutes",
        **{key: address.get(key, "") for key in ("line1", "line2", "city", "postal_code", "region",
                                                 "country_code", "phone", "email", "timezone")},
    }
    for day, spans in (store.opening_hours or {}).items():
        data[f"hours_{day}"] = format_spans(spans)
    return data


@bp.route("/connections/<int:connection_id>/stores/new", methods=["GET", "POST"])
def new_store(connection_id: int) -> Any:
    """Create a store and send it to the marketplace."""
    connection = current_scope().connection(connection_id)
    country = (connection.country or "").upper()
    form = StoreForm(data={"country_code": country, "timezone": COUNTRY_ZONES.get(country, ""),
                           "handling_value": 2, "handling_unit": "hours", "hold_days": 7, "stock_mode": "shop",
                           "active": True})
    if form.validate_on_submit():
        code = (form.code.data or "").strip()
        if _code_taken(connection.id, code, None):
            form.code.errors = [*form.code.errors, _("Another store of this connection already has this code.")]
        else:
            store = Store(connection_id=connection.id, code=code, name="", address={}, opening_hours={})
            _apply(form, store)
            db.session.add(store)
            db.session.flush()
            return _save_and_send(store, message=_("The store \u201c%(name)s\u201d was saved and is being sent to "
                                                   "the marketplace.", name=store.name))
    status = 400 if request.method == "POST" else 200
    return render_template("mb/pickup/store_form.html", form=form, connection=connection, store=None,
                           code_fixed=False, state=None), status


@bp.route("/stores/<int:store_id>/edit", methods=["GET", "POST"])
def edit_store(store_id: int) -> Any:
    """Change a store; the change is sent to the marketplace."""
    store = scoped_store(store_id)
    connection = current_scope().connection(store.connection_id)
    state = sync_state(store)
    if state.archived:
        flash(_("This store was archived; it cannot be changed any more."), "error")
        return redirect(url_for("pickup.connection_stores", connection_id=store.connection_id))
    code_fixed = was_sent(store)
    form = StoreForm(data=_form_data(store))
    if code_fixed:
        form.code.render_kw = {"readonly": True}
        if request.method == "POST":
            form.code.raw_data = [store.code]
            form.code.data = store.code
    if form.validate_on_submit():
        code = store.code if code_fixed else (form.code.data or "").strip()
        if _code_taken(store.connection_id, code, store.id):
            form.code.errors = [*form.code.errors, _("Another store of this connection already has this code.")]
        else:
            if code != store.code:
                db.session.execute(sa.update(Listing).where(
                    Listing.connection_id == store.connection_id, Listing.store_code == store.code)
                    .values(store_code=code).execution_options(synchronize_session=False))
                store.code = code
            _apply(form, store)
            return _save_and_send(store, message=_("The store \u201c%(name)s\u201d was saved and the change is being "
                                                   "sent to the marketplace.", name=store.name))
    status = 400 if request.method == "POST" else 200
    return render_template("mb/pickup/store_form.html", form=form, connection=connection, store=store,
                           code_fixed=code_fixed, state=state), status


@bp.route("/stores/<int:store_id>/archive", methods=["GET", "POST"])
def archive_store(store_id: int) -> Any:
    """Confirm (GET), then archive (POST): the marketplace retires the store for good."""
    store = scoped_store(store_id)
    if is_archived(store):
        flash(_("This store was archived already."), "error")
        return redirect(url_for("pickup.connection_stores", connection_id=store.connection_id))
    if request.method == "GET":
        offered = db.session.execute(sa.select(sa.func.count()).select_from(Listing).where(
            Listing.connection_id == store.connection_id, Listing.store_code == store.code,
            Listing.active.is_(True))).scalar_one()
        return render_template("mb/pickup/archive.html", store=store, offered=offered, action=PostForm())
    store.active = False
    db.session.execute(sa.update(Listing).where(
        Listing.connection_id == store.connection_id, Listing.store_code == store.code)
        .values(active=False).execution_options(synchronize_session=False))
    queue_store(store, current_host().clock.now(), archive=True)
    db.session.commit()
    deliver_soon([store.connection_id])
    flash(_("The store \u201c%(name)s\u201d is being archived on the marketplace. Its products are no longer "
            "offered for pickup there.", name=store.name), "success")
    return redirect(url_for("pickup.connection_stores", connection_id=store.connection_id))
