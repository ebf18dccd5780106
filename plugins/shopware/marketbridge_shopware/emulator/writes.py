"""Entity writes as the DAL performs them: nested payloads, NotBlank validation, primary and
foreign keys, read-only derived fields, and the stock side effects of order line items.

A write is all or nothing: every record of a nested payload is checked before any is
stored, exactly as the DAL runs one transaction per request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from marketbridge_shopware.emulator import errors
from marketbridge_shopware.emulator.seed import LIVE_VERSION
from marketbridge_shopware.emulator.store import ASSOCIATIONS, EntityStore
from marketbridge_shopware.ids import is_id, random_id

#: Fields the DAL refuses to leave blank on insert (Required flag), per entity.
REQUIRED: dict[str, tuple[str, ...]] = {
    "order": ("billingAddressId", "currencyId", "languageId", "salesChannelId", "orderDateTime", "currencyFactor",
              "stateId", "itemRounding", "totalRounding", "price"),
    "order_line_item": ("identifier", "quantity", "label", "price"),
    "order_address": ("countryId", "firstName", "lastName", "street", "city"),
    "order_customer": ("email", "firstName", "lastName"),
    "order_delivery": ("stateId", "shippingMethodId", "shippingOrderAddressId", "shippingDateEarliest",
                       "shippingDateLatest"),
    "order_delivery_position": ("orderLineItemId",),
    "order_transaction": ("paymentMethodId", "amount", "stateId"),
    "custom_field_set": ("name",),
    "custom_field": ("name", "type"),
    "custom_field_set_relation": ("entityName",),
    "tag": ("name",),
    "product": ("productNumber", "stock"),
}

#: (entity, field) → referenced entity: the database's foreign keys.
FOREIGN_KEYS: dict[tuple[str, str], str] = {
    ("order", "currencyId"): "currency", ("order", "languageId"): "language",
    ("order", "salesChannelId"): "sales_channel", ("order", "stateId"): "state_machine_state",
    ("order", "billingAddressId"): "order_address",
    ("order_line_item", "productId"): "product",
    ("order_address", "countryId"): "country", ("order_address", "countryStateId"): "country_state",
    ("order_address", "salutationId"): "salutation", ("order_customer", "salutationId"): "salutation",
    ("order_delivery", "stateId"): "state_machine_state", ("order_delivery", "shippingMethodId"): "shipping_method",
    ("order_delivery", "shippingOrderAddressId"): "order_address",
    ("order_delivery_position", "orderLineItemId"): "order_line_item",
    ("order_transaction", "stateId"): "state_machine_state",
    ("order_transaction", "paymentMethodId"): "payment_method",
    ("product", "parentId"): "product", ("product", "taxId"): "tax",
}

VERSIONED = frozenset({"order", "order_line_item", "order_address", "order_customer", "order_delivery",
                       "order_delivery_position", "order_transaction", "product"})
DATETIME_FIELDS = ("orderDateTime", "shippingDateEarliest", "shippingDateLatest")


def shopware_time(when: datetime) -> str:
    """A datetime as the API prints it: ``2026-11-02T09:00:00.000+00:00``."""
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+00:00"


def _normal_time(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return value
    return shopware_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc))


@dataclass
class Pending:
    entity: str
    record: dict[str, Any]
    pointer: str
    upsert: bool = False


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Writer:
    """Performs inserts and updates on one store."""

    def __init__(self, store: EntityStore) -> None:
        self.store = store

    def _flatten(self, entity: str, payload: dict[str, Any], pointer: str, now: str,
                 link: tuple[str, str] | None = None, upsert: bool = False) -> list[Pending]:
        if not isinstance(payload, dict):
            raise errors.single(400, "FRAMEWORK__WRITE_MALFORMED_INPUT", "Expected an object.", pointer=pointer)
        assocs = ASSOCIATIONS.get(entity, {})
        record = {k: v for k, v in payload.items() if k not in assocs}
        record["id"] = record.get("id") or random_id()
        if not is_id(record["id"]):
            raise errors.single(400, "FRAMEWORK__INVALID_UUID", f'Value "{record["id"]}" is not a valid uuid.',
                                pointer=f"{pointer}/id")
        if link:
            record[link[0]] = link[1]
        out: list[Pending] = []
        for name, value in payload.items():
            assoc = assocs.get(name)
            if assoc is None or value is None:
                continue
            if assoc.kind == "fk":
                children = self._flatten(assoc.entity, value, f"{pointer}/{name}", now, upsert=True)
                record[assoc.field] = children[0].record["id"]
                out.extend(children)
            elif assoc.kind == "m2m":
                ids = []
                for i, item in enumerate(value):
                    children = self._flatten(assoc.entity, item, f"{pointer}/{name}/{i}", now, upsert=True)
                    ids.append(children[0].record["id"])
                    out.extend(children)
                record[assoc.field] = ids
            else:
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    where = f"{pointer}/{name}/{i}" if isinstance(value, list) else f"{pointer}/{name}"
                    out.extend(self._flatten(assoc.entity, item, where, now, link=(assoc.field, record["id"])))
        for field in DATETIME_FIELDS:
            if field in record:
                record[field] = _normal_time(record[field])
        record.update(createdAt=now, updatedAt=None)
        if entity in VERSIONED:
            record.setdefault("versionId", LIVE_VERSION)
        return [Pending(entity, record, pointer, upsert), *out]

    def insert(self, entity: str, payload: dict[str, Any], now: str) -> dict[str, Any]:
        """Insert ``payload`` with its nested associations; returns the stored root record."""
        pending = self._flatten(entity, payload, "/0", now)
        fresh = [p for p in pending if not (p.upsert and self.store.get(p.entity, p.record["id"]))]
        blanks = [f"{p.pointer}/{f}" for p in fresh for f in REQUIRED.get(p.entity, ()) if _blank(p.record.get(f))]
        if blanks:
            raise errors.blank(blanks)
        for p in fresh:
            if not p.upsert and self.store.get(p.entity, p.record["id"]) is not None:
                raise errors.sql_failure(
                    f"SQLSTATE[23000]: Integrity constraint violation: 1062 Duplicate entry "
                    f"'{p.record['id']}-{LIVE_VERSION}' for key '{p.entity}.PRIMARY'")
        known = {(p.entity, p.record["id"]) for p in pending}
        for p in fresh:
            for field, value in p.record.items():
                target = FOREIGN_KEYS.get((p.entity, field))
                if target and value is not None and (target, value) not in known and self.store.get(target, value) is None:
                    column = "".join("_" + c.lower() if c.isupper() else c for c in field)
                    raise errors.sql_failure(
                        "SQLSTATE[23000]: Integrity constraint violation: 1452 Cannot add or update a child row: a "
                        f"foreign key constraint fails (`shopware`.`{p.entity}`, CONSTRAINT `fk.{p.entity}.{column}` "
                        f"FOREIGN KEY (`{column}`) REFERENCES `{target}` (`id`))")
        for p in fresh:
            self._derive(p.entity, p.record)
            self.store.put(p.entity, p.record)
        return pending[0].record

    def update(self, entity: str, record_id: str, payload: dict[str, Any], now: str) -> tuple[dict[str, Any], list[str]]:
        """PATCH semantics: merge plain fields, stamp ``updatedAt``; returns record and changed fields."""
        record = self.store.get(entity, record_id)
        if record is None:
            raise errors.not_found(entity, record_id)
        assocs = ASSOCIATIONS.get(entity, {})
        changed = []
        for key, value in payload.items():
            if key == "id" or key in assocs:
                continue
            if key in DATETIME_FIELDS:
                value = _normal_time(value)
            if record.get(key) != value:
                changed.append(key)
            record[key] = value
        record["updatedAt"] = now
        self._derive(entity, record)
        return record, [*changed, "updatedAt"]

    @staticmethod
    def _derive(entity: str, record: dict[str, Any]) -> None:
        """Read-only fields Shopware computes from the written ones."""
        if entity == "order":
            price = record.get("price") or {}
            record["amountTotal"] = price.get("totalPrice")
            record["amountNet"] = price.get("netPrice")
            record["positionPrice"] = price.get("positionPrice")
            record["taxStatus"] = price.get("taxStatus")
            record["shippingTotal"] = (record.get("shippingCosts") or {}).get("totalPrice")
            record["orderDate"] = str(record.get("orderDateTime") or "")[:10]
            record.setdefault("tagIds", [])
        elif entity == "order_line_item":
            price = record.get("price") or {}
            record["unitPrice"] = price.get("unitPrice")
            record["totalPrice"] = price.get("totalPrice")
            record.setdefault("states", [])
            record.setdefault("children", [])
            record.setdefault("good", record.get("type") == "product")
        elif entity == "product":
            record["availableStock"] = record.get("stock")
            record["available"] = (record.get("stock") or 0) > 0 or not record.get("isCloseout")
        elif entity == "order_delivery":
            record.setdefault("trackingCodes", [])
