"""Magento 2 / Adobe Commerce shop plugin for Marketbridge.

* :mod:`.adapter` – :class:`MagentoShopAdapter`, the ``ShopAdapter`` the host registers.
* :mod:`.client` – authenticated REST calls (OAuth 1.0a or bearer) and error translation.
* :mod:`.emulator` – a WSGI emulator of the REST subset the adapter uses (tests, demo mode).
"""
