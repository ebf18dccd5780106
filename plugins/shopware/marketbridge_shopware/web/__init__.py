"""The web side of the Shopware app: registration, webhooks, the embedded admin module, the manifest.

Mounted by the plugin's ``register_blueprints`` hook; see :mod:`.routes` for the routes
and :mod:`.config` for the settings.
"""
from marketbridge_shopware.web.routes import make_blueprint

__all__ = ["make_blueprint"]
