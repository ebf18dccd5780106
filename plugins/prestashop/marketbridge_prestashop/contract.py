"""Contract checks for the Webservice: requests and answers against the saved resource spec.

Core's :class:`~marketbridge.testing.SpecContract` reads OpenAPI and JSON
Schema; PrestaShop has neither, only per-resource field tables and
``?schema=blank`` bodies (``specs/prestashop/webservice-resources.json``) plus
the rules in ``NOTES.md``. :class:`WebserviceContract` checks a recorded
exchange against those:

* the request: path and method allowed for the resource, known query
  parameters (computed prices ``price[<alias>][<parameter>]`` on products and
  combinations only, with the documented parameters), ``filter``/``display``/``sort``
  fields that exist (or a price alias), date filters
  only with ``date=1``, Basic auth with the key and an empty password, and an
  XML body of the resource's node with known fields, required fields, no
  ``id`` on POST, an ``id`` on PUT/PATCH and values passing their validators;
* the answer: the status code for the method, XML (or JSON when asked) with
  the resource's list and item nodes, only documented fields (and the price
  aliases asked for, holding ``%f`` amounts), ``id`` on every
  object, translatable fields per language, and the ``<errors>`` shape for
  failures.

It raises :class:`~marketbridge.testing.ContractError` naming what broke.
"""
from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Collection, Mapping

from marketbridge.testing import ContractError, RecordedRequest
from marketbridge_prestashop import validators, xmlcodec
from marketbridge_prestashop.spec import ResourceSpec, load_resources

QUERY_PARAMS = {"display", "sort", "limit", "date", "output_format", "io_format", "id_shop", "id_group_shop",
                "id_shop_group", "language", "schema", "sendemail", "ps_method", "ws_key"}
#: ``price[<alias>][<parameter>]``: the documented parameters (devdocs 8, webservice "Specific prices").
PRICE_PARAMS = {"country", "state", "postcode", "currency", "group", "quantity", "product_attribute", "decimals",
                "use_tax", "use_reduction", "only_reduction", "use_ecotax"}
PRICED_RESOURCES = {"products", "combinations"}
_PRICE = re.compile(r"^price\[(?P<alias>[^\[\]]+)\]\[(?P<param>[^\[\]]+)\]$")
_PATH = re.compile(r"^/api(?:/(?P<resource>[a-z_]+)(?:/(?P<id>\d+))?)?/?$")
_EMPTY_DATE = "0000-00-00"


