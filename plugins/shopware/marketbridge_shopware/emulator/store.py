"""The emulator's data: entities by name and id, their associations, and how they read.

Records are plain dicts in Shopware's camelCase field names, keyed by the
snake_case entity name used inside payloads (``order_line_item``). Associations
are declared once in :data:`ASSOCIATIONS` and serve the ``associations`` part of
a search criteria, dotted filter paths (``stateMachineState.technicalName``) and
nested writes alike.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

AssocKind = Literal["fk", "one", "many", "m2m"]


@dataclass(frozen=True)
class Assoc:
    """One association: ``fk`` = local field holds the target id, ``one``/``many`` = the
    target's ``field`` holds this record's id, ``m2m`` = local list field of target ids."""

    entity: str
    kind: AssocKind
    field: str


ASSOCIATIONS: dict[str, dict[str, Assoc]] = {
    "order": {
        "lineItems": Assoc("order_line_item", "many", "orderId"),
        "addresses": Assoc("order_address", "many", "orderId"),
        "billingAddress": Assoc("order_address", "fk", "billingAddressId"),
        "orderCustomer": Assoc("order_customer", "one", "orderId"),
        "deliveries": Assoc("order_delivery", "many", "orderId"),
        "transactions": Assoc("order_transaction", "many", "orderId"),
        "stateMachineState": Assoc("state_machine_state", "fk", "stateId"),
        "currency": Assoc("currency", "fk", "currencyId"),
        "salesChannel": Assoc("sales_channel", "fk", "salesChannelId"),
        "tags": Assoc("tag", "m2m", "tagIds"),
    },
    "order_line_item": {
        "order": Assoc("order", "fk", "orderId"),
        "product": Assoc("product", "fk", "productId"),
    },
    "order_delivery": {
        "order": Assoc("order", "fk", "orderId"),
        "shippingMethod": Assoc("shipping_method", "fk", "shippingMethodId"),
        "shippingOrderAddress": Assoc("order_address", "fk", "shippingOrderAddressId"),
        "stateMachineState": Assoc("state_machine_state", "fk", "stateId"),
        "positions": Assoc("order_delivery_position", "many", "orderDeliveryId"),
    },
    "order_delivery_position": {
        "orderDelivery": Assoc("order_delivery", "fk", "orderDeliveryId"),
        "orderLineItem": Assoc("order_line_item", "fk", "orderLineItemId"),
    },
    "order_transaction": {
        "order": Assoc("order", "fk", "orderId"),
        "paymentMethod": Assoc("payment_method", "fk", "paymentMethodId"),
        "stateMachineState": Assoc("state_machine_state", "fk", "stateId"),
    },
    "order_address": {"country": Assoc("country", "fk", "countryId"), "order": Assoc("order", "fk", "orderId")},
    "order_customer": {"order": Assoc("order", "fk", "orderId")},
    "product": {
        "parent": Assoc("product", "fk", "parentId"),
        "children": Assoc("product", "many", "parentId"),
        "tax": Assoc("tax", "fk", "taxId"),
    },
    "state_machine": {
        "states": Assoc("state_machine_state", "many", "stateMachineId"),
        "transitions": Assoc("state_machine_transition", "many", "stateMachineId"),
    },
    "state_machine_state": {"stateMachine": Assoc("state_machine", "fk", "stateMachineId")},
    "state_machine_transition": {
        "stateMachine": Assoc("state_machine", "fk", "stateMachineId"),
        "fromStateMachineState": Assoc("state_machine_state", "fk", "fromStateId"),
        "toStateMachineState": Assoc("state_machine_state", "fk", "toStateId"),
    },
    "state_machine_history": {
        "stateMachine": Assoc("state_machine", "fk", "stateMachineId"),
        "fromStateMachineState": Assoc("state_machine_state", "fk", "fromStateId"),
        "toStateMachineState": Assoc("state_machine_state", "fk", "toStateId"),
    },
    "custom_field_set": {
        "customFields": Assoc("custom_field", "many", "customFieldSetId"),
        "relations": Assoc("custom_field_set_relation", "many", "customFieldSetId"),
    },
    "country": {"states": Assoc("country_state", "many", "countryId")},
    "country_state": {"country": Assoc("country", "fk", "countryId")},
    "sales_channel": {
        "language": Assoc("language", "fk", "languageId"),
        "currency": Assoc("currency", "fk", "currencyId"),
    },
}

#: Every entity the emulator serves (URL names are the kebab-case forms).
KNOWN_ENTITIES = frozenset({
    "order", "order_line_item", "order_address", "order_customer", "order_delivery", "order_delivery_position",
    "order_transaction", "product", "state_machine", "state_machine_state", "state_machine_transition",
    "state_machine_history", "custom_field_set", "custom_field", "custom_field_set_relation", "tag", "currency",
    "country", "country_state", "salutation", "language", "sales_channel", "payment_method", "shipping_method", "tax",
})

#: Product fields a variant inherits from its parent when its own value is null
#: (read with the ``sw-inheritance: 1`` header).
INHERITED_PRODUCT_FIELDS = (
    "name", "active", "weight", "width", "height", "length", "ean", "isCloseout", "taxId", "price",
    "manufacturerNumber", "minPurchase", "maxPurchase", "shippingFree",
)

#: Fields that only exist to hold associations in memory, never serialised.
_HIDDEN = frozenset({"tagIds"})


def kebab(entity: str) -> str:
    """``order_line_item`` → ``order-line-item`` (the URL form)."""
    return entity.replace("_", "-")


def snake(url_name: str) -> str:
    """``order-line-item`` → ``order_line_item`` (the payload form)."""
    return url_name.replace("-", "_")


class EntityStore:
    """All records of one emulated shop."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    # -- raw access ---------------------------------------------------------
    def put(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        self.tables[entity][record["id"]] = record
        return record

    def get(self, entity: str, record_id: str | None) -> dict[str, Any] | None:
        if record_id is None:
            return None
        return self.tables[entity].get(record_id)

    def all(self, entity: str) -> list[dict[str, Any]]:
        return list(self.tables[entity].values())

    def find(self, entity: str, **equals: Any) -> list[dict[str, Any]]:
        return [r for r in self.all(entity) if all(r.get(k) == v for k, v in equals.items())]

    def first(self, entity: str, **equals: Any) -> dict[str, Any] | None:
        found = self.find(entity, **equals)
        return found[0] if found else None

    # -- reading ------------------------------------------------------------
    def view(self, entity: str, record: dict[str, Any], inherit: bool) -> dict[str, Any]:
        """The record as the API reads it (variants inherit null fields with ``inherit``)."""
        if entity != "product" or not inherit or not record.get("parentId"):
            return record
        parent = self.get("product", record["parentId"])
        if parent is None:
            return record
        merged = dict(record)
        for name in INHERITED_PRODUCT_FIELDS:
            if merged.get(name) is None:
                merged[name] = parent.get(name)
        return merged

    def related(self, entity: str, record: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
        """Records reached through association ``name``; ``None`` when ``name`` is no association."""
        assoc = ASSOCIATIONS.get(entity, {}).get(name)
        if assoc is None:
            return None
        if assoc.kind == "fk":
            target = self.get(assoc.entity, record.get(assoc.field))
            return [target] if target is not None else []
        if assoc.kind == "m2m":
            return [t for t in (self.get(assoc.entity, i) for i in record.get(assoc.field) or []) if t is not None]
        return [r for r in self.all(assoc.entity) if r.get(assoc.field) == record["id"]]

    def values(self, entity: str, record: dict[str, Any], path: str, inherit: bool) -> list[Any]:
        """Every value ``path`` (dotted, through associations and JSON fields) reaches."""
        parts = path.split(".")
        if parts[0] == entity and len(parts) > 1:
            parts = parts[1:]
        return self._walk(entity, self.view(entity, record, inherit), parts, inherit)

    def _walk(self, entity: str, record: dict[str, Any], parts: list[str], inherit: bool) -> list[Any]:
        head, rest = parts[0], parts[1:]
        related = self.related(entity, record, head)
        if related is not None:
            if not rest:
                return [r["id"] for r in related]
            target = ASSOCIATIONS[entity][head].entity
            out: list[Any] = []
            for item in related:
                out.extend(self._walk(target, self.view(target, item, inherit), rest, inherit))
            return out
        value: Any = record.get(head)
        for key in rest:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, list):
            return list(value)
        return [value]

    def serialize(self, entity: str, record: dict[str, Any], associations: dict[str, Any] | None,
                  inherit: bool) -> dict[str, Any]:
        """The record as simple JSON, with the requested associations nested."""
        data = {k: copy.deepcopy(v) for k, v in self.view(entity, record, inherit).items() if k not in _HIDDEN}
        for name, sub in (associations or {}).items():
            assoc = ASSOCIATIONS.get(entity, {}).get(name)
            if assoc is None:
                continue
            nested = self.related(entity, record, name) or []
            sub_assocs = (sub or {}).get("associations") if isinstance(sub, dict) else None
            items = [self.serialize(assoc.entity, item, sub_assocs, inherit) for item in nested]
            data[name] = items if assoc.kind in ("many", "m2m") else (items[0] if items else None)
        data["apiAlias"] = entity
        return data
