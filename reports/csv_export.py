"""The entries behind a report as CSV: one row per entry, streamed (the rows are read in batches and written as
they come, so memory stays flat however many there are).

UTF-8 with a byte-order mark (spreadsheets then read it as UTF-8), ISO dates, plain decimal numbers (no grouping,
no currency). A cell a spreadsheet would run as a formula — one starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return — is written with a leading apostrophe (OWASP's CSV injection rule), so it shows as typed and is
never evaluated. Rounded minutes and amounts follow the invoices' rules (``RoundingRule.apply`` of the client's
rule, ``money.time_cents`` at the entry's rate snapshot): the amounts add up to the report's value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from invoicing.money import from_cents, time_cents
from reports.report import ReportRequest, load_catalog, report_scope
from storage.models import Invoice, Member, Project, TimeEntry

HEADER = ("date", "member", "client", "project", "code", "description", "raw_minutes", "rounded_minutes", "hours",
          "rate", "amount", "billable", "invoice_reference", "invoice_state", "slack_permalink")
BATCH = 2000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell that cannot run in a spreadsheet: a leading apostrophe before a formula-starting character."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _hours(minutes: int) -> str:
    """Hours to the hundredth, halves up (``90`` → ``1.50``, ``10`` → ``0.17``)."""
    return f"{(Decimal(minutes) / 60).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def entry_rows(session: Session, actor: Member, request: ReportRequest, today: date) -> Iterator[tuple[str, ...]]:
    """The header, then one row per entry of the report ``request`` asks for, as ``actor`` may see it (a member:
    their own entries, without rates or amounts). Oldest first."""
    catalog = load_catalog(session, actor.workspace_id)
    scope, money = report_scope(session, actor, request, today, catalog)
    query = (select(TimeEntry.work_date, TimeEntry.member_id, TimeEntry.project_id, TimeEntry.description,
                    TimeEntry.minutes, TimeEntry.hourly_rate, TimeEntry.billable, Invoice.reference, Invoice.status,
                    Invoice.xero_status, TimeEntry.slack_permalink)
             .join(Project, Project.id == TimeEntry.project_id)
             .outerjoin(Invoice, Invoice.id == TimeEntry.invoice_id)
             .where(TimeEntry.workspace_id == scope.workspace_id, Project.workspace_id == scope.workspace_id,
                    TimeEntry.work_date >= scope.period.start, TimeEntry.work_date <= scope.period.end)
             .order_by(TimeEntry.work_date, TimeEntry.id))
    if scope.client_id is not None:
        query = query.where(Project.client_id == scope.client_id)
    if scope.project_id is not None:
        query = query.where(TimeEntry.project_id == scope.project_id)
    if scope.member_id is not None:
        query = query.where(TimeEntry.member_id == scope.member_id)
    yield HEADER
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        day, member_id, project_id, text, minutes, rate, billable, reference, status, xero_status, link = row
        project = catalog.projects[project_id]
        member = catalog.members.get(member_id)
        rule = catalog.rules[project.client_id]
        rounded = rule.apply(minutes)
        amount = ""
        if money and billable and rate is not None:
            amount = f"{from_cents(time_cents(rounded, *Decimal(rate).as_integer_ratio()))}"
        yield (day.isoformat(), member.name if member else "",
               catalog.clients[project.client_id].name, project.name, project.code, text or "", str(minutes),
               str(rounded), _hours(rounded), f"{rate}" if money and rate is not None else "", amount,
               "yes" if billable else "no", reference or "", (xero_status or status or "").lower() if reference
               else "uninvoiced", link or "")


def write_csv(rows: Iterable[tuple[str, ...]], out: IO[bytes]) -> int:
    """Write ``rows`` to the binary stream ``out`` as UTF-8 CSV with a BOM, every cell neutralised; the number
    of rows written after the header."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    count = -1
    for count, row in enumerate(rows):  # noqa: B007 - the count is the answer
        writer.writerow([neutralise(cell) for cell in row])
    text.flush()
    text.detach()
    return max(count, 0)


def csv_bytes(rows: Iterable[tuple[str, ...]]) -> bytes:
    """Small exports in memory (tests, the demo)."""
    buffer = io.BytesIO()
    write_csv(rows, buffer)
    return buffer.getvalue()
