"""Ecwid (Lightspeed E-Series) shop plugin for Marketbridge.

* :mod:`.adapter` – the :class:`~marketbridge.adapters.ShopAdapter` for Ecwid REST API v3.
* :mod:`.webhooks`, :mod:`.app_payload`, :mod:`.oauth`, :mod:`.signing` – the pure
  pieces of the Ecwid app (signed webhooks, encrypted app-page payload, OAuth
  install, signed admin links) used by the web layer.
* :mod:`.emulator` – a WSGI emulator of the Ecwid API subset the adapter uses,
  for tests and the app's demo mode.
"""
from marketbridge_ecwid.adapter import EcwidShopAdapter

__all__ = ["EcwidShopAdapter"]
