"""Reconciliation: which orders does Amazon report that Marketbridge never imported?

:func:`missing_orders` compares two sets of ids. :class:`Reconciler` runs the
daily check: it requests the (unrestricted) All Orders report by last update
for a period, keeps the connection's importable orders (its fulfilment
channel; not Pending, not cancelled) and lists those absent from the ids the
host says it imported.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from marketbridge.errors import TemporaryFailure

from marketbridge_amazon.orders_import import Scope
from marketbridge_amazon.report_orders import TRACKING_REPORT, status_of
from marketbridge_amazon.reports import Reports, parse_flat_file

_CHANNELS = {"MERCHANT": ("merchant", "mfn"), "AMAZON": ("amazon", "afn")}


def missing_orders(amazon_order_ids: Iterable[str], imported_ids: Iterable[str]) -> list[str]:
    """Ids Amazon has that are not among ``imported_ids``, sorted."""
    return sorted(set(amazon_order_ids) - set(imported_ids))


def expected_orders(rows: Sequence[Mapping[str, str]], scope: Scope) -> list[str]:
    """Order ids of report rows that the connection should have imported."""
    channels = _CHANNELS[scope.fulfilled_by]
    found = []
    for row in rows:
        status = status_of(row.get("order-status"))
        channel = str(row.get("fulfillment-channel") or "").strip().lower()
        if status in (None, "pending", "cancelled") or (channel and channel not in channels):
            continue
        found.append(row.get("amazon-order-id") or "")
    return sorted({order_id for order_id in found if order_id})


@dataclass(frozen=True)
class Reconciliation:
    expected: tuple[str, ...]  #: orders Amazon reports for the period
    missing: tuple[str, ...]  #: of those, the ones never imported


class Reconciler:
    """Requests the period's report and compares it with the imported ids."""

    def __init__(self, reports: Reports, scope: Scope) -> None:
        self.reports = reports
        self.scope = scope

    def request(self, start: datetime, end: datetime) -> str:
        """Ask Amazon for the period's All Orders report; returns the report id (operation createReport)."""
        return self.reports.create(TRACKING_REPORT, [self.scope.marketplace_id], start, end)

    def result(self, report_id: str, imported_ids: Iterable[str]) -> Reconciliation | None:
        """The comparison, or ``None`` while Amazon is still preparing the report (getReport, getReportDocument)."""
        state = self.reports.state(report_id)
        if state.status in ("IN_QUEUE", "IN_PROGRESS"):
            return None
        if state.status == "FATAL":
            raise TemporaryFailure("Amazon could not produce the reconciliation report; request it again",
                                   code="report_failed")
        rows = (parse_flat_file(self.reports.download(state.document_id, restricted=False))
                if state.status == "DONE" and state.document_id else [])
        expected = expected_orders(rows, self.scope)
        return Reconciliation(tuple(expected), tuple(missing_orders(expected, imported_ids)))
