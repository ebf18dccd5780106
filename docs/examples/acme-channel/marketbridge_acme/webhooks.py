# marketbridge_acme/webhooks.py
"""Acme's order notifications: a signed webhook that makes the account's connections run now.

Acme posts ``{"event": "order.updated", "order_id": "…"}`` to the address the
merchant enters in Acme Seller Hub → Settings → Notifications, signed with
``X-Acme-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the webhook
secret>``. A notification is only a nudge: its body is not trusted, the orders
are read through the API as always, so webhooks and polling never disagree
and a replayed notification costs one cycle, nothing more.
"""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import Blueprint, Response, request

from marketbridge.host import current_host
from marketbridge.jobs import enqueue_connection
from marketbridge.models import Connection, MarketplaceAccount, db
from marketbridge.web import csrf

SIGNATURE_HEADER = "X-Acme-Signature"


def signature(secret: str, body: bytes) -> str:
    """The ``X-Acme-Signature`` value Acme sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def blueprint() -> Blueprint:
    """The ``acme`` blueprint: one machine endpoint, protected by its signature instead of a login."""
    bp = Blueprint("acme", __name__, url_prefix="/acme")
    bp.add_url_rule("/webhooks/<int:account_id>", "webhook", csrf.exempt(receive), methods=["POST"])
    return bp


def receive(account_id: int) -> Response:
    """``POST /acme/webhooks/<account id>``: 401 unsigned, 403 wrongly signed, else 204 and a cycle per connection."""
    given = request.headers.get(SIGNATURE_HEADER)
    if not given:
        return Response("unsigned", status=401)
    account = db.session.get(MarketplaceAccount, account_id)
    secret = current_host().open(account.secrets).get("webhook_secret") if account and account.kind == "acme" else None
    if not secret or not hmac.compare_digest(signature(secret, request.get_data()), given):
        return Response("bad signature", status=403)
    for connection_id in db.session.execute(sa.select(Connection.id).where(
            Connection.account_id == account_id, Connection.active.is_(True))).scalars():
        enqueue_connection(connection_id)
    return Response(status=204)
