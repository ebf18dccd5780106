"""An emulator of the Shopware 6 Admin API subset Marketbridge uses (tests and demo mode).

::

    emulator = ShopwareEmulator(clock=clock)
    emulator.seed_demo()
    integration = emulator.add_integration()
    with emulator.serve() as server:
        ...  # settings {"shop_url": server.url, "client_id": integration.access_key}
"""
from marketbridge_shopware.emulator.app_system import AppInstallError, InstalledApp, WebhookDelivery
from marketbridge_shopware.emulator.server import ShopwareEmulator

__all__ = ["AppInstallError", "InstalledApp", "ShopwareEmulator", "WebhookDelivery"]
