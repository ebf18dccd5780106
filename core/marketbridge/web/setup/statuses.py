"""Status mapping (S1, K4): which shop status stands for each status the marketplace can receive.

The marketplace statuses come from the channel (``statuses``: code, label,
``pickup``, ``needs_tracking``), the shop statuses live from the shop. One
shop status may stand for one marketplace status only, so Click & Collect
statuses always get distinct shop statuses (K4). When the shop cannot be
reached the saved mapping is shown and kept unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketbridge.adapters.channel import MarketplaceStatus
from marketbridge.adapters.shop import ShopStatus
from marketbridge.host import current_host
from marketbridge.models import Connection, StatusMapping, db
from marketbridge.web.setup.common import blueprint, connection_of, failure_text, quoted

bp = blueprint("setup_statuses")
FIELD_PREFIX = "status-"


@dataclass
class MappingPage:
    """What the page shows: both sides' statuses, the saved mapping, and why a side is missing."""

    marketplace: list[MarketplaceStatus]
    shop: list[ShopStatus] | None
    saved: dict[str, str]
    channel_error: str | None = None
    shop_error: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def label(self, shop_status: str) -> str:
        for status in self.shop or ():
            if status.code == shop_status:
                return status.label
        return shop_status


def marketplace_statuses(connection: Connection) -> tuple[list[MarketplaceStatus], str | None]:
    """The statuses the connection's channel can send, or an explanation."""
    try:
        return list(current_host().registry.channel(connection.account.kind).statuses), None
    except Exception as exc:
        return [], failure_text(exc, "listing marketplace statuses")


def shop_statuses(connection: Connection) -> tuple[list[ShopStatus] | None, str | None]:
    """The shop's statuses read live, or ``None`` and why not."""
    try:
        statuses = list(current_host().shop_adapter(connection.shop).list_statuses())
    except Exception as exc:
        db.session.rollback()
        return None, failure_text(exc, "listing shop statuses")
    try:
        db.session.commit()  # adapters may have cached tokens
    except Exception:
        db.session.rollback()
    return statuses, None


def saved_mapping(connection_id: int) -> dict[str, str]:
    """marketplace status → shop status as stored."""
    rows = db.session.execute(sa.select(StatusMapping.marketplace_status, StatusMapping.shop_status)
                              .filter_by(connection_id=connection_id)).all()
    return {m: s for m, s in rows}


def load(connection: Connection) -> MappingPage:
    channel, channel_error = marketplace_statuses(connection)
    shop, shop_error = shop_statuses(connection)
    return MappingPage(channel, shop, saved_mapping(connection.id), channel_error, shop_error)


def validate(page: MappingPage, chosen: dict[str, str]) -> dict[str, list[str]]:
    """Field errors of a submitted mapping (empty when it may be saved)."""
    errors: dict[str, list[str]] = {}
    known = {s.code for s in page.shop or ()} | set(page.saved.values())
    labels = {s.code: s.label for s in page.marketplace}
    by_shop: dict[str, list[str]] = {}
    for code, shop_status in chosen.items():
        if not shop_status:
            continue
        if shop_status not in known:
            errors.setdefault(code, []).append(
                _("The shop has no status %(status)s. Reload the page and choose again.", status=quoted(shop_status)))
            continue
        by_shop.setdefault(shop_status, []).append(code)
    for shop_status, codes in by_shop.items():
        if len(codes) < 2:
            continue
        names = [quoted(labels.get(c, c)) for c in codes]
        for code in codes:
            if any(s.pickup for s in page.marketplace if s.code in codes):
                message = _("The shop status %(shop)s is chosen for %(first)s and %(second)s. Click & Collect "
                            "statuses each need a shop status of their own, so that every pickup step reaches "
                            "the marketplace.", shop=quoted(page.label(shop_status)), first=names[0],
                            second=", ".join(names[1:]))
            else:
                message = _("The shop status %(shop)s is chosen for %(first)s and %(second)s. One shop status can "
                            "stand for only one marketplace status.", shop=quoted(page.label(shop_status)),
                            first=names[0], second=", ".join(names[1:]))
            errors.setdefault(code, []).append(message)
    return errors


def transitions(page: MappingPage, mapping: dict[str, str]) -> tuple[list[str], list[str]]:
    """Plain sentences for each mapped transition, and the shop statuses that send nothing."""
    sentences = []
    for status in page.marketplace:
        shop_status = mapping.get(status.code)
        if not shop_status:
            continue
        shop_label = quoted(page.label(shop_status))
        if status.needs_tracking:
            sentences.append(_("When an order moves to %(shop)s in the shop, Marketbridge confirms the shipment "
                               "to the marketplace with the tracking number.", shop=shop_label))
        else:
            sentences.append(_("When an order moves to %(shop)s in the shop, Marketbridge sends %(status)s to "
                               "the marketplace.", shop=shop_label, status=quoted(status.label)))
    mapped = set(mapping.values())
    silent = [s.label for s in page.shop or () if s.code not in mapped]
    return sentences, silent


@bp.route("/connections/<int:connection_id>/statuses", methods=["GET", "POST"])
def edit(connection_id: int) -> Any:
    """The mapping table: one shop status per marketplace status, checked before it is saved."""
    connection = connection_of(connection_id)
    page = load(connection)
    chosen = dict(page.saved)
    status = 200
    if request.method == "POST":
        chosen = {s.code: (request.form.get(FIELD_PREFIX + s.code) or "").strip() for s in page.marketplace}
        if page.shop is None:
            flash(_("The shop could not be asked for its statuses, so the mapping was not changed. Try again "
                    "when the shop is reachable."), "error")
            chosen, status = dict(page.saved), 503
        else:
            page.errors = validate(page, chosen)
            if not page.errors:
                db.session.execute(sa.delete(StatusMapping).where(StatusMapping.connection_id == connection.id))
                for code, shop_status in chosen.items():
                    if shop_status:
                        db.session.add(StatusMapping(connection_id=connection.id, marketplace_status=code,
                                                     shop_status=shop_status))
                db.session.commit()
                flash(_("The status mapping was saved."), "success")
                return redirect(url_for("setup_statuses.edit", connection_id=connection.id))
            status = 400
    sentences, silent = transitions(page, chosen if not page.errors else page.saved)
    groups: dict[str, list[tuple[str, str]]] = {}
    for shop_status in page.shop or ():
        groups.setdefault(shop_status.group or "", []).append((shop_status.code, shop_status.label))
    known = {s.code for s in page.shop or ()}
    gone = sorted({v for v in page.saved.values() if v and v not in known}) if page.shop is not None else []
    return render_template("mb/setup/statuses.html", connection=connection, page=page, chosen=chosen,
                           groups=groups, gone=gone, sentences=sentences, silent=silent,
                           prefix=FIELD_PREFIX), status
