"""Restricted Data Tokens (Tokens API 2021-03-01, ``createRestrictedDataToken``).

``POST /tokens/2021-03-01/restrictedDataToken`` with up to 50
``restrictedResources`` returns ``{restrictedDataToken, expiresIn}``; the RDT
replaces the LWA token in ``x-amz-access-token`` on the restricted call
(NOTES.md §8). Marketbridge needs one for ``getReportDocument`` of the
restricted Unshipped Orders report (the report's path must name the concrete
``reportDocumentId``). Orders 2026-01-01 needs none: Amazon's "Access Orders
PII" guide says PII from ``searchOrders``/``getOrder`` is role-gated, not
RDT-gated.

Tokens are kept in memory only (they live an hour and cover one document).
"""
from __future__ import annotations

from typing import Sequence

from marketbridge.errors import TemporaryFailure

from marketbridge_amazon.client import SpApiClient

PATH = "/tokens/2021-03-01/restrictedDataToken"
MAX_RESOURCES = 50


class RestrictedDataTokens:
    """Creates and caches RDTs for (method, path) resources."""

    def __init__(self, client: SpApiClient) -> None:
        self.client = client
        self._cache: dict[tuple[tuple[str, str], ...], tuple[str, float]] = {}

    def token(self, resources: Sequence[tuple[str, str]], data_elements: Sequence[str] = ()) -> str:
        """An RDT covering every ``(method, path)`` in ``resources`` (at most 50).

        Raises the client's exceptions; ``TemporaryFailure`` when Amazon's
        answer carries no token.
        """
        if not resources or len(resources) > MAX_RESOURCES:
            raise ValueError(f"an RDT covers 1 to {MAX_RESOURCES} resources")
        key = tuple(sorted(resources))
        now = self.client.context.clock.now().timestamp()
        cached = self._cache.get(key)
        if cached and cached[1] - 60 > now:
            return cached[0]
        restricted = []
        for method, path in resources:
            entry: dict[str, object] = {"method": method, "path": path}
            if data_elements:
                entry["dataElements"] = list(data_elements)
            restricted.append(entry)
        answer = self.client.call("createRestrictedDataToken", "POST", PATH,
                                  json={"restrictedResources": restricted}).body
        if not isinstance(answer, dict) or not isinstance(answer.get("restrictedDataToken"), str):
            raise TemporaryFailure("Amazon answered createRestrictedDataToken without a token",
                                   code="malformed_response")
        lifetime = float(answer.get("expiresIn") or 3600)
        self._cache[key] = (answer["restrictedDataToken"], now + lifetime)
        return answer["restrictedDataToken"]
