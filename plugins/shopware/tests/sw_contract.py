"""The contract check for Shopware: core's ``SpecContract`` on the saved OpenAPI subset, plus
the few rules the saved document cannot express by itself. Each is a documented fact:

* ``calculatedTaxes`` and ``taxRules`` are typed ``object`` in the schema, but Shopware
  serialises these collections as JSON arrays (``Collection::jsonSerialize`` returns
  ``array_values``) and the docs' own create-order example sends arrays: both are accepted.
* Writes without ``?_response`` answer ``204 No Content`` with a ``Location`` header
  (NOTES.md); the operations do not declare 204, so such answers must be empty and, for
  creates, carry ``Location``.
* Error answers whose status an operation does not declare are checked against the
  platform-wide error body (``components/schemas/failure``).
* JSON:API answers are checked against the JSON:API envelope (``components/schemas/success``)
  and each resource's ``id`` + ``attributes`` against the entity schema: the document's
  ``allOf`` of both cannot be satisfied by any real JSON:API body.
"""
from __future__ import annotations

import copy
from typing import Any

from marketbridge.testing.contract import ContractError, SpecContract
from marketbridge.testing.emulator import RecordedRequest

from sw_specs import load

_COLLECTIONS = ("calculatedTaxes", "taxRules")


def _widen(node: Any) -> Any:
    if isinstance(node, list):
        return [_widen(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _widen(v) for k, v in node.items()}
    props = out.get("properties")
    if isinstance(props, dict):
        for name in _COLLECTIONS:
            if isinstance(props.get(name), dict) and props[name].get("type") == "object":
                props[name] = {**props[name], "type": ["object", "array"]}
    return out


class ShopwareContract(SpecContract):
    """``SpecContract`` for ``admin-api.openapi.subset.json`` with the rules in the module docstring."""

    @classmethod
    def saved(cls) -> ShopwareContract:
        return cls(_widen(copy.deepcopy(load("admin-api.openapi.subset.json"))))

    def _json_api(self, method: str, path: str, status: int, body: Any) -> None:
        op = self.operation(method, path)
        media = (((op.spec.get("responses") or {}).get(str(status)) or {}).get("content") or {}).get(
            "application/vnd.api+json")
        if media is None:
            raise ContractError(f"{op.operation_id} declares no JSON:API answer for HTTP {status}")
        self.validate(self.definition("success"), body, f"{op.operation_id} → {status} (JSON:API envelope)")
        data_schema = media["schema"]["allOf"][1]["properties"]["data"]
        ref = data_schema.get("items", data_schema).get("$ref")
        resources = body["data"] if isinstance(body["data"], list) else [body["data"]]
        for resource in resources:
            flat = {"id": resource["id"], **resource.get("attributes", {})}
            self.validate({"$ref": f"urn:marketbridge:spec#{ref[1:]}"}, flat, f"{op.operation_id} → {resource['type']}")

    def check_exchange(self, exchange: RecordedRequest) -> None:
        request_body = exchange.json() if exchange.body else None
        if request_body is not None:
            self.check_request(exchange.method, exchange.path, request_body)
        if exchange.status is None or exchange.fault is not None:
            return
        op = self.operation(exchange.method, exchange.path)
        body = exchange.response_json() if exchange.response_body else None
        declared = str(exchange.status) in (op.spec.get("responses") or {})
        if exchange.status == 204 and not declared:
            if exchange.response_body:
                raise ContractError(f"{op.operation_id} → 204 must have no body")
            if exchange.method == "POST" and "Location" not in exchange.response_headers:
                raise ContractError(f"{op.operation_id} → 204 must carry a Location header")
            return
        content_type = exchange.response_headers.get("Content-Type", "")
        if exchange.status >= 400 and not declared:
            self.validate(self.definition("failure"), body, f"{op.operation_id} → {exchange.status}")
        elif "vnd.api+json" in content_type:
            self._json_api(exchange.method, exchange.path, exchange.status, body)
        else:
            self.check_response(exchange.method, exchange.path, exchange.status, body)
