"""The statements a quick `/hours` runs, built once at import and bound at execution.

A quick log is the request Hour Cap gets most. Building a SELECT with a handful of subqueries costs more Python
than PostgreSQL spends running it, so these are module-level statements with named parameters, and the Core ones
run on the session's connection (the ORM's execution layer adds nothing for rows that are not entities):

- `member_row`: the acting member, row-locked, with the workspace's date order and formats (locale, Xero
  currency) and its stamp (`storage.stamps`: what the workspace's projects are kept under), one round trip; on
  PostgreSQL it also switches the rest of the transaction to plans made once (`storage.plans`): every later
  statement of a quick log is a point read or write;
- `insert_entry`: the entry, stored only if the project is open, the day is not closed and the member's day has
  room for it, with its billable default and rate in force taken from the project in the same statement;
- `day_facts`: the same facts read without inserting, to say which rule refused an entry (`timesheets.entries`).

The rules themselves are the module docstring's of `timesheets.entries`: one expression here per rule, shared by
the insert and by `day_facts`, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text, and_, bindparam, cast, func, insert, not_, or_, select
from sqlalchemy.orm import Session

from storage.db import on_postgresql
from storage.models import (
    Client,
    Member,
    Project,
    ProjectMemberRate,
    TimeEntry,
    WeekState,
    WeekSubmission,
    Workspace,
    WorkspaceStamp,
    XeroConnection,
)
from storage.models.base import Rate
from storage.plans import planned_once
from timesheets.approvals import week_start_of
from timesheets.grammar.durations import MAX_MINUTES

_WORKSPACE = bindparam("workspace_id", type_=Integer)
_MEMBER = bindparam("member_id", type_=Integer)
_PROJECT = bindparam("project_id", type_=Integer)
_WORK_DATE = bindparam("work_date", type_=Date)
_MINUTES = bindparam("minutes", type_=Integer)
_CLOSED_STATES = (WeekState.SUBMITTED.value, WeekState.APPROVED.value)

_MEMBER_ROW = (
    select(Member, Workspace.day_first_dates, Workspace.locale, XeroConnection.base_currency, WorkspaceStamp.stamp)
    .join(Workspace, Workspace.id == Member.workspace_id)
    .outerjoin(XeroConnection, XeroConnection.workspace_id == Workspace.id)
    .outerjoin(WorkspaceStamp, WorkspaceStamp.workspace_id == Workspace.id)
    .where(Member.id == _MEMBER, Member.workspace_id == _WORKSPACE)
    .with_for_update(of=Member).execution_options(populate_existing=True)
)
_MEMBER_ROW_POSTGRESQL = planned_once(_MEMBER_ROW)


def member_row(session: Session, workspace_id: int,
               member_id: int) -> tuple[Member, bool, str, str | None, int | None] | None:
    """(member, day_first_dates, locale, Xero base currency, workspace stamp), the member row-locked; None if not
    of the workspace. The first statement of its transaction: the rest of it is planned once per connection on
    PostgreSQL."""
    statement = _MEMBER_ROW_POSTGRESQL if on_postgresql(session) else _MEMBER_ROW
    row = session.execute(statement, {"workspace_id": workspace_id, "member_id": member_id}).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


# ---------------------------------------------------------------- one expression per rule

_member_rate = select(ProjectMemberRate.hourly_rate).where(
    ProjectMemberRate.workspace_id == _WORKSPACE, ProjectMemberRate.project_id == _PROJECT,
    ProjectMemberRate.member_id == _MEMBER).scalar_subquery()
_lock_before = select(Workspace.lock_before).where(Workspace.id == _WORKSPACE).scalar_subquery()
_week_state = select(WeekSubmission.state).where(
    WeekSubmission.workspace_id == _WORKSPACE, WeekSubmission.member_id == _MEMBER,
    WeekSubmission.week_start == bindparam("week_start", type_=Date)).scalar_subquery()
_minutes_that_day = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
    TimeEntry.workspace_id == _WORKSPACE, TimeEntry.member_id == _MEMBER,
    TimeEntry.work_date == _WORK_DATE).scalar_subquery()
_archived = or_(Project.archived, Client.archived)
_closed = or_(_lock_before > _WORK_DATE, _week_state.in_(_CLOSED_STATES))  # NULL (no lock, no week) is not closed
# the project of this workspace (a project of another one is not found), with its client
_THE_PROJECT = and_(Project.id == _PROJECT, Project.workspace_id == _WORKSPACE, Client.workspace_id == _WORKSPACE)


def _params(workspace_id: int, member_id: int, project_id: int, work_date: date) -> dict[str, Any]:
    return {"workspace_id": workspace_id, "member_id": member_id, "project_id": project_id, "work_date": work_date,
            "week_start": week_start_of(work_date)}


# ---------------------------------------------------------------- the insert

_INSERTED_COLUMNS = ("workspace_id", "member_id", "project_id", "work_date", "minutes", "description", "billable",
                     "hourly_rate", "source", "slack_permalink")
_INSERT_ENTRY = insert(TimeEntry.__table__).from_select(  # type: ignore[arg-type]  # a Table is insertable
    list(_INSERTED_COLUMNS),
    select(
        _WORKSPACE, _MEMBER, Project.id, _WORK_DATE, _MINUTES, bindparam("description", type_=Text),
        func.coalesce(cast(bindparam("billable", type_=Boolean), Boolean), Project.billable_default),
        func.coalesce(_member_rate, Project.hourly_rate, cast(bindparam("default_rate", type_=Rate), Rate)),
        bindparam("source", type_=String), bindparam("slack_permalink", type_=String),
    )
    .join_from(Project, Client, Client.id == Project.client_id)
    .where(_THE_PROJECT, not_(_archived), not_(func.coalesce(_closed, False)),
           _minutes_that_day + _MINUTES <= MAX_MINUTES),
).returning(TimeEntry.id, TimeEntry.billable, TimeEntry.hourly_rate)


@dataclass(frozen=True)
class Inserted:
    id: int
    billable: bool
    hourly_rate: Decimal | None


def insert_entry(session: Session, member: Member, project_id: int, work_date: date, minutes: int,
                 description: str, *, billable: bool | None, source: str, permalink: str | None) -> Inserted | None:
    """Store the entry if every rule allows it, in one statement; None when one refuses (`day_facts` says which).

    Run under the member's row lock (`timesheets.entries._lock_member`), which logging, editing and a week's
    review all take first: the day's minutes it sums cannot change before the row lands. Billable None is the
    project's default; the rate is the one in force (member-on-project, else project, else the member's)."""
    params = _params(member.workspace_id, member.id, project_id, work_date)
    params.update(minutes=minutes, description=description, billable=billable, default_rate=member.default_rate,
                  source=source, slack_permalink=permalink)
    row = session.connection().execute(_INSERT_ENTRY, params).one_or_none()
    if row is None:
        return None
    entry_id, stored_billable, rate = row
    return Inserted(int(entry_id), bool(stored_billable), None if rate is None else Decimal(rate))


# ---------------------------------------------------------------- why it was refused


@dataclass(frozen=True)
class DayFacts:
    """What logging time on a project and day needs to know, read in one statement (`day_facts`)."""

    project_open: bool  # the project (and its client) of this workspace, neither archived
    closed: bool  # before the lock date, or in a week waiting for review or approved (`refuse_closed` says why)
    minutes: int  # already logged by the member that day


_DAY_FACTS = (
    select(_archived, _closed, _minutes_that_day)
    .join_from(Project, Client, Client.id == Project.client_id)
    .where(_THE_PROJECT)
)


def day_facts(session: Session, member: Member, project_id: int, work_date: date) -> DayFacts:
    """The project's state, the day's closed state and the member's minutes that day, in one round trip. A project
    that is not this workspace's reads as not open."""
    row = session.connection().execute(
        _DAY_FACTS, _params(member.workspace_id, member.id, project_id, work_date)).one_or_none()
    if row is None:
        return DayFacts(project_open=False, closed=False, minutes=0)
    archived, closed, already = row
    return DayFacts(project_open=not archived, closed=bool(closed), minutes=int(already or 0))
