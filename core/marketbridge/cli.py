"""The ``marketbridge`` command line.

``marketbridge run`` starts everything in one process (SQLite, embedded
worker); ``marketbridge worker`` runs a worker for the scale-out setup;
``marketbridge plugins`` lists what is installed. Plugins add commands
through the ``register_commands`` hook.
"""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from marketbridge.errors import ConfigurationError
from marketbridge.plugins import describe_plugins, make_plugin_manager


def _create_app() -> object:
    from marketbridge.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """Marketbridge: connect your shop to marketplaces."""


@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include core's built-in default policies.")
def plugins_command(show_all: bool) -> None:
    """List installed plugins, their versions and the hooks they implement."""
    rows = [
        {"name": p.name, "version": p.version, "hooks": list(p.hooks)}
        for p in describe_plugins(make_plugin_manager())
        if show_all or not p.builtin
    ]
    click.echo(json.dumps(rows, indent=2))


@cli.command("upgrade")
@with_appcontext
def upgrade_command() -> None:
    """Create or upgrade the database schema (core and every plugin branch)."""
    from flask_migrate import upgrade

    upgrade(revision="heads")
    click.echo("Database is up to date.")


@cli.command("create-admin")
@click.argument("email")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, password: str) -> None:
    """Create the first administrator (or reset an existing user's password)."""
    from marketbridge.accounts import create_or_reset_user

    create_or_reset_user(email, password, admin=True)
    click.echo(f"Administrator {email} is ready.")


@cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@click.option("--beat/--no-beat", default=False, help="Also run the scheduler (exactly one worker should).")
@with_appcontext
def worker_command(workers: int, beat: bool) -> None:
    """Run a job worker on the configured task engine (scale-out mode)."""
    from huey.consumer import Consumer

    from marketbridge.jobs.runner import Scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = Scheduler(app) if beat else None
    if scheduler is not None:
        scheduler.start()
    Consumer(app.extensions["marketbridge.jobs"].huey, workers=workers, worker_type="thread", periodic=False).run()


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--no-worker", is_flag=True, help="Serve pages only; jobs run in separate workers.")
@with_appcontext
def run_command(host: str, port: int, no_worker: bool) -> None:
    """Upgrade the database, start the embedded worker and serve the pages."""
    from flask_migrate import upgrade
    from waitress import create_server

    from marketbridge.jobs.runner import EmbeddedWorker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:  # take the port first: a second instance stops here, before it starts a worker or a demo
        server = create_server(app, host=host, port=port, threads=8)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port} ({exc.strerror}). Is Marketbridge already "
                                   "running? Stop it, or choose another port with --port.") from None
    upgrade(revision="heads")
    demo = None
    if app.config.get("DEMO"):
        from marketbridge.demo import DemoRuntime

        demo = DemoRuntime(app)
        try:
            click.echo(demo.start())
        except ConfigurationError as exc:
            click.echo(f"Demo not started: {exc}", err=True)
            demo = None
    worker = None if no_worker else EmbeddedWorker(app)
    if worker is not None:
        worker.start()
    click.echo(f"Marketbridge is running on http://{host}:{port}/")
    try:
        server.run()
    finally:
        if worker is not None:
            worker.stop()
        if demo is not None:
            demo.stop()


@cli.command("backfill")
@click.argument("connection_id", type=int)
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Fetch open orders placed since this day (YYYY-MM-DD).")
@with_appcontext
def backfill_command(connection_id: int, since: object) -> None:
    """Move a connection's activation date back and fetch and import the older open orders now (C3)."""
    from datetime import datetime, timezone

    from marketbridge.engine import inbox, pipeline
    from marketbridge.engine.leases import LeaseLost
    from marketbridge.host import current_host
    from marketbridge.models import Connection, SyncCursor, db

    host = current_host()
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        raise click.ClickException(f"There is no connection {connection_id}.")
    assert isinstance(since, datetime)
    start = since.replace(tzinfo=timezone.utc)
    inbox.restart_from(connection, start)
    db.session.commit()
    click.echo(f"Connection {connection.name!r}: the orders window now starts on {start.date().isoformat()}.")
    if not connection.active:
        click.echo("The connection is inactive: the orders are fetched when it is activated.")
        return

    def cursor() -> SyncCursor | None:
        db.session.expire_all()
        return db.session.execute(db.select(SyncCursor).filter_by(
            scope="connection", scope_id=connection_id, stream="orders")).scalar_one_or_none()

    try:
        outcome = inbox.fetch_orders(host, connection_id, force=True)
    except LeaseLost:
        raise click.ClickException("A worker is fetching this connection's orders right now; try again shortly.")
    row = cursor()
    total = (row.progress_total if row is not None else None) or outcome.received
    received = outcome.received
    with click.progressbar(length=max(total, 1), label="Fetching orders") as bar:
        bar.update(min(received, total))
        while outcome.more:
            outcome = inbox.fetch_orders(host, connection_id, force=True)
            received += outcome.received
            bar.update(outcome.received)
    row = cursor()
    if row is not None and row.failures:
        raise click.ClickException(f"Fetching stopped: {row.last_error}")
    created = held = 0
    while True:
        result = pipeline.process_orders(host, connection_id, force=True)
        created += result.created
        held += result.held
        if result.stopped or result.created + result.held + result.waiting + result.skipped + result.duplicates == 0:
            break
    click.echo(f"{received} orders fetched, {created} created in the shop, {held} held.")


@cli.command("test-order")
@click.argument("connection_id", type=int)
@click.argument("value")
@click.option("--country", default=None, help="Two-letter shipping country (default: the connection's).")
@with_appcontext
def test_order_command(connection_id: int, value: str, country: str | None) -> None:
    """Create a test order for one product (C6); it is imported into the shop, never sent to the marketplace."""
    from marketbridge.engine.testorders import TestOrderError, create_test_order
    from marketbridge.host import current_host
    from marketbridge.jobs import enqueue_connection
    from marketbridge.models import Connection, db

    connection = db.session.get(Connection, connection_id)
    if connection is None:
        raise click.ClickException(f"There is no connection {connection_id}.")
    country = (country or connection.country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise click.ClickException("Give the country as two letters, e.g. --country DE.")
    try:
        order = create_test_order(current_host(), connection, value, country)
    except TestOrderError as exc:
        raise click.ClickException(exc.message) from None
    enqueue_connection(connection.id)
    click.echo(f"Test order {order.marketplace_order_id} created (order {order.id}); it goes into the shop like a "
               "real order and is never sent to the marketplace.")


def main() -> None:
    """Entry point of the ``marketbridge`` script."""
    pm = make_plugin_manager()
    pm.hook.register_commands(cli=cli)
    cli.main(args=sys.argv[1:], prog_name="marketbridge")
