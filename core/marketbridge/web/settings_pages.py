"""The pages shops and marketplace accounts share: list, add, show, edit, check connection.

Both are rows configured by an adapter's declared settings; :class:`SettingsPages`
holds what differs (model, adapter classes, texts) and registers the same
five views on a blueprint. :mod:`.shops` and :mod:`.accounts` configure it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from marketbridge.adapters.settings import FieldKind, SettingField
from marketbridge.host import current_host
from marketbridge.models import MarketplaceAccount, Shop, SyncProblem, db
from marketbridge.web import i18n
from marketbridge.web.forms import PostForm, settings_form
from marketbridge.web.scope import Scope, current_scope
from marketbridge.web.settings_store import CheckOutcome, apply_form, run_check, stored_secret_names

Row = Shop | MarketplaceAccount


def plugin_page(cls: type | None, attribute: str, **arguments: Any) -> str | None:
    """The URL of a plugin's own page named by an adapter class attribute (``authorize_endpoint``,
    ``admin_endpoint``), or ``None`` when the plugin has none or did not register it."""
    endpoint = getattr(cls, attribute, None) if cls is not None else None
    if not endpoint or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **arguments)


@dataclass
class SettingsPages:
    """Everything the shared views need to know about one kind of configured row."""

    name: str  #: blueprint name: ``shops`` or ``accounts``
    model: type[Row]
    texts: dict[str, LazyString]  #: title, add, new_title, saved, none, kind_label, …
    classes: Callable[[], dict[str, type]]  #: installed adapter classes by kind
    fields_attr: str  #: ``settings_fields`` or ``account_fields``
    adapter: Callable[[Row], Any]  #: row → adapter instance (for check_connection)
    scoped_rows: Callable[[Scope], sa.Select[Any]]
    scoped_row: Callable[[Scope, int], Row]
    connection_column: Any  #: ``Connection.shop_id`` or ``Connection.account_id``
    problem_column: Any  #: ``SyncProblem.shop_id`` or ``SyncProblem.account_id``
    extra_context: Callable[[Row | None, type | None], dict[str, Any]] = lambda row, cls: {}
    can_add: Callable[[Scope], bool] = lambda scope: True

    # -- helpers ---------------------------------------------------------------------------------------------
    def adapter_class(self, kind: str) -> type | None:
        return self.classes().get(kind)

    def declared(self, cls: type | None) -> tuple[SettingField, ...]:
        return tuple(getattr(cls, self.fields_attr, ()) or ()) if cls is not None else ()

    def shown_settings(self, row: Row, cls: type | None) -> list[tuple[str, str]]:
        """Label → displayable value of each setting; secrets only say whether they are set."""
        stored = stored_secret_names(current_host(), row)
        shown: list[tuple[str, str]] = []
        for setting in self.declared(cls):
            label = i18n.plugin_text(cls, setting.label)
            if setting.secret:
                shown.append((label, _("stored (hidden)") if setting.name in stored else _("not set")))
                continue
            value = (row.settings or {}).get(setting.name)
            if setting.kind is FieldKind.BOOLEAN:
                text = _("Yes") if value else _("No")
            elif setting.kind is FieldKind.CHOICE:
                text = next((i18n.plugin_text(cls, t) for v, t in setting.choices if v == value), str(value or ""))
            else:
                text = "" if value is None else str(value)
            shown.append((label, text or "—"))
        return shown

    def render_detail(self, row: Row, check: CheckOutcome | None = None, status: int = 200) -> Any:
        cls = self.adapter_class(row.kind)
        scope = current_scope()
        connections = db.session.execute(scope.connections().where(self.connection_column == row.id)).scalars().all()
        problems = db.session.execute(
            scope.problems().where(self.problem_column == row.id, SyncProblem.resolved_at.is_(None))
            .order_by(SyncProblem.last_seen.desc()).limit(20)).scalars().all()
        return render_template(
            "mb/settings/detail.html", pages=self, row=row, cls=cls, settings=self.shown_settings(row, cls),
            connections=connections, problems=problems, check=check, action=PostForm(),
            **self.extra_context(row, cls)), status

    # -- views -----------------------------------------------------------------------------------------------
    def index(self) -> Any:
        scope = current_scope()
        rows = db.session.execute(self.scoped_rows(scope)).scalars().all()
        open_counts = dict(db.session.execute(
            sa.select(self.problem_column, sa.func.count()).where(
                SyncProblem.resolved_at.is_(None), self.problem_column.is_not(None))
            .group_by(self.problem_column)).all())
        return render_template("mb/settings/list.html", pages=self, rows=rows, open_counts=open_counts,
                               classes=self.classes(), can_add=self.can_add(scope))

    def choose(self) -> Any:
        if not self.can_add(current_scope()):
            abort(403)
        classes = self.classes()
        if len(classes) == 1 and not self.extra_context(None, next(iter(classes.values()))).get("authorize_url"):
            return redirect(url_for(f"{self.name}.new", kind=next(iter(classes))))
        options = [(kind, cls, self.extra_context(None, cls)) for kind, cls in sorted(
            classes.items(), key=lambda item: str(item[1].label).lower())]
        return render_template("mb/settings/choose.html", pages=self, options=options)

    def new(self, kind: str) -> Any:
        if not self.can_add(current_scope()):
            abort(403)
        cls = self.adapter_class(kind)
        if cls is None:
            abort(404)
        authorize = self.extra_context(None, cls).get("authorize_url")
        if authorize and not self.declared(cls):
            return redirect(authorize)
        form = settings_form(cls, self.declared(cls), data=self._defaults(cls))
        if form.validate_on_submit():
            host = current_host()
            row = self.model(kind=kind, name="", settings={}, created_at=host.clock.now())
            apply_form(host, row, form)
            db.session.add(row)
            db.session.commit()
            flash(str(self.texts["saved"]), "success")
            return redirect(url_for(f"{self.name}.detail", row_id=row.id))
        status = 400 if request.method == "POST" else 200
        return render_template("mb/settings/form.html", pages=self, form=form, cls=cls, row=None,
                               **self.extra_context(None, cls)), status

    def detail(self, row_id: int) -> Any:
        return self.render_detail(self.scoped_row(current_scope(), row_id))

    def edit(self, row_id: int) -> Any:
        row = self.scoped_row(current_scope(), row_id)
        cls = self.adapter_class(row.kind)
        if cls is None:
            abort(404)
        host = current_host()
        kept = stored_secret_names(host, row)
        data = {"name": row.name, **(row.settings or {})}
        form = settings_form(cls, self.declared(cls), kept_secrets=kept, data=data)
        if form.validate_on_submit():
            apply_form(host, row, form)
            db.session.commit()
            flash(str(self.texts["saved"]), "success")
            return redirect(url_for(f"{self.name}.detail", row_id=row.id))
        status = 400 if request.method == "POST" else 200
        return render_template("mb/settings/form.html", pages=self, form=form, cls=cls, row=row, kept=kept,
                               **self.extra_context(row, cls)), status

    def check(self, row_id: int) -> Any:
        row = self.scoped_row(current_scope(), row_id)
        if self.adapter_class(row.kind) is None:
            abort(404)
        outcome = run_check(lambda: self.adapter(row), row)
        return self.render_detail(row, check=outcome)

    def _defaults(self, cls: type) -> dict[str, Any]:
        return {f.name: f.default for f in self.declared(cls) if f.default is not None and not f.secret}

    def register(self, bp: Blueprint) -> None:
        """Mount the five views on ``bp``."""
        bp.add_url_rule("/", "index", self.index)
        bp.add_url_rule("/new", "choose", self.choose)
        bp.add_url_rule("/new/<kind>", "new", self.new, methods=["GET", "POST"])
        bp.add_url_rule("/<int:row_id>", "detail", self.detail)
        bp.add_url_rule("/<int:row_id>/edit", "edit", self.edit, methods=["GET", "POST"])
        bp.add_url_rule("/<int:row_id>/check", "check", self.check, methods=["POST"])

