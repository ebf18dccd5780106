"""Reports API 2021-06-30: request a report, poll it, download its document.

* ``createReport``      POST ``/reports/2021-06-30/reports`` (0.0167/s, burst 15) → ``reportId``
* ``getReport``         GET  ``/reports/2021-06-30/reports/{reportId}`` (2/s, burst 15) →
  ``processingStatus`` IN_QUEUE, IN_PROGRESS, DONE, CANCELLED (no data), FATAL
* ``getReportDocument`` GET  ``/reports/2021-06-30/documents/{reportDocumentId}`` (0.0167/s, burst 15)
  → a presigned ``url`` (valid 5 minutes) and maybe ``compressionAlgorithm: GZIP``.
  Restricted report types need a Restricted Data Token naming the concrete
  document path (Amazon "Order Reports": "When you specify a restricted report
  type in a call to the getReportDocument operation, you must pass in an RDT").

Flat-file reports are tab-delimited text with a header row.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import requests

from marketbridge.errors import TemporaryFailure
from marketbridge.http import transport_errors

from marketbridge_amazon.client import SpApiClient, segment
from marketbridge_amazon.orders_import import amazon_time
from marketbridge_amazon.rdt import RestrictedDataTokens

REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"


@dataclass(frozen=True)
class ReportState:
    status: str  #: IN_QUEUE, IN_PROGRESS, DONE, CANCELLED or FATAL
    document_id: str | None


def report_state(body: Any) -> ReportState:
    """Read a ``Report`` answer; ``TemporaryFailure`` when it has no status."""
    if not isinstance(body, dict) or not isinstance(body.get("processingStatus"), str):
        raise TemporaryFailure("Amazon answered getReport without a status", code="malformed_response")
    document = body.get("reportDocumentId")
    return ReportState(body["processingStatus"], document if isinstance(document, str) else None)


class Reports:
    """Creates reports and reads their documents for one seller account."""

    def __init__(self, client: SpApiClient, rdt: RestrictedDataTokens) -> None:
        self.client = client
        self.rdt = rdt

    def create(self, report_type: str, marketplace_ids: Sequence[str], start: datetime, end: datetime) -> str:
        """Request a report of ``report_type`` for data between ``start`` and ``end``; returns its id."""
        body = self.client.call("createReport", "POST", REPORTS, json={
            "reportType": report_type, "marketplaceIds": list(marketplace_ids),
            "dataStartTime": amazon_time(start), "dataEndTime": amazon_time(end)}).body
        if not isinstance(body, dict) or not isinstance(body.get("reportId"), str):
            raise TemporaryFailure("Amazon answered createReport without a report id", code="malformed_response")
        return body["reportId"]

    def state(self, report_id: str) -> ReportState:
        """The report's processing status and, once DONE, its document id."""
        return report_state(self.client.call("getReport", "GET", f"{REPORTS}/{segment(report_id)}").body)

    def download(self, document_id: str, *, restricted: bool) -> str:
        """The document's text (gunzipped and decoded); restricted documents are fetched with an RDT."""
        path = f"{DOCUMENTS}/{segment(document_id)}"
        token = self.rdt.token([("GET", path)]) if restricted else None
        body: Any = self.client.call("getReportDocument", "GET", path, token=token).body
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise TemporaryFailure("Amazon answered getReportDocument without a download URL",
                                   code="malformed_response")
        with transport_errors("Amazon's report download"):
            response: requests.Response = self.client.http.get(body["url"], timeout=self.client.context.timeout)
        if response.status_code != 200:
            raise TemporaryFailure(f"The report download failed (HTTP {response.status_code}); it is retried "
                                   "with a fresh link", code="download_failed", status=response.status_code)
        raw = response.content
        if body.get("compressionAlgorithm") == "GZIP":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise TemporaryFailure("The report download is not valid GZIP data", code="malformed_response") from exc
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")


def parse_flat_file(text: str) -> list[dict[str, str]]:
    """Rows of a tab-delimited report, keyed by the (lower-cased) header names."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = list(reader)
    if not rows:
        return []
    header = [name.strip().lower() for name in rows[0]]
    return [{name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
            for row in rows[1:] if any(cell.strip() for cell in row)]
