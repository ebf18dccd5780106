"""Emulator of the Magento 2.4 admin REST subset the adapter uses (tests and demo mode).

    from marketbridge_magento.emulator import MagentoEmulator

    emulator = MagentoEmulator(clock=clock)
    emulator.seed_demo()
    with emulator.serve() as server:
        ...  # settings {"url": server.url}, secrets = the emulator's four integration keys
"""
from marketbridge_magento.emulator.app import MagentoEmulator
from marketbridge_magento.emulator.shop import ApiError, MagentoShop

__all__ = ["ApiError", "MagentoEmulator", "MagentoShop"]