class WebserviceContract:
    """The Webservice resources of one spec file (default: the subset shipped with the plugin)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.resources: dict[str, ResourceSpec] = load_resources(path)

    # -- entry point --------------------------------------------------------------
    def check_exchange(self, exchange: RecordedRequest) -> None:
        """Check both sides of one exchange recorded by the emulator."""
        resource, object_id = self._route(exchange)
        self.check_request(exchange, resource, object_id)
        if exchange.status is not None and exchange.fault is None:
            self.check_response(exchange, resource, object_id)

    def _route(self, exchange: RecordedRequest) -> tuple[ResourceSpec | None, str | None]:
        match = _PATH.match(exchange.path)
        if not match:
            raise ContractError(f"{exchange.method} {exchange.path}: not a Webservice path (/api/<resource>[/<id>])")
        name = match.group("resource")
        if name is None:
            return None, None
        if name not in self.resources:
            raise ContractError(f"{exchange.method} {exchange.path}: '{name}' is not a documented resource")
        return self.resources[name], match.group("id")

    # -- requests -------------------------------------------------------------------
    def check_request(self, exchange: RecordedRequest, resource: ResourceSpec | None, object_id: str | None) -> None:
        where = f"{exchange.method} {exchange.path}"
        method = exchange.method.upper()
        auth = exchange.headers.get("Authorization", "")
        if auth:
            try:
                user, _, password = base64.b64decode(auth.split(" ", 1)[1]).decode("utf-8").partition(":")
            except (IndexError, ValueError):
                raise ContractError(f"{where}: Authorization is not HTTP Basic") from None
            if password or len(user) != 32:
                raise ContractError(f"{where}: Basic auth must carry the 32-character key and an empty password")
        if resource is None:
            if method not in ("GET", "HEAD"):
                raise ContractError(f"{where}: the resource index only answers GET/HEAD")
            return
        if method not in resource.methods:
            raise ContractError(f"{where}: {method} is not allowed on {resource.name}")
        self._check_query(where, resource, exchange.query)
        if method in ("POST", "PUT", "PATCH"):
            if method == "POST" and object_id is not None:
                raise ContractError(f"{where}: POST goes to the resource, not to an object")
            self._check_body(where, resource, method, exchange.body)
        elif exchange.body:
            raise ContractError(f"{where}: {method} carries no body")

    @staticmethod
    def price_aliases(query: Mapping[str, list[str]]) -> set[str]:
        """The computed price fields a request asks for (``price[<alias>][…]``)."""
        return {match.group("alias") for key in query if (match := _PRICE.match(key))}

    def _check_query(self, where: str, resource: ResourceSpec, query: Mapping[str, list[str]]) -> None:
        dates = bool(query.get("date", [""])[0])
        aliases = self.price_aliases(query)
        for key, values in query.items():
            value = values[0] if values else ""
            priced = _PRICE.match(key)
            if priced:
                if resource.name not in PRICED_RESOURCES:
                    raise ContractError(f"{where}: computed prices exist on products and combinations only")
                if priced.group("param") not in PRICE_PARAMS:
                    raise ContractError(f"{where}: '{priced.group('param')}' is not a price parameter")
                if priced.group("alias") in resource.blank_fields:
                    raise ContractError(f"{where}: the price alias '{priced.group('alias')}' hides a field")
                if not re.fullmatch(r"\d+", value):
                    raise ContractError(f"{where}: price parameters take numbers (ids, 0|1), not '{value}'")
                continue
            filtered = re.fullmatch(r"filter\[(.+)\]", key)
            if filtered:
                name = filtered.group(1)
                if name in ("date_add", "date_upd"):
                    if not dates:
                        raise ContractError(f"{where}: filtering on {name} needs date=1")
                elif not self._filterable(resource, name):
                    raise ContractError(f"{where}: {resource.name} cannot be filtered on '{name}'")
                if not value:
                    raise ContractError(f"{where}: empty filter on '{name}'")
                continue
            if key not in QUERY_PARAMS:
                raise ContractError(f"{where}: unknown query parameter '{key}'")
            if key == "display" and value != "full":
                fields = re.fullmatch(r"\[(.*)\]", value)
                if not fields:
                    raise ContractError(f"{where}: display must be 'full' or [field,…]")
                for name in (f.strip() for f in fields.group(1).split(",")):
                    if not resource.knows(name) and name not in aliases:
                        raise ContractError(f"{where}: {resource.name} has no field '{name}' to display")
            if key == "sort":
                for item in re.sub(r"^\[|\]$", "", value).split(","):
                    name, _, direction = item.rpartition("_")
                    if direction not in ("ASC", "DESC") or not (
                            self._filterable(resource, name) or (dates and name in ("date_add", "date_upd"))):
                        raise ContractError(f"{where}: cannot sort {resource.name} by '{item}'")
            if key == "limit" and not re.fullmatch(r"\d+(,\d+)?", value):
                raise ContractError(f"{where}: limit must be 'n' or 'offset,n'")

    @staticmethod
    def _filterable(resource: ResourceSpec, name: str) -> bool:
        if name == "id":
            return True
        field = resource.fields.get(name)
        return field is not None and field.filterable

    def _check_body(self, where: str, resource: ResourceSpec, method: str, body: bytes) -> None:
        try:
            root = xmlcodec.parse_document(body)
        except xmlcodec.MalformedDocument as exc:
            raise ContractError(f"{where}: the body must be Webservice XML ({exc})") from None
        entities = list(root)
        if len(entities) != 1 or entities[0].tag != resource.node:
            raise ContractError(f"{where}: the body must hold one <{resource.node}>")
        entity = entities[0]
        given = {child.tag: child for child in entity}
        has_id = bool(xmlcodec.text(given["id"])) if "id" in given else False
        if method == "POST" and has_id:
            raise ContractError(f"{where}: POST must not carry an id")
        if method in ("PUT", "PATCH") and not has_id:
            raise ContractError(f"{where}: {method} must carry the object's id")
        for name in given:
            if name != "associations" and not resource.knows(name):
                raise ContractError(f"{where}: <{resource.node}> has no field <{name}>")
        if method in ("POST", "PUT"):
            for name, field in resource.fields.items():
                if field.required and not field.i18n and name not in given:
                    raise ContractError(f"{where}: required field <{name}> is missing")
        self._check_values(where, resource, entity, strict=True)

    # -- answers --------------------------------------------------------------------
    def check_response(self, exchange: RecordedRequest, resource: ResourceSpec | None, object_id: str | None) -> None:
        where = f"{exchange.method} {exchange.path} → {exchange.status}"
        status = exchange.status or 0
        method = exchange.method.upper()
        wants_json = any(exchange.query.get(k, [""])[0].upper() == "JSON" for k in ("output_format", "io_format"))
        if status >= 400:
            if status == 404 and method in ("GET", "HEAD") and not exchange.response_body:
                return
            self._check_errors(where, exchange.response_body, wants_json)
            return
        expected = {"POST": 201, "PUT": 200, "PATCH": 200, "GET": 200, "HEAD": 200, "DELETE": 200}.get(method)
        if status != expected:
            raise ContractError(f"{where}: {method} answers HTTP {expected} when it succeeds")
        if method in ("HEAD", "DELETE"):
            return
        if wants_json and resource is not None:
            self._check_json(where, resource, object_id, method, exchange)
            return
        try:
            root = xmlcodec.parse_document(exchange.response_body)
        except xmlcodec.MalformedDocument as exc:
            raise ContractError(f"{where}: the answer is not Webservice XML ({exc})") from None
        if resource is None:
            self._check_index(where, root)
        elif "schema" in exchange.query:
            return
        elif object_id is None and method == "GET":
            self._check_list(where, resource, root, exchange.query)
        else:
            entities = list(root)
            if len(entities) != 1 or entities[0].tag != resource.node:
                raise ContractError(f"{where}: the answer must hold one <{resource.node}>")
            self._check_entity(where, resource, entities[0], None, self.price_aliases(exchange.query))

    def _check_errors(self, where: str, body: bytes, wants_json: bool) -> None:
        if wants_json:
            try:
                items = json.loads(body)["errors"]
                assert all({"code", "message"} <= set(item) for item in items) and items
            except (ValueError, KeyError, TypeError, AssertionError):
                raise ContractError(f"{where}: a JSON error answer is {{\"errors\": [{{code, message}}]}}") from None
            return
        try:
            root = xmlcodec.parse_document(body)
        except xmlcodec.MalformedDocument as exc:
            raise ContractError(f"{where}: an error answer must be <prestashop><errors> ({exc})") from None
        errors = root.find("errors")
        if errors is None or not errors.findall("error") or any(
                e.find("code") is None or e.find("message") is None for e in errors.findall("error")):
            raise ContractError(f"{where}: an error answer is <errors><error><code/><message/></error></errors>")

    def _check_index(self, where: str, root: ET.Element) -> None:
        api = root.find("api")
        if api is None:
            raise ContractError(f"{where}: GET /api/ answers <api> with one element per resource")
        for element in api:
            if element.tag not in self.resources and not re.fullmatch(r"[a-z_]+", element.tag):
                raise ContractError(f"{where}: <{element.tag}> is not a resource")
            for method in ("get", "put", "post", "patch", "delete", "head"):
                if element.get(method) not in ("true", "false"):
                    raise ContractError(f"{where}: <{element.tag}> must say {method}=\"true|false\"")

    def _check_list(self, where: str, resource: ResourceSpec, root: ET.Element,
                    query: Mapping[str, list[str]]) -> None:
        wrapper = root.find(resource.name)
        if wrapper is None or len(root) != 1:
            raise ContractError(f"{where}: a list answer is <{resource.name}> with <{resource.node}> items")
        display = query.get("display", [None])[0]
        wanted = None
        if display and display != "full":
            wanted = {f.strip() for f in display.strip("[]").split(",")}
        for item in wrapper:
            if item.tag != resource.node:
                raise ContractError(f"{where}: <{resource.name}> holds <{item.tag}>, not <{resource.node}>")
            if display is None:
                if len(item) or not (item.get("id") or "").isdigit() or item.get(xmlcodec.HREF) is None:
                    raise ContractError(f"{where}: without display, items are <{resource.node} id=… xlink:href=…/>")
                continue
            self._check_entity(where, resource, item, wanted, self.price_aliases(query))

    def _check_entity(self, where: str, resource: ResourceSpec, entity: ET.Element, wanted: set[str] | None,
                      aliases: Collection[str] = ()) -> None:
        names = [child.tag for child in entity]
        for name in names:
            if name == "associations":
                self._check_associations(where, resource, entity.find("associations"))
            elif name in aliases:
                element = entity.find(name)
                if element is None or not re.fullmatch(r"-?\d+\.\d{6}", xmlcodec.text(element)):
                    raise ContractError(f"{where}: the computed price <{name}> is not a %f amount")
                if wanted is not None and name not in wanted:
                    raise ContractError(f"{where}: <{name}> was not asked for in display")
            elif not resource.knows(name):
                raise ContractError(f"{where}: <{resource.node}> has no documented field <{name}>")
            elif wanted is not None and name not in wanted:
                raise ContractError(f"{where}: <{name}> was not asked for in display")
        id_element = entity.find("id")
        if (wanted is None or "id" in wanted) and (id_element is None or not xmlcodec.text(id_element).isdigit()):
            raise ContractError(f"{where}: <{resource.node}> has no numeric <id>")
        self._check_values(where, resource, entity, strict=False)

    def _check_associations(self, where: str, resource: ResourceSpec, element: ET.Element | None) -> None:
        for assoc in element if element is not None else []:
            spec = resource.associations.get(assoc.tag)
            if spec is None:
                raise ContractError(f"{where}: {resource.name} has no association <{assoc.tag}>")
            for item in assoc:
                if item.tag != spec.item:
                    raise ContractError(f"{where}: <{assoc.tag}> holds <{item.tag}>, not <{spec.item}>")
                for child in item:
                    if child.tag not in spec.fields and child.tag != "id":
                        raise ContractError(f"{where}: <{spec.item}> has no field <{child.tag}>")

    def _check_values(self, where: str, resource: ResourceSpec, entity: ET.Element, *, strict: bool) -> None:
        for child in entity:
            field = resource.fields.get(child.tag)
            if field is None:
                continue
            languages = [grand for grand in child if grand.tag == "language"]
            if field.i18n:
                if len(child) and not languages:
                    raise ContractError(f"{where}: <{child.tag}> is translatable: one <language id=…> per language")
                values = [xmlcodec.text(lang) for lang in languages] or [xmlcodec.text(child)]
            elif len(child):
                raise ContractError(f"{where}: <{child.tag}> holds elements but is a plain field")
            else:
                values = [xmlcodec.text(child)]
            for value in values:
                if value == "":
                    if strict and field.required and not field.i18n:
                        raise ContractError(f"{where}: required field <{child.tag}> is empty")
                    continue
                if value.startswith(_EMPTY_DATE):
                    continue
                if not validators.validate(field.format, value):
                    raise ContractError(f"{where}: <{child.tag}>{value!r} fails {field.format}")
                if strict and field.max_size and len(value) > field.max_size:
                    raise ContractError(f"{where}: <{child.tag}> is longer than {field.max_size} characters")

    def _check_json(self, where: str, resource: ResourceSpec, object_id: str | None, method: str,
                    exchange: RecordedRequest) -> None:
        try:
            body: Any = json.loads(exchange.response_body)
        except ValueError:
            raise ContractError(f"{where}: output_format=JSON answers JSON") from None
        if object_id is None and method == "GET":
            if body == []:
                return
            if not isinstance(body, dict) or list(body) != [resource.name] or not isinstance(body[resource.name], list):
                raise ContractError(f"{where}: a JSON list is {{\"{resource.name}\": [...]}} (or [] when empty)")
            items = body[resource.name]
        else:
            if not isinstance(body, dict) or list(body) != [resource.node]:
                raise ContractError(f"{where}: a JSON object is {{\"{resource.node}\": {{...}}}}")
            items = [body[resource.node]]
        aliases = self.price_aliases(exchange.query)
        for item in items:
            if not isinstance(item.get("id"), int):
                raise ContractError(f"{where}: JSON ids are numbers")
            for name, value in item.items():
                if name == "associations":
                    continue
                if not resource.knows(name) and name not in aliases:
                    raise ContractError(f"{where}: {resource.node} has no documented field '{name}'")
                if name != "id" and not isinstance(value, (str, list)):
                    raise ContractError(f"{where}: JSON scalars other than id are strings ('{name}')")
