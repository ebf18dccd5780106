"""The ACL privileges the adapter needs, and the webhooks the Marketbridge app subscribes to.

An integration (or the app's integration) with exactly these privileges can do
everything the adapter does; ``tests/test_app_handshake.py`` proves it by running the
adapter with no other privilege. The README lists them for merchants who create an
integration by hand.
"""
from __future__ import annotations

READ = ("order", "order_line_item", "order_address", "order_customer", "order_delivery", "order_delivery_position",
        "order_transaction", "product", "state_machine", "state_machine_state", "state_machine_transition",
        "state_machine_history", "sales_channel", "currency", "country", "country_state", "salutation",
        "payment_method", "shipping_method", "custom_field_set", "custom_field", "custom_field_set_relation", "tag",
        "language")
CREATE = ("order", "order_line_item", "order_address", "order_customer", "order_delivery", "order_delivery_position",
          "order_transaction", "tag", "custom_field_set", "custom_field", "custom_field_set_relation",
          "state_machine_history")
UPDATE = ("order", "order_delivery", "order_transaction")

PRIVILEGES: frozenset[str] = frozenset(
    [f"{e}:read" for e in READ] + [f"{e}:create" for e in CREATE] + [f"{e}:update" for e in UPDATE])

_MACHINE_STATES = {
    "order.state": ("open", "in_progress", "completed", "cancelled"),
    "order_delivery.state": ("open", "shipped", "shipped_partially", "returned", "returned_partially", "cancelled"),
    "order_transaction.state": ("open", "paid", "paid_partially", "authorized", "refunded", "refunded_partially",
                                "cancelled", "chargeback"),
}

#: Webhook events of the app: every state entered, stock written, and the app's lifecycle.
WEBHOOK_EVENTS: tuple[str, ...] = (
    *(f"state_enter.{machine}.{state}" for machine, states in _MACHINE_STATES.items() for state in states),
    "product.written", "app.activated", "app.deactivated", "app.deleted",
)
