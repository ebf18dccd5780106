"""Marketbridge shop plugin ``http_api`` (C10): a shop platform without a plugin of its own talks to
Marketbridge through a small authenticated JSON API.

The shop is passive from Marketbridge's point of view: Marketbridge never calls
it. Orders are *published* into this plugin's own tables, the shop pulls and
acknowledges them, and pushes its statuses, shipments, catalogue, stock and
prices back (see ``README.md`` and ``GET /api/shop/v1/openapi.json``).
"""
