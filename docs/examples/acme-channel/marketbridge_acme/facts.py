# marketbridge_acme/facts.py
"""What Acme Market documents about its API, in one place for the adapter and the emulator."""
from __future__ import annotations

API_URL = "https://api.acme-market.example"
#: Requests per second and burst size per API token (Acme's "Rate limits" page).
RATE, BURST = 5.0, 20.0
#: Most orders per ``listOrders`` page; most items per ``updateStock`` call.
PAGE_SIZE, STOCK_BATCH = 100, 50
#: The carrier codes ``createShipment`` accepts; ``OTHER`` needs a ``carrier_name``.
CARRIERS = frozenset({"DHL", "DPD", "GLS", "HERMES", "UPS", "OTHER"})
#: Token scopes the plugin needs, and what for.
SCOPES = {"orders:read": "import orders", "orders:write": "confirm shipments and cancellations",
          "stock:write": "update stock"}
#: Acme's order statuses and the canonical status each one means.
STATUSES = {"awaiting_payment": "pending", "ready_to_ship": "unshipped", "partially_shipped": "partially_shipped",
            "shipped": "shipped", "cancelled": "cancelled"}
#: The statuses ``listOrders`` returns for ``status=open``.
OPEN_STATUSES = frozenset({"awaiting_payment", "ready_to_ship", "partially_shipped"})
