# marketbridge_acme/commands.py
"""``marketbridge acme-check ACCOUNT_ID``: check an Acme account's token from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketbridge.errors import MarketbridgeError
from marketbridge.host import current_host
from marketbridge.models import MarketplaceAccount, db


def add_commands(cli: click.Group) -> None:
    """Add the Acme commands to the ``marketbridge`` command line."""

    @cli.command("acme-check")
    @click.argument("account_id", type=int)
    @with_appcontext
    def acme_check(account_id: int) -> None:
        """Check the API token and scopes of Acme Market account ACCOUNT_ID."""
        account = db.session.get(MarketplaceAccount, account_id)
        if account is None or account.kind != "acme":
            raise click.ClickException(f"Account {account_id} is not an Acme Market account.")
        try:
            result = current_host().account_adapter(account).check_connection()
        except MarketbridgeError as exc:  # Acme unreachable or busy: say so, without a traceback
            raise click.ClickException(exc.message) from exc
        for problem in result.problems:
            click.echo(f"✗ {problem}")
        if not result.ok:
            raise click.exceptions.Exit(1)
        click.echo(f"✓ {account.name}: the token works and has every scope Marketbridge needs.")
