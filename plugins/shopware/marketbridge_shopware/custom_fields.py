"""The typed custom fields Marketbridge stores on every imported order.

A custom field set ``marketbridge`` related to ``order`` makes the fields typed,
visible in the order detail of the Administration and usable in its filters
(NOTES.md "Idempotency and external order reference", option 2). It is created
once with deterministic ids (``POST /api/custom-field-set``, operation
``createCustomFieldSet``); a second attempt finds it and does nothing.
"""
from __future__ import annotations

from typing import Any

from marketbridge.errors import AdapterError

from marketbridge_shopware import errors as sw_errors
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.ids import derived_id
from marketbridge_shopware.queries import equals

SET_NAME = "marketbridge"
EXTERNAL_REF = "marketbridge_external_ref"
MARKETPLACE = "marketbridge_marketplace"
MARKETPLACE_ORDER_ID = "marketbridge_marketplace_order_id"
MARKER = "marketbridge_marker"
PICKUP = "marketbridge_pickup"
PICKUP_STORE = "marketbridge_pickup_store"
CONNECTION = "marketbridge_connection"
TEST_ORDER = "marketbridge_test_order"
STATE_KEY = "shopware.custom_fields_ready"

#: name, type, English label (shown in the order detail)
FIELDS: tuple[tuple[str, str, str], ...] = (
    (EXTERNAL_REF, "text", "Marketplace reference (Marketbridge)"),
    (MARKETPLACE, "text", "Marketplace"),
    (MARKETPLACE_ORDER_ID, "text", "Marketplace order number"),
    (MARKER, "text", "Marketplace badge"),
    (PICKUP, "bool", "Click & Collect"),
    (PICKUP_STORE, "text", "Pickup store"),
    (CONNECTION, "text", "Marketbridge connection"),
    (TEST_ORDER, "bool", "Test order"),
)


def set_payload() -> dict[str, Any]:
    """The ``custom_field_set`` write with its fields and the ``order`` relation."""
    set_id = derived_id("marketbridge", "custom_field_set")
    return {
        "id": set_id, "name": SET_NAME, "active": True, "global": False, "position": 1,
        "config": {"label": {"en-GB": "Marketbridge", "de-DE": "Marketbridge"}, "translated": True},
        "relations": [{"id": derived_id("marketbridge", "relation", "order"), "entityName": "order",
                       "customFieldSetId": set_id}],
        "customFields": [
            {"id": derived_id("marketbridge", "custom_field", name), "name": name, "type": kind, "active": True,
             "customFieldSetId": set_id, "allowCustomerWrite": False, "allowCartExpose": False,
             "config": {"label": {"en-GB": label}, "componentName": "sw-field",
                        "customFieldType": "checkbox" if kind == "bool" else "text",
                        "type": "checkbox" if kind == "bool" else "text", "customFieldPosition": position}}
            for position, (name, kind, label) in enumerate(FIELDS, start=1)
        ],
    }


def ensure(api: AdminApi) -> None:
    """Create the custom field set unless it exists (remembered in the adapter's state).

    Raises ``AuthenticationFailed`` when the integration may not read or create custom
    field sets, ``TemporaryFailure`` when the shop cannot be reached.
    """
    if api.context.state.get(STATE_KEY):
        return
    found = api.search("custom-field-set", {"limit": 1, "filter": [equals("name", SET_NAME)]}, "searchCustomFieldSet")
    if not found:
        response = api.call("POST", "/custom-field-set", "createCustomFieldSet", json=set_payload())
        if response.status_code >= 400:
            raise AdapterError(f"{api.what} refused to create the Marketbridge custom fields: "
                               f"{sw_errors.summary(sw_errors.parse_errors(response))}", code="custom_fields_refused")
    api.context.state.set(STATE_KEY, True)
