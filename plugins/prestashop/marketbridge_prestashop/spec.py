"""The PrestaShop 8 Webservice resources the plugin and its emulator rely on, read from the saved spec.

The source is the documentation's field tables and ``?schema=blank`` bodies
(``specs/prestashop/webservice-resources.json``, github.com/PrestaShop/docs 8.x
``webservice/resources/*.md``). The package ships the subset it uses in
``data/webservice-resources.subset.json``; a test proves the subset equals the
saved spec, so the emulator, the contract check and the adapter all read the
same field names, validators, required flags and node names.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

#: Methods the documentation's reference table allows per resource when it differs from "all of them".
RESTRICTED_METHODS: dict[str, frozenset[str]] = {
    "stock_availables": frozenset({"GET", "PUT", "PATCH", "HEAD"}),
    "stock_movements": frozenset({"GET", "HEAD"}),
    "search": frozenset({"GET", "HEAD"}),
}
ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of a resource as the documentation's table describes it."""

    name: str
    format: str | None
    required: bool
    max_size: int | None
    filterable: bool
    i18n: bool


@dataclass(frozen=True)
class AssociationSpec:
    """An ``<associations>`` child: its item node name and the item's fields."""

    name: str
    item: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ResourceSpec:
    """A Webservice resource: list node (``orders``), item node (``order``), fields and associations."""

    name: str
    node: str
    fields: dict[str, FieldSpec]
    blank_fields: tuple[str, ...]  #: element order of ``?schema=blank`` (``id`` first, no ``associations``)
    associations: dict[str, AssociationSpec]

    @property
    def methods(self) -> frozenset[str]:
        return RESTRICTED_METHODS.get(self.name, ALL_METHODS)

    def field(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a field of this resource (``id`` always is)."""
        return name == "id" or name in self.fields or name in self.blank_fields


def _parse_blank(xml_text: str) -> tuple[str, tuple[str, ...], set[str], dict[str, AssociationSpec]]:
    root = ET.fromstring(xml_text)
    entity = next(iter(root))
    order: list[str] = []
    i18n: set[str] = set()
    associations: dict[str, AssociationSpec] = {}
    for child in entity:
        if child.tag == "associations":
            for assoc in child:
                items = list(assoc)
                item = items[0].tag if items else assoc.tag.rstrip("s")
                fields = tuple(f.tag for f in items[0]) if items else ()
                associations[assoc.tag] = AssociationSpec(assoc.tag, item, fields)
            continue
        order.append(child.tag)
        if any(grand.tag == "language" for grand in child):
            i18n.add(child.tag)
    if "id" not in order:
        order.insert(0, "id")
    return entity.tag, tuple(order), i18n, associations


def _build(name: str, raw: dict[str, Any]) -> ResourceSpec:
    node, order, i18n, associations = _parse_blank(raw["blank_schema_xml"])
    fields: dict[str, FieldSpec] = {}
    for table in raw.get("entities", {}).values():
        for row in table:
            if row["name"] == "associations":
                continue
            fields[row["name"]] = FieldSpec(
                name=row["name"],
                format=row.get("format"),
                required=bool(row.get("required")),
                max_size=row.get("max_size"),
                filterable=not row.get("not_filterable", False),
                i18n=row["name"] in i18n,
            )
    return ResourceSpec(name=name, node=node, fields=fields, blank_fields=order, associations=associations)


def load_resources(path: str | Path | None = None) -> dict[str, ResourceSpec]:
    """Read a ``webservice-resources.json`` file (default: the subset shipped in this package)."""
    if path is None:
        text = importlib_resources.files("marketbridge_prestashop").joinpath(
            "data/webservice-resources.subset.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    document = json.loads(text)
    return {name: _build(name, raw) for name, raw in document["resources"].items()}


@lru_cache(maxsize=1)
def resources() -> dict[str, ResourceSpec]:
    """The shipped resource catalogue (cached)."""
    return load_resources()


@lru_cache(maxsize=1)
def default_order_states() -> list[dict[str, Any]]:
    """The 13 order states of a default PrestaShop 8 install (``order-states.json``)."""
    text = importlib_resources.files("marketbridge_prestashop").joinpath("data/order-states.json").read_text(
        encoding="utf-8")
    return list(json.loads(text)["order_states"])
