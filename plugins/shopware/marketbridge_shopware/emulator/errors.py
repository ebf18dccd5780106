"""Error answers exactly as the Admin API shapes them.

Every error is ``{"errors": [{"status", "code", "title", "detail", "source"?, "meta"?}]}``
(``components/schemas/failure``; Shopware's ``ErrorResponseFactory``). The codes
and texts below are Shopware's own (``StateMachineException``,
``MissingPrivilegeException``, the Symfony ``NotBlank`` constraint, OAuth errors
of league/oauth2-server, DBAL integrity violations).
"""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Response

#: Symfony's NotBlank constraint code, as the write validation reports it.
NOT_BLANK = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"


class ApiError(Exception):
    """Raised inside handlers; rendered by the emulator as Shopware's error body."""

    def __init__(self, status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None) -> None:
        super().__init__(errors[0].get("detail", ""))
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        body = json.dumps({"errors": self.errors})
        return Response(body, status=self.status, headers=self.headers, content_type="application/json")


def error(status: int, code: str, detail: str, *, title: str | None = None, pointer: str | None = None,
          parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """One error object."""
    item: dict[str, Any] = {
        "status": str(status),
        "code": code,
        "title": title or HTTPStatus(status).phrase,
        "detail": detail,
    }
    if pointer is not None:
        item["source"] = {"pointer": pointer}
    if parameters is not None:
        item["meta"] = {"parameters": parameters}
    return item


def single(status: int, code: str, detail: str, **kwargs: Any) -> ApiError:
    return ApiError(status, [error(status, code, detail, **kwargs)])


def unauthorized(hint: str) -> ApiError:
    """league/oauth2-server ``accessDenied`` (code 9) as Shopware renders it."""
    return single(401, "9", hint, title="The resource owner or authorization server denied the request.")


def invalid_client() -> ApiError:
    """league/oauth2-server ``invalidClient`` (code 4): unknown key or wrong secret."""
    return ApiError(401, [{"status": "401", "code": "4", "title": "Client authentication failed"}])


def missing_privileges(privileges: list[str]) -> ApiError:
    detail = json.dumps({"message": "Missing privilege", "missingPrivileges": privileges})
    return single(403, "FRAMEWORK__MISSING_PRIVILEGE_ERROR", detail, parameters={})


def rate_limited(seconds: int) -> ApiError:
    return single(429, "FRAMEWORK__RATE_LIMIT_EXCEEDED", f"Too many requests, try again in {seconds} seconds.",
                  parameters={"seconds": seconds})


def not_found(entity: str, record_id: str) -> ApiError:
    return single(404, "FRAMEWORK__RESOURCE_NOT_FOUND",
                  f'The {entity} resource with the following primary key was not found: id({record_id})',
                  parameters={"entity": entity, "primaryKey": f"id({record_id})"})


def blank(pointers: list[str]) -> ApiError:
    """The write validation's answer to missing required fields (one error per field)."""
    return ApiError(400, [error(400, NOT_BLANK, "This value should not be blank.", pointer=p) for p in pointers])


def sql_failure(message: str) -> ApiError:
    """A DBAL exception no ``ExceptionHandler`` maps: HTTP 500 with the driver message."""
    return single(500, "0", f"An exception occurred while executing a query: {message}")
