"""A PrestaShop 8 Webservice emulator for tests and the app's demo mode.

::

    from marketbridge_prestashop.emulator import PrestaShopEmulator, DEMO_KEY

    shop = PrestaShopEmulator(clock=FakeClock())
    shop.seed_demo()
    with shop.serve() as server:
        requests.get(server.url + "/api/products", auth=(DEMO_KEY, ""))
"""
from marketbridge_prestashop.emulator.app import DEMO_KEY, KeyAccount, PrestaShopEmulator

__all__ = ["DEMO_KEY", "KeyAccount", "PrestaShopEmulator"]
