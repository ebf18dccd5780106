"""The Ecwid API contract as a Swagger 2.0 document, generated from the saved specs in ``specs/ecwid/``.

Ecwid publishes no OpenAPI document (``specs/ecwid/NOTES.md``, "Gap"). The
closest machine-readable reference is the field tables of the official 2020
docs (``api-reference.2020.extract.json``), plus the current docs' examples
(``examples.current.json``) and status enums (``statuses.json``). This module
turns them into a document :class:`~marketbridge.testing.SpecContract` can
check exchanges against:

* each operation's field tables become definitions (``number``, ``string``,
  ``boolean``, ``Array<X>``, ``<X>``, ``Map<string,string>``); fields marked
  ``**bold**`` in a request table are required;
* **responses** allow fields the 2020 tables do not know (the API has grown);
  **requests** allow only documented fields, so the adapter cannot send
  something Ecwid never described;
* :data:`CURRENT_DOCS` overlays what changed since 2020, each entry naming its
  source: string order ids, ``orderid`` in the create answer,
  ``pricesIncludeTax``, ``combinationId``, order extra fields as a list, the
  error body, order statuses, the OAuth token answer, the profile's tax
  settings and a variation's ``defaultDisplayedPrice``.
"""
from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

from marketbridge.testing import SpecContract

SPEC_DIR_ENV = "MARKETBRIDGE_ECWID_SPECS"
STORE = "/api/v3/{storeId}"

#: (key, method, path, section and title in the 2020 extract, request type, response type)
OPERATIONS: tuple[tuple[str, str, str, str | None, str | None, str | None, str], ...] = (
    ("profile", "get", f"{STORE}/profile", "store_profile", "Get store profile", None, "Profile"),
    ("statuses", "get", f"{STORE}/profile/order_statuses", None, None, None, "OrderStatuses"),
    ("search", "get", f"{STORE}/orders", "orders", "Search orders", None, "SearchResult"),
    ("create", "post", f"{STORE}/orders", "orders", "Create order", "Order", "CreateStatus"),
    ("get", "get", f"{STORE}/orders/{{orderId}}", "orders", "Get order details", None, "Order"),
    ("update", "put", f"{STORE}/orders/{{orderId}}", "orders", "Update order", "Order", "UpdateStatus"),
    ("searchProduct", "get", f"{STORE}/products", "products", "Search products", None, "SearchResult"),
    ("getProduct", "get", f"{STORE}/products/{{productId}}", "products", "Get a product", None, "Product"),
    ("token", "get", "/api/oauth/token", None, None, None, "TokenGrant"),
)

#: Required fields of the create-order request ("Required request fields per the page", examples.current.json).
CREATE_REQUIRED = ["subtotal", "total", "email", "paymentStatus", "fulfillmentStatus"]


def _statuses(spec_dir: Path) -> dict[str, list[str]]:
    return json.loads((spec_dir / "statuses.json").read_text(encoding="utf-8"))


