"""Contract checks: validate recorded requests and responses against a saved API spec.

Supports Swagger 2.0 (Amazon SP-API models, Magento) and OpenAPI 3.0
(Shopware) documents, plus bare JSON Schemas. Emulators use it in their
contract tests so they cannot drift into a convenient fiction, and adapter
tests use it to prove the requests they send are what the real API takes::

    contract = SpecContract.load("specs/amazon/ordersV0.json")
    for exchange in emulator.log:
        contract.check_exchange(exchange)

``nullable`` (OpenAPI 3.0) and ``x-nullable`` (Swagger 2.0) are honoured;
``format`` is not enforced (the real APIs are looser than their formats).
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from marketbridge.testing.emulator import RecordedRequest

_URI = "urn:marketbridge:spec"


class ContractError(AssertionError):
    """An instance does not match the spec; the message says where and why."""


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


def _nullable(node: Any) -> Any:
    """Rewrite ``nullable: true`` / ``x-nullable: true`` into JSON Schema null unions."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if out.pop("nullable", False) or out.pop("x-nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class SpecContract:
    """One API document and the operations it declares."""

    def __init__(self, document: dict[str, Any], *, base_path: str | None = None) -> None:
        self.document = _nullable(copy.deepcopy(document))
        self.openapi3 = str(document.get("openapi", "")).startswith("3")
        if base_path is None:
            base_path = document.get("basePath", "") or ""
            servers = document.get("servers") or []
            if self.openapi3 and servers:
                from urllib.parse import urlparse

                base_path = urlparse(servers[0].get("url", "")).path
        self.base_path = base_path
        draft = DRAFT202012 if self.openapi3 else DRAFT4
        self._validator_cls = Draft202012Validator if self.openapi3 else Draft4Validator
        self._registry = Registry().with_resource(_URI, Resource(contents=self.document, specification=draft))
        self.operations = self._operations()
        self._validators: dict[str, Any] = {}

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> SpecContract:
        """Load a JSON (or YAML, if PyYAML is installed) spec file."""
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith((".yaml", ".yml")):
            import yaml  # type: ignore[import-untyped]

            return cls(yaml.safe_load(text), **kwargs)
        return cls(json.loads(text), **kwargs)

    def _operations(self) -> list[Operation]:
        ops = []
        for template, item in (self.document.get("paths") or {}).items():
            regex = "^" + re.escape(self.base_path.rstrip("/") + template) + "$"
            regex = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", regex)
            for method, spec in item.items():
                if method.lower() in ("get", "put", "post", "patch", "delete", "head", "options"):
                    ops.append(Operation(method.upper(), template, re.compile(regex), spec))
        # literal segments beat placeholders: prefer the template with fewest braces
        ops.sort(key=lambda o: o.template.count("{"))
        return ops

    # -- lookups ------------------------------------------------------------
    def operation(self, method: str, path: str) -> Operation:
        """The operation serving ``method path``; raises ``ContractError`` if the spec has none."""
        for op in self.operations:
            if op.method == method.upper() and op.pattern.match(path):
                return op
        raise ContractError(f"{method.upper()} {path} is not an operation of this spec")

    def _ref(self, pointer: str) -> dict[str, Any]:
        return {"$ref": f"{_URI}#{pointer}"}

    def definition(self, name: str) -> dict[str, Any]:
        """A schema by name (``definitions`` in Swagger 2, ``components/schemas`` in OpenAPI 3)."""
        pointer = f"/components/schemas/{name}" if self.openapi3 else f"/definitions/{name}"
        return self._ref(pointer)

    # -- validation -----------------------------------------------------------
    def _validator(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = self._validator_cls(schema, registry=self._registry)
        return validator

    def validate(self, schema: dict[str, Any], instance: Any, where: str) -> None:
        """Validate ``instance`` against ``schema`` (refs resolve into the document; validators are reused)."""
        validator = self._validator(schema)
        errors = list(validator.iter_errors(instance))
        if errors:
            err = best_match(errors)
            location = "/".join(str(p) for p in err.absolute_path) or "(root)"
            raise ContractError(f"{where}: at {location}: {err.message} ({len(errors)} error(s))")

    def validate_definition(self, name: str, instance: Any) -> None:
        """Validate ``instance`` against the named definition."""
        self.validate(self.definition(name), instance, name)

    @staticmethod
    def _escape(part: str) -> str:
        return part.replace("~", "~0").replace("/", "~1")

    def _resolve(self, pointer: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains from ``pointer``; return the node and its final pointer."""
        while True:
            node: Any = self.document
            for part in [p for p in pointer.split("/") if p]:
                key = part.replace("~1", "/").replace("~0", "~")
                node = node[int(key)] if isinstance(node, list) else node[key]
            if isinstance(node, dict) and "$ref" in node and len(node) == 1:
                pointer = node["$ref"].split("#", 1)[1]
                continue
            return node, pointer

    def _op_pointer(self, op: Operation) -> str:
        return f"/paths/{self._escape(op.template)}/{op.method.lower()}"

    def _media_pointer(self, pointer: str) -> str | None:
        node, pointer = self._resolve(pointer)
        content = node.get("content") or {}
        for media in ("application/json", "application/vnd.api+json", *content.keys()):
            if media in content:
                return f"{pointer}/content/{self._escape(media)}/schema" if "schema" in content[media] else None
        return None

    def response_schema(self, op: Operation, status: int) -> dict[str, Any] | None:
        """A ``$ref`` to the schema of ``op``'s answer with ``status`` (``None``: no body)."""
        responses = op.spec.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                break
        else:
            raise ContractError(f"{op.operation_id} does not declare an HTTP {status} answer")
        pointer = f"{self._op_pointer(op)}/responses/{key}"
        if self.openapi3:
            schema_pointer = self._media_pointer(pointer)
        else:
            node, pointer = self._resolve(pointer)
            schema_pointer = f"{pointer}/schema" if "schema" in node else None
        return None if schema_pointer is None else self._ref(schema_pointer)

    def request_schema(self, op: Operation) -> dict[str, Any] | None:
        """A ``$ref`` to the schema of ``op``'s request body, if it takes one."""
        base = self._op_pointer(op)
        if self.openapi3:
            if "requestBody" not in op.spec:
                return None
            schema_pointer = self._media_pointer(f"{base}/requestBody")
            return None if schema_pointer is None else self._ref(schema_pointer)
        for i, _ in enumerate(op.spec.get("parameters", [])):
            node, pointer = self._resolve(f"{base}/parameters/{i}")
            if node.get("in") == "body" and "schema" in node:
                return self._ref(f"{pointer}/schema")
        return None

    def check_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Validate a decoded response body against the spec."""
        op = self.operation(method, path)
        schema = self.response_schema(op, status)
        if schema is not None and body is not None:
            self.validate(schema, body, f"{op.operation_id} → {status}")

    def check_request(self, method: str, path: str, body: Any) -> None:
        """Validate a decoded request body against the spec."""
        op = self.operation(method, path)
        schema = self.request_schema(op)
        if schema is not None:
            self.validate(schema, body, f"{op.operation_id} request")

    def check_exchange(self, exchange: RecordedRequest) -> None:
        """Validate both sides of an exchange recorded by an emulator (JSON bodies only)."""
        request_body = exchange.json() if exchange.body else None
        if request_body is not None:
            self.check_request(exchange.method, exchange.path, request_body)
        if exchange.status is not None and exchange.fault is None:
            body = exchange.response_json() if exchange.response_body else None
            self.check_response(exchange.method, exchange.path, exchange.status, body)
