"""The plugin's pages and endpoints under ``/prestashop`` (M1, S2, S3).

PrestaShop has no app registration, no admin iframe and no webhooks for
external services. A small module in the shop (README, section 6) signs two
things with the per-shop secret (:mod:`.admin_link`):

``GET /prestashop/open``
    The back-office link. Verified (signature, age, first use), it opens the
    merchant pages signed in for that one shop (``login_embedded``).
    Unsigned → 401, forged/expired/replayed/unknown shop → 403, nothing stored.
``POST /prestashop/notify``
    Optional change notice from the module's ``actionOrderHistoryAddAfter``
    hook. Machine endpoint: CSRF-exempt, signature-verified the same way. The
    notice is only a nudge: the events are read from the Webservice (the shop
    stays the source of truth), recorded with ``ingest_shop_events`` and
    delivered at once (``enqueue_delivery``). Polling continues regardless
    (``pushes_changes`` stays ``False``: a module that is not installed or fails
    must not slow down the safety net).
``GET|POST /prestashop/shops/<id>/back-office``
    Login required. What the integrator enters in the module (entry URL,
    shop id, secret status, PHP code), and a button that creates a new secret
    and shows it once.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from marketbridge.engine.shop_changes import ingest_shop_events
from marketbridge.errors import AdapterError
from marketbridge.host import current_host
from marketbridge.jobs import enqueue_delivery
from marketbridge.models import Shop, User, db
from marketbridge.web import csrf, login_embedded, login_required
from marketbridge.web.scope import current_scope
from marketbridge_prestashop import replay
from marketbridge_prestashop.adapter import PrestaShopAdapter
from marketbridge_prestashop.admin_link import InvalidLink, Unsigned, new_secret, verify_link, verify_notice

log = logging.getLogger(__name__)
bp = Blueprint("prestashop", __name__, url_prefix="/prestashop", template_folder="templates")
SECRET_NAME = "admin_link_secret"


def _shop(raw_id: Any) -> Shop | None:
    """The PrestaShop shop a signed request names (``mb_shop`` is Marketbridge's shop id)."""
    text = str(raw_id or "")
    if not text.isdigit():
        return None
    shop = db.session.get(Shop, int(text))
    return shop if shop is not None and shop.kind == PrestaShopAdapter.kind else None


def _secret(shop: Shop | None) -> str:
    if shop is None:
        return ""
    return str(current_host().open(shop.secrets).get(SECRET_NAME) or "")


def _refused(exc: InvalidLink) -> tuple[str, int]:
    status = 401 if isinstance(exc, Unsigned) else 403
    return render_template("mb/error.html", code=status, title="The link cannot be used",
                           text=f"{exc} Marketbridge did not sign you in."), status


@bp.get("/open")
def open_link() -> Any:
    """Open the merchant pages from a signed back-office link (see :func:`.admin_link.verify_link`)."""
    host = current_host()
    now = host.clock.now()
    shop = _shop(request.args.get("mb_shop"))
    try:
        identity = verify_link(request.args, _secret(shop), now=now)
    except InvalidLink as exc:
        return _refused(exc)
    assert shop is not None  # a verified link names a shop that has a secret
    if not replay.first_use(host, shop.id, identity.signature, identity.issued_at, now):
        if current_user.is_authenticated and current_user.get_id() == f"shop:{shop.id}":
            return redirect(url_for("connections.index"))  # the same browser reloading: already signed in
        return _refused(InvalidLink("This link was already used. Open Marketbridge again from the PrestaShop "
                                    "back office."))
    login_embedded(shop, locale=identity.language, embedded=identity.frame)
    log.info("PrestaShop back-office link opened for shop %s by employee %s", shop.id, identity.employee)
    return redirect(url_for("connections.index"))


@bp.post("/notify")
@csrf.exempt
def notify() -> Any:
    """Read one order's changes now, on a signed notice from the shop's module (see the module doc)."""
    host = current_host()
    now = host.clock.now()
    shop = _shop(request.form.get("mb_shop"))
    try:
        notice = verify_notice(request.form, _secret(shop), now=now)
    except InvalidLink as exc:
        return jsonify({"error": str(exc)}), 401 if isinstance(exc, Unsigned) else 403
    assert shop is not None
    if not replay.first_use(host, shop.id, notice.signature, notice.issued_at, now):
        return jsonify({"error": "This notice was already received."}), 403
    if shop.auth_problem:
        return jsonify({"status": "paused", "detail": "The shop's access is refused; fix it in Marketbridge."}), 202
    adapter = host.shop_adapter(shop)
    assert isinstance(adapter, PrestaShopAdapter)
    try:
        events = adapter.changes_of_order(notice.order_id)
    except AdapterError as exc:
        log.warning("PrestaShop notice for order %s of shop %s not read now (%s); polling reads it",
                    notice.order_id, shop.id, exc.code)
        return jsonify({"status": "later", "detail": "Read by the next poll."}), 202
    outcome = ingest_shop_events(host, shop.id, events)
    for connection_id in sorted(outcome.connections):
        enqueue_delivery(connection_id)
    return jsonify({"status": "ok", "events": len(events), "queued": outcome.queued})


@bp.route("/shops/<int:shop_id>/back-office", methods=["GET", "POST"])
@login_required
def back_office(shop_id: int) -> Any:
    """Set-up of the back-office link and change notices; ``POST`` creates a new secret and shows it once."""
    shop = current_scope().shop(shop_id)
    if shop.kind != PrestaShopAdapter.kind:
        abort(404)
    created: str | None = None
    if request.method == "POST":
        if not isinstance(current_user._get_current_object(), User):  # type: ignore[attr-defined]
            abort(403)  # a session opened by the link itself may not replace the link's secret
        host = current_host()
        secrets = host.open(shop.secrets)
        secrets[SECRET_NAME] = created = new_secret()
        shop.secrets = host.seal(secrets)
        db.session.commit()
    page = render_template("prestashop/back_office.html", shop=shop, created=created,
                           has_secret=bool(_secret(shop)),
                           open_url=url_for("prestashop.open_link", _external=True),
                           notify_url=url_for("prestashop.notify", _external=True))
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