def current_docs(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """Changes since the 2020 docs, per definition suffix: ``{"properties": {...}, "required": [...]}``.

    Keys are ``"<Type>"`` (applied to that type in every operation) or
    ``"<operation>.<Type>"``. Sources are given per entry.
    """
    enums = _statuses(spec_dir)
    payment = {"type": "string", "enum": enums["paymentStatus"]}
    fulfillment = {"type": "string", "enum": enums["fulfillmentStatus"]}
    fulfillment_type = {"type": "string", "enum": enums["shippingOption.fulfillmentType"]}
    extra_field = {"type": "object", "properties": {
        "id": {"type": "string"}, "value": {"type": "string"}, "customerInputType": {"type": "string"},
        "title": {"type": "string"}, "orderDetailsDisplaySection": {"type": "string"},
        "orderBy": {"type": "string"}, "showInNotifications": {"type": "boolean"},
        "showInInvoice": {"type": "boolean"}}}
    return {
        # NOTES.md: "Since Sep 2020 id is a string like "EBJFT""; search example: internalId, pricesIncludeTax,
        # extraFields map, orderExtraFields list (2020 example bodies), statuses from statuses.json.
        "OrderEntry": {"properties": {
            "id": {"type": "string"}, "internalId": {"type": "number"}, "pricesIncludeTax": {"type": "boolean"},
            "orderExtraFields": {"type": "array", "items": extra_field},
            "extraFields": {"type": "object", "additionalProperties": {"type": "string"}},
            "paymentStatus": payment, "fulfillmentStatus": fulfillment},
            "required": ["id", "paymentStatus", "fulfillmentStatus", "createTimestamp", "updateTimestamp"]},
        "get.Order": {"properties": {
            "id": {"type": "string"}, "internalId": {"type": "number"}, "pricesIncludeTax": {"type": "boolean"},
            "orderExtraFields": {"type": "array", "items": extra_field},
            "extraFields": {"type": "object", "additionalProperties": {"type": "string"}},
            "paymentStatus": payment, "fulfillmentStatus": fulfillment},
            "required": ["id", "paymentStatus", "fulfillmentStatus"]},
        # NOTES.md order lines: items[] carry combinationId; add_order_extra_field example: showIn* flags;
        # create_order example: pricesIncludeTax, shippingOption.fulfillmentType; update order table:
        # refererId, taxesOnShipping ("Can be set … by creating / updating an order with REST API").
        "create.Order": {"properties": {
            "pricesIncludeTax": {"type": "boolean"}, "orderExtraFields": {"type": "array", "items": extra_field},
            "refererId": {"type": "string"},
            "taxesOnShipping": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                           "properties": {"name": {"type": "string"},
                                                                          "value": {"type": "number"},
                                                                          "total": {"type": "number"}}}},
            "paymentStatus": payment, "fulfillmentStatus": fulfillment},
            "required": CREATE_REQUIRED},
        "update.Order": {"properties": {"paymentStatus": payment, "fulfillmentStatus": fulfillment}},
        "OrderItem": {"properties": {"combinationId": {"type": "number"}}},
        "ShippingOptionInfo": {"properties": {"fulfillmentType": fulfillment_type}},
        # examples.current.json create_order response: {"id": 212398840, "orderid": "XJ12H"}.
        "create.CreateStatus": {"properties": {"id": {"type": "number"}, "orderid": {"type": "string"}},
                                "required": ["orderid"]},
        "update.UpdateStatus": {"required": ["updateCount"]},
        "SearchResult": {"required": ["total", "count", "offset", "limit", "items"]},
        "ProductEntry": {"required": ["id"]},
        "getProduct.Product": {"required": ["id"]},
        # 2020 "Get store profile" example: formatsAndUnits.currency / weightUnit / currencyPrecision, and
        # taxSettings {automaticTaxEnabled, taxes: [Taxes]} (the 2020 tables name TaxSettings but give no table).
        "Profile": {"properties": {
            "formatsAndUnits": {"type": "object", "properties": {
                "currency": {"type": "string"}, "weightUnit": {"type": "string"},
                "currencyPrecision": {"type": "number"}}},
            "taxSettings": {"type": "object", "properties": {
                "automaticTaxEnabled": {"type": "boolean"},
                "taxes": {"type": "array", "items": {"$ref": "#/definitions/profile.Taxes"}}}}}},
        # Current docs, "Search product variations" (https://api-docs.ecwid.com/reference/search-product-variations):
        # each combination carries its storefront price with taxes, as the product does.
        "Variation": {"properties": {"defaultDisplayedPrice": {"type": "number"}}},
    }


