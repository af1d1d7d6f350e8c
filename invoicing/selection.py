"""Which time entries an invoice would bill: one workspace-scoped query, rows turned into ``EntryRow`` values.

Time-entries mode bills every uninvoiced, billable entry of the client's *hourly* projects dated in the range
(optionally one project). Retainer and fixed-budget projects are left out on purpose: their time is covered by
the retainer month or the fixed fee, and billing it by the hour as well would bill it twice. A retainer month
reads the project's uninvoiced billable entries of that month (they are reserved to the retainer invoice, so
they can never be billed by the hour later).

An entry without a rate snapshot (logged on a project with no rate by someone with no default rate) cannot be
priced — rates are never re-priced after the fact — so it is counted apart (``Selection.unpriced``) and the
preview says so instead of billing it at zero.

Speed: this full read (every entry, for creation) is a single SELECT of plain columns (no ORM objects), filtered
by the ``(workspace_id, project_id, invoice_id, work_date)`` index, ordered as the grouping rules want them. The
modal's live preview does not read the entries at all: ``invoicing.summary`` aggregates them in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from invoicing.lines import EntryRow
from storage.models import Member, Project, TimeEntry

ZERO_RATE = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    """An inclusive date range."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def last_calendar_month(today: date) -> Period:
    """The month before ``today``'s (the default range: invoices usually bill the month just ended)."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


@dataclass(frozen=True)
class Selection:
    """Entries that can be billed, and what was left out because it has no rate."""

    rows: tuple[EntryRow, ...]
    unpriced_ids: tuple[int, ...] = ()
    unpriced_minutes: int = 0
    project_ids: tuple[int, ...] = field(default=())

    @property
    def entry_ids(self) -> tuple[int, ...]:
        return tuple(row.id for row in self.rows)


_FIELDS = tuple(f.name for f in fields(EntryRow))


def _trusted(values: tuple[Any, ...]) -> EntryRow:
    """An EntryRow without re-running its checks: its rate was checked on an earlier row (the checks are exact
    Fraction arithmetic, most of the cost of reading 10,000 entries) and minutes ≥ 1 is a database constraint."""
    row = EntryRow.__new__(EntryRow)
    row.__dict__.update(zip(_FIELDS, values, strict=True))
    return row


def _columns() -> Any:
    return (
        select(TimeEntry.id, Member.display_name, TimeEntry.member_id, TimeEntry.project_id, Project.name,
               Project.code, TimeEntry.work_date, TimeEntry.minutes, TimeEntry.description, TimeEntry.hourly_rate)
        .join(Project, Project.id == TimeEntry.project_id)
        .join(Member, Member.id == TimeEntry.member_id)
    )


def _read(session: Session, query: Any, params: dict[str, Any] | None = None, *,
          unpriced_rate: Decimal | None = None) -> Selection:
    rows: list[EntryRow] = []
    unpriced: list[int] = []
    unpriced_minutes = 0
    projects: dict[int, None] = {}
    checked: dict[Decimal, Decimal] = {}  # each distinct rate, validated once (one Decimal object per rate)
    for entry_id, member_name, member_id, project_id, name, code, day, minutes, text, rate in session.execute(
            query, params):
        if rate is None:
            if unpriced_rate is None:
                unpriced.append(entry_id)
                unpriced_minutes += minutes
                continue
            rate = unpriced_rate
        values = (entry_id, member_name or "", project_id, name, code, day, minutes, text or "", rate, member_id)
        known = checked.get(rate)
        if known is None:
            rows.append(EntryRow(*values))  # the full checks, once per distinct rate
            checked[rate] = rate
        else:
            rows.append(_trusted(values[:8] + (known, member_id)))
        projects[project_id] = None
    return Selection(tuple(rows), tuple(unpriced), unpriced_minutes, tuple(projects))


# The scope's values are bound at execution (``scope_params``), so statements built on it can be built once.
_WORKSPACE: BindParameter[int] = bindparam("scope_workspace")
_PROJECTS: BindParameter[list[int]] = bindparam("scope_projects", expanding=True)
_START: BindParameter[date] = bindparam("scope_start")
_END: BindParameter[date] = bindparam("scope_end")
_ANY_APPROVAL: BindParameter[bool] = bindparam("scope_any_approval", type_=Boolean)  # False: approved time only


def time_scope() -> list[ColumnElement[bool]]:
    """The entries time-entries mode bills: uninvoiced and billable, of the given projects (the client's hourly
    projects, all or one, already checked to be the workspace's), dated in the period — values from
    ``scope_params``. The full build below and the modal's SQL summary (``invoicing.summary``) both select with
    exactly these conditions."""
    return [
        TimeEntry.workspace_id == _WORKSPACE,
        TimeEntry.project_id.in_(_PROJECTS),
        TimeEntry.invoice_id.is_(None),
        TimeEntry.billable.is_(True),
        TimeEntry.work_date >= _START,
        TimeEntry.work_date <= _END,
        or_(_ANY_APPROVAL, TimeEntry.approval_id.is_not(None)),
    ]


def scope_params(workspace_id: int, project_ids: Sequence[int], period: Period, *,
                 approved_only: bool = False) -> dict[str, Any]:
    """The values of ``time_scope``; `approved_only` (the workspace's setting) keeps only approved entries."""
    return {"scope_workspace": workspace_id, "scope_projects": list(project_ids), "scope_start": period.start,
            "scope_end": period.end, "scope_any_approval": not approved_only}


def time_entries(session: Session, workspace_id: int, project_ids: Sequence[int], period: Period, *,
                 approved_only: bool = False) -> Selection:
    """The entries of ``time_scope``, oldest first, as rows for the grouping rules."""
    query = _columns().where(*time_scope(), Project.workspace_id == workspace_id)
    return _read(session, query.order_by(TimeEntry.work_date, TimeEntry.id),
                 scope_params(workspace_id, project_ids, period, approved_only=approved_only))


def month_entries(session: Session, workspace_id: int, project_id: int, month: date, *,
                  approved_only: bool = False) -> Selection:
    """A retainer project's uninvoiced billable entries dated in ``month``'s calendar month. Entries without a
    rate still count towards the hours worked (their rate is never used), so none is left out."""
    first = month.replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    query = _columns().where(
        TimeEntry.workspace_id == workspace_id,
        Project.workspace_id == workspace_id,
        TimeEntry.project_id == project_id,
        TimeEntry.invoice_id.is_(None),
        TimeEntry.billable.is_(True),
        TimeEntry.work_date >= first,
        TimeEntry.work_date <= last,
    )
    if approved_only:
        query = query.where(TimeEntry.approval_id.is_not(None))
    return _read(session, query.order_by(TimeEntry.work_date, TimeEntry.id), unpriced_rate=ZERO_RATE)
