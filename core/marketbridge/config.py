"""Settings, their defaults, and where they come from.

Every setting can be given as an environment variable with the prefix
``MARKETBRIDGE_`` (``MARKETBRIDGE_DATABASE_URL=postgresql://…``) or in the
mapping passed to :func:`marketbridge.app.create_app`.

==================  ============================================================
Setting             Meaning (default)
==================  ============================================================
DATABASE_URL        SQLAlchemy URL (``sqlite:///<instance>/marketbridge.sqlite``)
INSTANCE_PATH       folder for the SQLite file, keys and the job queue (``./instance``)
SECRET_KEY          session signing key (random, kept in the instance folder)
ENCRYPTION_KEYS     Fernet keys for credentials, newest first (instance file)
JOBS                job backend: ``sqlite`` (embedded, default), ``redis://…``,
                    ``postgresql://…`` or ``immediate`` (run inline; tests)
JOBS_QUEUE          queue name on a shared Redis/PostgreSQL (``marketbridge``)
TICK_SECONDS        how often the scheduler looks for due work (5)
PII_RETENTION_DAYS  days after shipment before buyer data is erased (30, D1)
HTTP_TIMEOUT        seconds before a remote call times out (30)
DEMO                start the demo (emulators, demo connection, order stream)
DEMO_SHOP           the shop platform the demo uses (default: the first installed of shopware, ecwid, …)
DEMO_CHANNEL        the marketplace channel the demo uses (default: amazon when installed)
==================  ============================================================
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "JOBS": "sqlite",
    "JOBS_QUEUE": "marketbridge",
    "TICK_SECONDS": 5,
    "PII_RETENTION_DAYS": 30,
    "HTTP_TIMEOUT": 30.0,
    "DEMO": False,
    "LANGUAGES": ("en", "fr", "de"),
    "BABEL_DEFAULT_LOCALE": "en",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}


def instance_path(configured: str | None = None) -> str:
    """The instance folder, created if missing."""
    path = Path(configured or os.environ.get("MARKETBRIDGE_INSTANCE_PATH") or "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)
