"""Time-entries invoices: the lines of a client's hourly projects over a period (``invoicing.preview``).

Creation reads every entry and builds every line (``selection`` + ``grouping``); the modal (``detail=False``)
asks the database for what it shows (``summary``), with the same totals, notes and fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from catalog.rounding import RoundingRule
from invoicing.approved_only import unapproved_left_out
from invoicing.client_projects import find_project
from invoicing.grouping import Grouping, group_entries
from invoicing.lines import Line, date_label, hours_label
from invoicing.request import Draft, InvoiceField, InvoiceRequest
from invoicing.selection import Period, last_calendar_month, time_entries
from invoicing.summary import EntryTally, summarize
from invoicing.totals import LineAmountType, Totals, invoice_totals
from storage.models import BillingMode, Client, Project
from storage.stamps import Stamped


@dataclass(frozen=True)
class Billed:
    """What a mode produced: the lines built, how many there are, the totals, the entries."""

    lines: tuple[Line, ...] = ()
    line_count: int = 0
    totals: Totals | None = None
    tally: EntryTally = EntryTally()
    entry_ids: tuple[int, ...] = ()
    ties: tuple[int, ...] | int = ()  # the tied lines' indexes, or only how many (the modal's summary by entry)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def built(cls, lines: tuple[Line, ...], entry_ids: tuple[int, ...], figures: Totals,
              extra: dict[str, Any] | None = None) -> Billed:
        return cls(lines, len(lines), figures, EntryTally.of(entry_ids), entry_ids, figures.tie_lines, extra or {})


def time_bill(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
              request: InvoiceRequest, today: date, grouping: Grouping, rule: RoundingRule, kind: LineAmountType,
              rate: Decimal, detail: bool, draft: Draft, *, shown: int, approved_only: bool = False,
              kept: Stamped | None = None) -> Billed:
    """Time-entries mode: the client's hourly projects (or the one chosen), every entry or the SQL summary (its
    first ``shown`` lines built; ``kept``: what a read-only preview may take as kept, ``summarize``)."""
    period = _period(request, today, draft)
    extra: dict[str, Any] = {"period": period}
    hourly = {i: p for i, p in projects.items() if p.billing_mode == BillingMode.HOURLY.value}
    if request.project_id not in (None, ""):
        project = find_project(projects, client, request.project_id, BillingMode.HOURLY, InvoiceField.PROJECT,
                               draft)
        extra["project_id"] = project.id if project is not None else None
        if project is None:
            return Billed(extra=extra)
        hourly = {project.id: project}
    if period is None:
        return Billed(extra=extra)
    if detail:
        selection = time_entries(session, workspace_id, list(hourly), period, approved_only=approved_only)
        lines = group_entries(selection.rows, grouping, rule)
        figures = invoice_totals(lines, kind, rate)
        billed = Billed.built(lines, selection.entry_ids, figures, extra)
        if grouping is Grouping.ENTRY:  # the modal's summary by entry counts its ties without placing them: word
            billed = replace(billed, ties=len(figures.tie_lines))  # the note the same way, so both say the same
        _unpriced_note(len(selection.unpriced_ids), selection.unpriced_minutes, draft)
    else:
        summary = summarize(session, workspace_id, hourly, period, grouping, rule, kind, rate, shown,
                            approved_only=approved_only, kept=kept)
        ties = summary.tie_lines if summary.tie_lines is not None else summary.tie_count
        billed = Billed(summary.lines, summary.line_count, summary.totals, summary.tally, (), ties, extra)
        _unpriced_note(summary.unpriced_count, summary.unpriced_minutes, draft)
        for note in summary.notes:  # every line's note, in line order, as the full build's lines give them below
            draft.note(note)
    left_out = unapproved_left_out(session, workspace_id, list(hourly), period.start, period.end) \
        if approved_only else None
    if left_out is not None:
        draft.note(left_out.note)
    if not billed.tally.count:
        draft.problem(InvoiceField.START, f"Nothing to bill: {client.name} has no uninvoiced billable time from "
                                          f"{date_label(period.start)} to {date_label(period.end)}.")
    return billed


def _period(request: InvoiceRequest, today: date, draft: Draft) -> Period | None:
    default = last_calendar_month(today)
    start, end = request.start or default.start, request.end or default.end
    ok = True
    if start > today:
        draft.problem(InvoiceField.START, f"The range starts in the future: pick {date_label(today)} or earlier.")
        ok = False
    if end > today:
        draft.problem(InvoiceField.END, f"The range ends in the future: pick {date_label(today)} or earlier.")
        ok = False
    if end < start:
        draft.problem(InvoiceField.END, "The end date is before the start date.")
        ok = False
    return Period(start, end) if ok else None


def _unpriced_note(count: int, minutes: int, draft: Draft) -> None:
    if count:
        draft.note(f"{count} {'entry' if count == 1 else 'entries'} ({hours_label(minutes)}) in range had no rate "
                   "when logged and are not billed.")
