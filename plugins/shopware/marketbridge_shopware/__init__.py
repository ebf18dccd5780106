"""Marketbridge's Shopware 6 plugin: an Admin API shop adapter, the pure pieces of the
Shopware app system (signatures, registration handshake, webhooks, signed admin links)
and an emulator of the Admin API subset the adapter uses.

The host finds this package through the ``marketbridge`` entry-point group
(see :mod:`marketbridge_shopware.plugin`); nothing in core names it.
"""
