"""A WSGI emulator of the Ecwid REST API v3 subset Marketbridge uses (tests and demo mode).

::

    from marketbridge_ecwid.emulator import EcwidEmulator

    emulator = EcwidEmulator(clock=clock).seed_demo()
    with emulator.serve() as server:
        settings = {"store_id": str(emulator.store_id), "api_url": server.url + "/api/v3"}
        secrets = {"access_token": emulator.token}
"""
from marketbridge_ecwid.emulator.app import ALL_SCOPES, EcwidEmulator
from marketbridge_ecwid.emulator.outbox import AppClientSession, InstalledApp, WebhookCall

__all__ = ["ALL_SCOPES", "AppClientSession", "EcwidEmulator", "InstalledApp", "WebhookCall"]
