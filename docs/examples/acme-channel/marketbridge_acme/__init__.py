# marketbridge_acme/__init__.py
"""Marketbridge channel plugin for Acme Market, the fictional marketplace of the plugin guide."""
