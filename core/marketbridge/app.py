"""The app factory: settings, database, plugins, host, pages and jobs in one place."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate

from marketbridge.clock import Clock, SystemClock
from marketbridge.config import DEFAULTS, instance_path
from marketbridge.crypto import SecretBox, load_keys, load_or_create_secret
from marketbridge.host import Host
from marketbridge.logging_setup import install as install_logging
from marketbridge.models import db
from marketbridge.plugins import AdapterRegistry, make_plugin_manager

MIGRATIONS = str(Path(__file__).parent / "migrations")
migrate = Migrate()


@migrate.configure
def _plugin_branches(alembic_config: Any) -> Any:
    """Let Alembic see every plugin's migration branch (``register_migrations`` hook)."""
    from flask import current_app

    locations = current_app.config.get("MIGRATION_LOCATIONS")
    if locations:
        alembic_config.set_main_option("version_locations", " ".join(locations))
    return alembic_config


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None, plugins: Iterable[Any] = (),
               load_entrypoints: bool = True) -> Flask:
    """Build the Marketbridge app.

    ``config`` overrides settings (see :mod:`marketbridge.config`); ``clock``
    replaces the wall clock (tests, simulations); ``plugins`` registers extra
    plugin objects (tests); ``load_entrypoints=False`` ignores installed plugins.
    Raises :class:`~marketbridge.errors.ConfigurationError` when a plugin is broken.
    """
    config = dict(config or {})
    path = instance_path(config.get("INSTANCE_PATH"))
    app = Flask("marketbridge", instance_path=path)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("MARKETBRIDGE")
    app.config.update(config)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{Path(path) / 'marketbridge.sqlite'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_url(app.config["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(path, "session.key")
    install_logging()

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)

    pm = make_plugin_manager(load_entrypoints=load_entrypoints, extra=plugins)
    host = Host(pm=pm, registry=AdapterRegistry(pm), clock=clock or SystemClock(),
                box=SecretBox(load_keys(app.config.get("ENCRYPTION_KEYS"), path)),
                http_timeout=float(app.config["HTTP_TIMEOUT"]))
    app.extensions["marketbridge"] = host
    app.config["MIGRATION_LOCATIONS"] = [str(Path(MIGRATIONS) / "versions"), *(
        location for locations in pm.hook.register_migrations() for location in locations or ())]

    from marketbridge import jobs, web

    web.init_app(app)
    for blueprints in pm.hook.register_blueprints(app=app):
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    jobs.init_app(app)
    return app


def _normalise_url(url: str) -> str:
    """Accept ``postgres://`` and plain ``postgresql://`` URLs; use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys on, and waiting (not failing) on a busy file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
