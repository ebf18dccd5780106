"""Answers as the Webservice writes them: XML (default) or JSON (``output_format=JSON``).

XML follows ``WebserviceOutputXML`` (``examples/order.get.xml``,
``addresses.list.xml``, ``api-root.xml``): fields in ``?schema=blank`` order,
values in CDATA, ``xlink:href`` on references, one ``<language>`` per
language, ``<associations>`` last. JSON follows ``WebserviceOutputJSON``:
``{"order": {...}}``, ``{"orders": [...]}`` (only ids without ``display``),
``[]`` for an empty list, ``id`` as a number and every other scalar as a
string, translatable fields as ``[{"id": "1", "value": "…"}]``.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from marketbridge_prestashop.spec import ResourceSpec
from marketbridge_prestashop.xmlcodec import XmlWriter, error_document

#: Fields that link to another resource, and which.
XLINKS = {
    "id_customer": "customers", "id_address_delivery": "addresses", "id_address_invoice": "addresses",
    "id_cart": "carts", "id_currency": "currencies", "id_lang": "languages", "id_carrier": "carriers",
    "current_state": "order_states", "id_order_state": "order_states", "id_order": "orders",
    "id_product": "products", "product_id": "products", "id_country": "countries", "id_state": "states",
    "id_shop": "shops", "id_employee": "employees", "id_zone": "zones", "id_default_group": "groups",
    "id_category_default": "categories", "id_manufacturer": "manufacturers", "id_supplier": "suppliers",
    "id_stock_mvt_reason": "stock_movement_reasons",
}
DESCRIPTIONS = {
    "addresses": "The Customer, Brand and Customer addresses", "carriers": "The Carriers", "carts":
    "Customer's carts", "combinations": "The product combinations", "countries": "The countries",
    "currencies": "The currencies", "customers": "The e-shop's customers", "languages": "Shop languages",
    "messages": "The Messages", "order_carriers": "The Order carriers", "order_details": "Details of an order",
    "order_histories": "The Order histories", "order_states": "The Order statuses", "orders": "The Customers orders",
    "products": "The products", "shops": "Shops from multi-shop feature", "states": "The available states of "
    "countries", "stock_availables": "Available quantities", "stock_movements": "Stock movements",
}
#: Associations as rows of (field → value), keyed by association name.
AssociationRows = Mapping[str, Sequence[Mapping[str, str]]]
#: Virtual fields of one object (computed prices, ``price[alias][…]``): name → value, shown after the fields.
Extra = Mapping[str, str]


def _href(base: str, name: str, value: Any) -> dict[str, str]:
    resource = XLINKS.get(name)
    if resource is None or isinstance(value, dict) or str(value) in ("", "0"):
        return {}
    return {"xlink:href": f"{base}{resource}/{value}"}


def _languages(value: Mapping[str, str], languages: Sequence[str]) -> dict[str, str]:
    return {lang: value.get(lang, "") for lang in languages}


def write_entity(writer: XmlWriter, spec: ResourceSpec, record: Mapping[str, Any], *, base: str,
                 languages: Sequence[str], fields: Sequence[str] | None = None,
                 associations: AssociationRows | None = None, extra: Extra | None = None) -> None:
    """One ``<node>`` with its fields (all, or ``fields``), its virtual fields and, for full views, its associations."""
    writer.start(spec.node)
    for name in spec.blank_fields:
        if fields is not None and name not in fields:
            continue
        value = record.get(name, "")
        attrs = _href(base, name, value)
        if spec.name == "orders" and name == "shipping_number":
            attrs["notFilterable"] = "true"
        if isinstance(value, Mapping):
            writer.field(name, _languages(value, languages), attrs or None, language_href=f"{base}languages")
        else:
            writer.leaf(name, str(value), attrs or None)
    for name, value in (extra or {}).items():
        if fields is None or name in fields:
            writer.leaf(name, value)
    if associations and (fields is None or "associations" in fields):
        writer.start("associations")
        for assoc_name, rows in associations.items():
            assoc = spec.associations.get(assoc_name)
            item = assoc.item if assoc else assoc_name.rstrip("s")
            attrs = {"nodeType": item, "api": assoc_name}
            if assoc_name == "order_rows":
                attrs = {"nodeType": item, "virtualEntity": "true"}
            if not rows:
                writer.empty(assoc_name, attrs)
                continue
            writer.start(assoc_name, attrs)
            for row in rows:
                writer.start(item)
                for key, value in row.items():
                    link = {"xlink:href": f"{base}{assoc_name}/{value}"} if key == "id" and \
                        assoc_name in ("combinations", "stock_availables") else None
                    writer.leaf(key, str(value), link)
                writer.end(item)
            writer.end(assoc_name)
        writer.end("associations")
    writer.end(spec.node)


def xml_entity(spec: ResourceSpec, record: Mapping[str, Any], *, base: str, languages: Sequence[str],
               associations: AssociationRows | None = None, extra: Extra | None = None) -> bytes:
    writer = XmlWriter()
    write_entity(writer, spec, record, base=base, languages=languages, associations=associations, extra=extra)
    return writer.document()


def xml_list(spec: ResourceSpec, records: Sequence[Mapping[str, Any]], *, base: str, languages: Sequence[str],
             display: str | list[str] | None, associations: Sequence[AssociationRows | None],
             extras: Sequence[Extra | None] | None = None) -> bytes:
    writer = XmlWriter().start(spec.name)
    for index, (record, assoc) in enumerate(zip(records, associations)):
        if display is None:
            writer.empty(spec.node, {"id": str(record["id"]), "xlink:href": f"{base}{spec.name}/{record['id']}"})
        else:
            write_entity(writer, spec, record, base=base, languages=languages,
                         fields=None if display == "full" else display, associations=assoc,
                         extra=extras[index] if extras else None)
    return writer.end(spec.name).document()


def xml_schema(spec: ResourceSpec, *, languages: Sequence[str], synopsis: bool) -> bytes:
    """``?schema=blank`` (empty values) or ``?schema=synopsis`` (with format, required, maxSize)."""
    writer = XmlWriter().start(spec.node)
    for name in spec.blank_fields:
        field = spec.fields.get(name)
        attrs: dict[str, str] = {}
        if synopsis and field is not None:
            if field.required:
                attrs["required"] = "true"
            if field.max_size:
                attrs["maxSize"] = str(field.max_size)
            if field.format:
                attrs["format"] = field.format
        if field is not None and field.i18n:
            writer.field(name, {lang: "" for lang in languages}, attrs or None)
        else:
            writer.leaf(name, "", attrs or None)
    if spec.associations:
        writer.start("associations")
        for assoc in spec.associations.values():
            writer.start(assoc.name).start(assoc.item)
            for field_name in assoc.fields:
                writer.leaf(field_name, "")
            writer.end(assoc.item).end(assoc.name)
        writer.end("associations")
    return writer.end(spec.node).document()


def xml_index(permissions: Mapping[str, set[str]], *, base: str, shop_name: str) -> bytes:
    """``GET /api/``: the resources this key may use, with one attribute per method."""
    writer = XmlWriter().start("api", {"shopName": shop_name})
    for resource in sorted(permissions):
        methods = permissions[resource]
        attrs = {"xlink:href": f"{base}{resource}"}
        attrs.update({m.lower(): "true" if m in methods else "false"
                      for m in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")})
        writer.start(resource, attrs)
        writer.start("description", attrs).raw(DESCRIPTIONS.get(resource, resource)).end("description")
        writer.empty("schema", {"xlink:href": f"{base}{resource}?schema=blank", "type": "blank"})
        writer.empty("schema", {"xlink:href": f"{base}{resource}?schema=synopsis", "type": "synopsis"})
        writer.end(resource)
    return writer.end("api").document()


def _json_value(name: str, value: Any, languages: Sequence[str]) -> Any:
    if name == "id":
        return int(value)
    if isinstance(value, Mapping):
        items = [{"id": lang, "value": value.get(lang, "")} for lang in languages]
        return items[0]["value"] if len(items) == 1 else items
    return str(value)


def json_entity_dict(spec: ResourceSpec, record: Mapping[str, Any], *, languages: Sequence[str],
                     fields: Sequence[str] | None = None, associations: AssociationRows | None = None,
                     extra: Extra | None = None) -> dict[str, Any]:
    out = {name: _json_value(name, record.get(name, ""), languages)
           for name in spec.blank_fields if fields is None or name in fields}
    out.update({name: value for name, value in (extra or {}).items() if fields is None or name in fields})
    if associations and (fields is None or "associations" in fields):
        out["associations"] = {name: [dict(row) for row in rows] for name, rows in associations.items()}
    return out


def json_entity(spec: ResourceSpec, record: Mapping[str, Any], *, languages: Sequence[str],
                associations: AssociationRows | None = None, extra: Extra | None = None) -> bytes:
    body = {spec.node: json_entity_dict(spec, record, languages=languages, associations=associations, extra=extra)}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def json_list(spec: ResourceSpec, records: Sequence[Mapping[str, Any]], *, languages: Sequence[str],
              display: str | list[str] | None, associations: Sequence[AssociationRows | None],
              extras: Sequence[Extra | None] | None = None) -> bytes:
    if not records:
        return b"[]"
    if display is None:
        items: list[Any] = [{"id": int(record["id"])} for record in records]
    else:
        items = [json_entity_dict(spec, record, languages=languages, fields=None if display == "full" else display,
                                  associations=assoc, extra=extras[index] if extras else None)
                 for index, (record, assoc) in enumerate(zip(records, associations))]
    return json.dumps({spec.name: items}, ensure_ascii=False).encode("utf-8")


def errors(items: Sequence[tuple[int, str]], *, as_json: bool) -> bytes:
    if as_json:
        return json.dumps({"errors": [{"code": code, "message": message} for code, message in items]},
                          ensure_ascii=False).encode("utf-8")
    return error_document(items)