def _extra_definitions(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """Definitions with no 2020 table."""
    enums = _statuses(spec_dir)
    return {
        # examples.current.json "error_shape" (errorMessage); errorCode from
        # https://docs.ecwid.com/api-reference/rest-api/rest-api-error-codes.
        "Error": {"type": "object", "properties": {"errorMessage": {"type": "string"},
                                                     "errorCode": {"type": "string"}}},
        # https://docs.ecwid.com/api-reference/rest-api/orders/order-statuses/search-order-statuses
        "OrderStatuses": {"type": "object", "required": ["items"], "properties": {"items": {
            "type": "array", "items": {"type": "object", "required": ["statusId", "orderStatusType"], "properties": {
                "statusId": {"type": "string", "enum": enums["paymentStatus"] + enums["fulfillmentStatus"]},
                "orderStatusType": {"type": "string", "enum": ["PAYMENT_STATUS", "FULFILLMENT_STATUS"]},
                "defaultStatus": {"type": "boolean"}, "enabled": {"type": "boolean"},
                "sendNotificationWhenStatusIsAssigned": {"type": "boolean"}, "name": {"type": "string"},
                "nameTranslated": {"type": "object"}, "lastNameChangeDate": {"type": "string"}}}}}},
        # 2020 "Get access token" example and APPS.md §3.
        "TokenGrant": {"type": "object", "required": ["access_token", "scope", "store_id"], "properties": {
            "access_token": {"type": "string"}, "token_type": {"type": "string"}, "scope": {"type": "string"},
            "store_id": {"type": "number"}, "email": {"type": "string"}, "public_token": {"type": "string"}}},
    }


_PRIMITIVES = {"number": {"type": "number"}, "string": {"type": "string"}, "date": {"type": "string"},
               "boolean": {"type": "boolean"}, "'string'": {"type": "string"}}


def _clean(type_text: str) -> str:
    return type_text.replace("\\", "").replace("*", "").strip()


class _Builder:
    def __init__(self, extract: dict[str, Any]) -> None:
        self.sections = extract["sections"]
        self.definitions: dict[str, Any] = {}
        self.global_types: dict[str, str] = {}

    def entry(self, section: str, title: str) -> dict[str, Any]:
        for entry in self.sections[section]:
            if entry["title"] == title:
                return entry
        raise KeyError(f"{section}: {title}")

    def schema_for(self, type_text: str, local: dict[str, str]) -> dict[str, Any]:
        text = _clean(type_text)
        if text in _PRIMITIVES:
            return dict(_PRIMITIVES[text])
        if text.startswith("Map<"):
            return {"type": "object", "additionalProperties": {"type": "string"}}
        array = re.fullmatch(r"Array\s*/?<\s*/?(\w+)\s*/?>?", text)
        if array:
            return {"type": "array", "items": self.schema_for(array.group(1), local)}
        if text.startswith("Array"):
            return {"type": "array"}
        named = re.fullmatch(r"<?\s*(\w+)\s*>?", text)
        if named:
            name = named.group(1)
            if name in _PRIMITIVES:
                return dict(_PRIMITIVES[name])
            target = local.get(name) or self.global_types.get(name)
            if target:
                return {"$ref": f"#/definitions/{target}"}
        return {}

    def add_operation(self, key: str, section: str, title: str, request_type: str | None) -> dict[str, str]:
        """Add every type table of one operation as ``<key>.<Type>`` definitions."""
        tables: dict[str, list[dict[str, str]]] = self.entry(section, title).get("types") or {}
        local = {name: f"{key}.{name}" for name in tables}
        for name, rows in tables.items():
            strict = request_type is not None and name not in ("CreateStatus", "UpdateStatus")
            properties: dict[str, Any] = {}
            required: list[str] = []
            for row in rows:
                field = row.get("field") or ""
                bold = field.startswith("**")
                field = field.strip("*")
                if not field or not field.isidentifier():
                    continue
                properties[field] = self.schema_for(row.get("type", ""), local)
                if bold and strict:
                    required.append(field)
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            if strict:
                schema["additionalProperties"] = False
            if required:
                schema["required"] = required
            self.definitions[local[name]] = schema
            self.global_types.setdefault(name, local[name])
        return local

    def overlay(self, changes: dict[str, dict[str, Any]]) -> None:
        for def_name, schema in self.definitions.items():
            key, _, type_name = def_name.partition(".")
            for selector in (type_name, f"{key}.{type_name}"):
                change = changes.get(selector)
                if not change:
                    continue
                schema.setdefault("properties", {}).update(copy.deepcopy(change.get("properties", {})))
                if change.get("required"):
                    schema["required"] = sorted(set(schema.get("required", [])) | set(change["required"]))


def build_document(spec_dir: Path) -> dict[str, Any]:
    """The Swagger 2.0 document of the Ecwid operations Marketbridge uses (see module docstring)."""
    extract = json.loads((spec_dir / "api-reference.2020.extract.json").read_text(encoding="utf-8"))
    builder = _Builder(extract)
    paths: dict[str, dict[str, Any]] = {}
    for key, method, path, section, title, request_type, response_type in OPERATIONS:
        local = builder.add_operation(key, section, title, request_type) if section and title else {}
        operation: dict[str, Any] = {
            "operationId": f"{title or response_type} ({method.upper()} {path})",
            "responses": {
                "200": {"description": "OK",
                        "schema": {"$ref": f"#/definitions/{local.get(response_type, response_type)}"}},
                "default": {"description": "Error", "schema": {"$ref": "#/definitions/Error"}},
            },
        }
        if request_type:
            operation["parameters"] = [{"in": "body", "name": "body", "required": True,
                                        "schema": {"$ref": f"#/definitions/{local[request_type]}"}}]
        paths.setdefault(path, {})[method] = operation
    builder.overlay(current_docs(spec_dir))
    builder.definitions.update(_extra_definitions(spec_dir))
    return {"swagger": "2.0", "info": {"title": "Ecwid REST API v3 (subset used by Marketbridge)", "version": "3"},
            "basePath": "", "paths": paths, "definitions": builder.definitions}


def find_spec_dir() -> Path | None:
    """``$MARKETBRIDGE_ECWID_SPECS``, else the plugin's ``specs/`` folder of a source checkout; ``None`` if absent."""
    configured = os.environ.get(SPEC_DIR_ENV)
    if configured:
        return Path(configured) if Path(configured).is_dir() else None
    shipped = Path(__file__).resolve().parents[2] / "specs"  # plugins/ecwid/specs in a source checkout
    return shipped if (shipped / "api-reference.2020.extract.json").is_file() else None


def load_contract(spec_dir: Path | None = None) -> SpecContract:
    """A :class:`~marketbridge.testing.SpecContract` for the Ecwid operations; ``FileNotFoundError`` without specs."""
    spec_dir = spec_dir or find_spec_dir()
    if spec_dir is None:
        raise FileNotFoundError(f"specs/ecwid not found; set {SPEC_DIR_ENV}")
    return SpecContract(build_document(spec_dir))
