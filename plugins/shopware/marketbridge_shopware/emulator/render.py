"""Response formats: ``Accept: application/json`` gives simple JSON, anything else JSON:API.

Simple JSON: ``{"total": n, "data": [...], "aggregations": []}`` for lists and
``{"data": {...}}`` for one entity. JSON:API (``application/vnd.api+json``):
resources with ``type``/``id``/``attributes``, associations as ``relationships``
plus ``included``, and ``links``/``meta`` (NOTES.md "Base URL, format, headers").
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from marketbridge_shopware.emulator.store import ASSOCIATIONS, kebab

JSON = "application/json"
JSON_API = "application/vnd.api+json"


def wants_simple_json() -> bool:
    """Whether the client asked for the simple format."""
    return JSON in (request.headers.get("Accept") or "")


def _resource(entity: str, data: dict[str, Any], included: list[dict[str, Any]]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    relationships: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("id", "apiAlias"):
            continue
        assoc = ASSOCIATIONS.get(entity, {}).get(key)
        if assoc is None:
            attributes[key] = value
            continue
        items = value if isinstance(value, list) else ([value] if value else [])
        linkage = [{"type": assoc.entity, "id": item["id"]} for item in items]
        for item in items:
            included.append(_resource(assoc.entity, item, included))
        relationships[key] = {"data": linkage if isinstance(value, list) else (linkage[0] if linkage else None)}
    resource = {"id": data["id"], "type": entity, "attributes": attributes,
                "links": {"self": f"{request.host_url.rstrip('/')}/api/{kebab(entity)}/{data['id']}"}}
    if relationships:
        resource["relationships"] = relationships
    return resource


def _unique(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in resources:
        key = (r["type"], r["id"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def listing(entity: str, items: list[dict[str, Any]], total: int, *, page: int, limit: int | None) -> Response:
    """A list answer (search or ``GET /api/{entity}``) in the format the client asked for."""
    if wants_simple_json():
        return Response(json.dumps({"total": total, "data": items, "aggregations": []}), content_type=JSON)
    included: list[dict[str, Any]] = []
    data = [_resource(entity, item, included) for item in items]
    base = f"{request.host_url.rstrip('/')}/api/{kebab(entity)}"
    links: dict[str, str] = {"first": f"{base}?{urlencode({'limit': limit, 'page': 1})}"} if limit else {}
    if limit:
        last = max(1, -(-total // limit))
        links["last"] = f"{base}?{urlencode({'limit': limit, 'page': last})}"
        if page < last:
            links["next"] = f"{base}?{urlencode({'limit': limit, 'page': page + 1})}"
        if page > 1:
            links["prev"] = f"{base}?{urlencode({'limit': limit, 'page': page - 1})}"
    body = {"data": data, "included": _unique(included), "links": links, "meta": {"total": total}}
    return Response(json.dumps(body), content_type=JSON_API)


def detail(entity: str, item: dict[str, Any], status: int = 200) -> Response:
    """A single-entity answer in the format the client asked for."""
    if wants_simple_json():
        return Response(json.dumps({"data": item}), status=status, content_type=JSON)
    included: list[dict[str, Any]] = []
    body = {"data": _resource(entity, item, included), "included": _unique(included)}
    return Response(json.dumps(body), status=status, content_type=JSON_API)


def created(entity: str, record_id: str) -> Response:
    """``204 No Content`` with ``Location``: a write without ``?_response``."""
    location = f"{request.host_url.rstrip('/')}/api/{kebab(entity)}/{record_id}"
    return Response(b"", status=204, headers={"Location": location})
