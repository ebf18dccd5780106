"""Backlogs through the Reports API: one window, two documents, instead of hundreds of calls.

A window whose orders outgrow the searchOrders quota (the bucket is empty
while the window still has pages: activation backfill, peak days) is imported
from the Unshipped Orders and All Orders reports for the same time range
(:mod:`marketbridge_amazon.report_orders` explains the choice and the join).
The steps run across ``fetch_orders`` calls, the state kept in the cursor:

1. ``createReport`` for both report types (window bounds as dataStart/EndTime);
2. ``getReport`` until both are DONE (CANCELLED means "no data"; FATAL is
   requested again, and after three failures the window falls back to
   searchOrders paging);
3. ``getReportDocument`` for both (an RDT for the restricted one), join, emit.

Reconciliation with searchOrders: afterwards the updates watermark is the
window's end, so every order changed after the reports were cut is read again
by searchOrders; open orders the join could not price and cancelled orders go
to the cursor's re-check list and are read with getOrder. Reports are only
available for merchant-fulfilled connections (the Unshipped Orders report is
MFN-only); AFN connections keep paging searchOrders.
"""
from __future__ import annotations

from datetime import datetime

from marketbridge.adapters import OrderPage
from marketbridge.errors import RateLimited, TemporaryFailure

from marketbridge_amazon.cursor import ImportCursor, ReportJob, Window
from marketbridge_amazon.order_mapping import MappingRules
from marketbridge_amazon.orders_import import MIN_AGE, Scope, amazon_time, parse_time
from marketbridge_amazon.report_orders import RESTRICTED_REPORTS, TRACKING_REPORT, UNSHIPPED_REPORT, join_reports
from marketbridge_amazon.reports import Reports, parse_flat_file

REPORT_TYPES = (UNSHIPPED_REPORT, TRACKING_REPORT)
MAX_FAILURES = 3


class Backlog:
    """Advances a :class:`ReportJob` stored in the import cursor."""

    def __init__(self, reports: Reports, rules: MappingRules, scope: Scope) -> None:
        self.reports = reports
        self.rules = rules
        self.scope = scope

    @property
    def available(self) -> bool:
        """Whether the report route can serve this connection (merchant-fulfilled only)."""
        return self.scope.fulfilled_by == "MERCHANT"

    def job_for(self, window: Window, now: datetime) -> ReportJob:
        """A report job covering the whole of ``window``."""
        return ReportJob(kind=window.kind, after=window.after,
                         before=window.before or amazon_time(now - MIN_AGE), statuses=window.statuses)

    def advance(self, cursor: ImportCursor) -> OrderPage:
        """Run the next steps of the cursor's report job; returns the imported page once both documents are in.

        Raises ``RateLimited``/``TemporaryFailure`` only when no step could be
        done; otherwise the progress is returned in the cursor of an empty page.
        """
        job = cursor.report
        assert job is not None
        progressed = False
        try:
            for report_type in REPORT_TYPES:
                if report_type not in job.reports:
                    job.reports[report_type] = self.reports.create(
                        report_type, [self.scope.marketplace_id], parse_time(job.after), parse_time(job.before))
                    progressed = True
            for report_type, report_id in list(job.reports.items()):
                if report_type in job.documents:
                    continue
                state = self.reports.state(report_id)
                if state.status == "DONE":
                    job.documents[report_type] = state.document_id or ""
                    progressed = True
                elif state.status == "CANCELLED":
                    job.documents[report_type] = ""
                    progressed = True
                elif state.status == "FATAL":
                    del job.reports[report_type]
                    job.failures += 1
                    progressed = True
            if job.failures >= MAX_FAILURES:
                cursor.window = Window(kind=job.kind, after=job.after, before=job.before, statuses=job.statuses,
                                       bounded=True)
                cursor.report = None
                return OrderPage((), cursor.dumps(), more=True)
            if len(job.documents) < len(REPORT_TYPES):
                return OrderPage((), cursor.dumps(), more=False)
            texts = {report_type: (self.reports.download(document, restricted=report_type in RESTRICTED_REPORTS)
                                   if document else "")
                     for report_type, document in job.documents.items()}
        except (RateLimited, TemporaryFailure):
            if progressed:
                return OrderPage((), cursor.dumps(), more=False)
            raise
        joined = join_reports(parse_flat_file(texts[UNSHIPPED_REPORT]), parse_flat_file(texts[TRACKING_REPORT]),
                              self.rules, created_since=job.after if job.kind == "created" else None)
        cursor.report = None
        cursor.window = None
        cursor.watermark = job.before
        cursor.phase = "updates"
        cursor.recheck = list(dict.fromkeys([*cursor.recheck, *joined.recheck]))
        return OrderPage(tuple(joined.orders), cursor.dumps(), more=True, rejected=tuple(joined.rejected),
                         total=len(joined.orders))
