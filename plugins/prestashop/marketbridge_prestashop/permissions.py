"""What the Webservice key must be allowed to do, checked against ``GET /api/``.

``GET /api/`` lists every resource the key may use, each with ``get``,
``put``, ``post``, ``patch``, ``delete`` and ``head`` attributes
(``specs/prestashop/examples/api-root.xml``). :data:`REQUIRED` is the complete
list of calls the plugin makes; the README shows the same table.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Mapping

#: resource → the HTTP methods the plugin uses on it.
REQUIRED: dict[str, frozenset[str]] = {
    "orders": frozenset({"GET", "POST", "PATCH"}),
    "order_details": frozenset({"GET", "PATCH"}),
    "order_histories": frozenset({"GET", "POST"}),
    "order_carriers": frozenset({"GET", "PATCH"}),
    "order_states": frozenset({"GET"}),
    "carts": frozenset({"GET", "POST", "PUT"}),
    "customers": frozenset({"GET", "POST"}),
    "addresses": frozenset({"GET", "POST"}),
    "messages": frozenset({"GET", "POST"}),
    "products": frozenset({"GET"}),
    "combinations": frozenset({"GET"}),
    "stock_availables": frozenset({"GET"}),
    "stock_movements": frozenset({"GET"}),
    "carriers": frozenset({"GET"}),
    "countries": frozenset({"GET"}),
    "states": frozenset({"GET"}),
    "currencies": frozenset({"GET"}),
    "configurations": frozenset({"GET"}),  # the default currency of prices (P2)
}
MULTISTORE: dict[str, frozenset[str]] = {"shops": frozenset({"GET"})}

_LABEL = {"GET": "View (GET)", "POST": "Add (POST)", "PUT": "Modify (PUT)", "PATCH": "Modify (PATCH)"}
_ORDER = ("GET", "POST", "PUT", "PATCH")


def granted(index: ET.Element) -> dict[str, frozenset[str]]:
    """Methods per resource from a ``GET /api/`` answer."""
    api = index.find("api")
    if api is None:
        return {}
    out: dict[str, frozenset[str]] = {}
    for resource in api:
        methods = {m.upper() for m in ("get", "put", "post", "patch", "delete", "head")
                   if resource.get(m, "false").lower() == "true"}
        out[resource.tag] = frozenset(methods)
    return out


def _labels(methods: frozenset[str]) -> str:
    names = [_LABEL[m] for m in _ORDER if m in methods]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def missing(index: ET.Element, required: Mapping[str, frozenset[str]]) -> list[str]:
    """One plain sentence per resource whose permissions fall short."""
    have = granted(index)
    problems = []
    for resource, methods in required.items():
        lacking = methods - have.get(resource, frozenset())
        if lacking:
            problems.append(
                f"The Webservice key cannot use {_labels(lacking)} on '{resource}'. In Advanced Parameters > "
                f"Webservice, edit the key and tick {_labels(lacking)} on the '{resource}' row.")
    return problems
