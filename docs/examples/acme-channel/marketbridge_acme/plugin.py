# marketbridge_acme/plugin.py
"""The module the ``marketbridge`` entry point names: every hook of the Acme plugin."""
from __future__ import annotations

from typing import TYPE_CHECKING

from marketbridge import hookimpl
from marketbridge.adapters import ChannelAdapter
from marketbridge.decisions import Hold
from marketbridge.order import Order

from marketbridge_acme.adapter import AcmeChannel

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask


@hookimpl
def register_channels() -> list[type[ChannelAdapter]]:
    """Hand the host the Acme channel adapter (``kind = "acme"``)."""
    return [AcmeChannel]


@hookimpl
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Mount ``POST /acme/webhooks/<account id>``, where Acme announces order changes."""
    from marketbridge_acme.webhooks import blueprint

    return [blueprint()]


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``marketbridge acme-check ACCOUNT_ID``."""
    from marketbridge_acme.commands import add_commands

    add_commands(cli)


@hookimpl
def order_import(order: Order) -> Hold | None:
    """Hold Acme business orders without a VAT id: they must not be invoiced free of VAT.

    Receives every order of every marketplace before it reaches the shop (the
    hook's ``context`` argument is not needed, so it is left out), and looks
    at Acme's only. Returns ``None`` or a :class:`Hold`, which is lifted by
    itself once the buyer adds the VAT id.
    """
    if order.marketplace != AcmeChannel.kind or not order.flags.business or order.buyer.vat_number:
        return None
    return Hold("acme_vat_id_missing", "Acme business order {order} has no VAT id. It is imported as soon as "
                "the buyer adds one on Acme.", {"order": order.marketplace_order_id})
