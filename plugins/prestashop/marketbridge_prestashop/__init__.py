"""Marketbridge plugin for PrestaShop 8 shops: Webservice adapter and emulator.

The host finds it through the ``marketbridge`` entry point (:mod:`.plugin`);
import :class:`marketbridge_prestashop.adapter.PrestaShopAdapter` or
:class:`marketbridge_prestashop.emulator.PrestaShopEmulator` directly in tests.
"""
