"""Time entries: log, edit, delete, undo and list a member's own time.

Every function takes a session (one transaction) and the acting Member and raises `UserError` subclasses with a
message for the person; nothing here knows about Slack. Rules enforced on every path (command, modal, timer):

- a duration is 1 minute .. 24 hours, stored as integer minutes;
- a member logs at most 24 hours per day (their own days, in their Slack timezone), checked under a lock on the
  member's row so two requests at once cannot both squeeze past the cap;
- no dates after the member's today;
- only active projects of the caller's workspace;
- an entry is found by id only among the caller's own entries in the caller's workspace: anyone else's entry, one
  of another workspace, and one that doesn't exist all look the same ("not found");
- an invoiced entry cannot be edited, deleted or undone;
- time dated before the workspace's lock date, or in a week waiting for review or approved, cannot be logged,
  edited, deleted or undone (`closed_time`);
- the hourly rate in force is copied onto the entry when it is logged (member-on-project rate, else project rate,
  else the member's default rate); editing keeps that snapshot unless the entry moves to another project, which
  takes the new project's rate of the moment. Changing a rate later never re-prices entries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple, NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from errors import InvalidInput, NotFound
from formats import DEFAULT, Formats
from storage.ids import payload_id
from storage.models import Member, Project, ProjectMemberRate, TimeEntry
from storage.stamps import Stamped
from team.formats import formats_of, workspace_formats
from team.members import get_member, require_active
from timesheets.budget_watch import watch
from timesheets.burn import burn_line
from timesheets.closed_time import closed_days, refuse_closed
from timesheets.entry_store import day_facts, insert_entry, member_row
from timesheets.grammar.durations import MAX_MINUTES, MIN_MINUTES, format_duration
from timesheets.grammar.parse import FUTURE_DATE_MESSAGE
from timesheets.lookup import FIELD_PROJECT, ProjectInfo, find_project, loggable_project
from timesheets.member_calendar import member_today

FIELD_DATE = "date"
FIELD_DURATION = "duration"
FIELD_DESCRIPTION = "description"
MAX_DESCRIPTION = 1000

ENTRY_NOT_FOUND = "I can't find that time entry among yours — it may have been deleted already."

Period = Literal["today", "week"]


def day_label(day: date, today: date | None = None, formats: Formats = DEFAULT) -> str:
    """"Tue 24 Nov" (with the year when it isn't this year), in the workspace's locale."""
    return formats.weekday_date(day) if today is not None and day.year != today.year else formats.weekday(day)


def unescape_slack(text: str) -> str:
    """Slack sends command text with &, < and > escaped as HTML entities; store what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True)
class EntryInput:
    """What the person asked to store; None means "not given" (billable None = the project's default)."""

    project_id: object
    work_date: date | None
    minutes: int | None
    description: str = ""
    billable: bool | None = None
    permalink: str | None = None  # the Slack message the time was logged from


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored (or as it was just before deletion), with what replies show about it."""

    id: int
    project_id: int
    project_label: str
    work_date: date
    minutes: int
    description: str
    billable: bool
    hourly_rate: Decimal | None
    invoiced: bool
    today: date
    burn: str | None = None
    permalink: str | None = None
    approved: bool = False  # in an approved week: locked like an invoiced entry
    formats: Formats = DEFAULT  # how the workspace reads money and dates
    closed: str | None = None  # why its day is closed to changes (closed_time: locked, in review), if it is

    @property
    def changeable(self) -> bool:
        """Whether editing or deleting it could succeed now (the use cases check again)."""
        return not (self.invoiced or self.approved or self.closed)

    @property
    def day(self) -> str:
        return day_label(self.work_date, self.today, self.formats)


# ---------------------------------------------------------------- rules


def resolve_rate(session: Session, member: Member, project_id: int,
                 project: ProjectInfo | None = None) -> Decimal | None:
    """The hourly rate in force for `member` on the project: member-on-project, else project, else default.

    `project`, when the caller already read it in this transaction, saves reading it again."""
    member_rate = session.scalar(
        select(ProjectMemberRate.hourly_rate).where(
            ProjectMemberRate.workspace_id == member.workspace_id,
            ProjectMemberRate.project_id == project_id,
            ProjectMemberRate.member_id == member.id,
        )
    )
    if member_rate is not None:
        return Decimal(member_rate)
    if project is not None and project.id == project_id:
        project_rate = project.hourly_rate
    else:
        stored = session.get(Project, project_id)
        project_rate = None if stored is None else stored.hourly_rate
    if project_rate is not None:
        return Decimal(project_rate)
    return None if member.default_rate is None else Decimal(member.default_rate)


def _checked_minutes(minutes: int | None) -> int:
    if minutes is None:
        raise InvalidInput("How long did you work? Enter a duration like 2.5, 1h30m, 1:30 or 45m.",
                           field=FIELD_DURATION)
    if minutes < MIN_MINUTES:
        raise InvalidInput("An entry must be at least 1 minute long.", field=FIELD_DURATION)
    if minutes > MAX_MINUTES:
        raise InvalidInput(f"An entry can be at most 24 hours — you entered {format_duration(minutes)}.",
                           field=FIELD_DURATION)
    return minutes


def _checked_date(work_date: date | None, today: date) -> date:
    if work_date is None:
        return today
    if work_date > today:
        raise InvalidInput(f"{FUTURE_DATE_MESSAGE} ({day_label(work_date, today)} is after your today, "
                           f"{day_label(today, today)}.)", field=FIELD_DATE)
    return work_date


def checked_description(text: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"Keep the description under {MAX_DESCRIPTION:,} characters "
                           f"(it has {len(text):,}).", field=FIELD_DESCRIPTION)
    return text


def require_can_log(member: Member) -> None:
    """Only an active member logs or changes time: someone Slack reports deactivated is refused (their entries stay,
    reports and invoices still count them). In the Log time form the refusal shows under the project."""
    require_active(member, "log time", field=FIELD_PROJECT)


_LOCKED = "hourcap.locked_members"  # session.info: member id → the transaction that holds the member's row lock


def _lock_member(session: Session, member: Member) -> None:
    """Serialise a member's writes (PostgreSQL row lock; SQLite already serialises writers at BEGIN), then check
    under the lock that they may still log time (a deactivation may have landed since they were loaded). A member
    `member_for_logging` loaded is locked already, in this transaction."""
    if session.info.get(_LOCKED, {}).get(member.id) is not session.get_transaction():
        session.refresh(member, ["deactivated_at", "inactive_reason"], with_for_update=True)
    require_can_log(member)


class ForLogging(NamedTuple):
    """What a quick `/hours` reads before parsing (`member_for_logging`)."""

    member: Member  # row-locked for this transaction
    day_first: bool  # the workspace writes dates day first
    formats: Formats  # what the reply is written in: pass them on to `log_entry`
    kept: Stamped  # the workspace's reads kept under the stamp read with the member (its projects)


def member_for_logging(session: Session, workspace_id: int, member_id: int) -> ForLogging:
    """The acting member, row-locked for this transaction as `_lock_member` would lock them later, whether their
    workspace writes dates day first, its formats and its stamp, in one round trip. Call it first in its
    transaction: what `kept` keeps must be read before the transaction writes anything."""
    row = member_row(session, workspace_id, member_id)
    if row is None:
        get_member(session, workspace_id, member_id)  # raises: not in this workspace
        raise AssertionError("get_member found a member the locked read did not")
    member, day_first, locale, currency, stamp = row
    session.info.setdefault(_LOCKED, {})[member.id] = session.get_transaction()
    return ForLogging(member, bool(day_first), formats_of(locale, currency), Stamped(session, workspace_id, stamp))


def _check_daily_cap(session: Session, member: Member, work_date: date, minutes: int, today: date,
                     excluding: int | None = None) -> None:
    query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.workspace_id == member.workspace_id,
        TimeEntry.member_id == member.id,
        TimeEntry.work_date == work_date,
    )
    if excluding is not None:
        query = query.where(TimeEntry.id != excluding)
    _refuse_over_cap(int(session.scalar(query) or 0), work_date, minutes, today)


def _refuse_over_cap(already: int, work_date: date, minutes: int, today: date) -> None:
    if already + minutes > MAX_MINUTES:
        left = MAX_MINUTES - already
        room = f"at most {format_duration(left)} more fits" if left > 0 else "the day is full"
        raise InvalidInput(
            f"That would make {day_label(work_date, today)} {format_duration(already + minutes)}: you've already "
            f"logged {format_duration(already)} that day, and a day holds at most 24 h ({room}).",
            field=FIELD_DURATION,
        )


def _stored(entry: TimeEntry, project: ProjectInfo, today: date, formats: Formats,
            burn: str | None = None, closed: str | None = None) -> StoredEntry:
    return StoredEntry(
        id=entry.id, project_id=entry.project_id, project_label=project.label, work_date=entry.work_date,
        minutes=entry.minutes, description=entry.description, billable=entry.billable,
        hourly_rate=None if entry.hourly_rate is None else Decimal(entry.hourly_rate),
        invoiced=entry.invoice_id is not None, today=today, burn=burn, permalink=entry.slack_permalink,
        approved=entry.approval_id is not None, formats=formats, closed=closed,
    )


# ---------------------------------------------------------------- use cases


def log_entry(session: Session, member: Member, data: EntryInput, *, source: str = "text",
              project: ProjectInfo | None = None, formats: Formats | None = None,
              now: datetime | None = None) -> StoredEntry:
    """Store a new entry for `member`; `project` may be passed when the caller already resolved it (it is checked
    again here: it may have been archived since, and only the caller's workspace's projects take time), and
    `formats` when it read the workspace's already (`member_for_logging`)."""
    require_can_log(member)
    today = member_today(member, now)
    if project is None:
        project = loggable_project(session, member.workspace_id, data.project_id)
    try:
        minutes = _checked_minutes(data.minutes)
        work_date = _checked_date(data.work_date, today)
        description = checked_description(data.description)
    except InvalidInput:
        loggable_project(session, member.workspace_id, project.id)  # a refused project is named first
        raise
    _lock_member(session, member)
    inserted = insert_entry(session, member, project.id, work_date, minutes, description, billable=data.billable,
                            source=source, permalink=data.permalink)
    if inserted is None:  # a rule refused it: say which, in the order people meet them
        _refuse_entry(session, member, project, work_date, minutes, today)
    entry = StoredEntry(
        id=inserted.id, project_id=project.id, project_label=project.label, work_date=work_date, minutes=minutes,
        description=description, billable=inserted.billable, hourly_rate=inserted.hourly_rate, invoiced=False,
        today=today, permalink=data.permalink, formats=formats or workspace_formats(session, member.workspace_id),
    )
    watch(session, member.workspace_id, project, work_date)
    burn = burn_line(session, project.id, member.workspace_id, work_date, today, billing_mode=project.billing_mode)
    return replace(entry, burn=burn) if burn is not None else entry


def _refuse_entry(session: Session, member: Member, project: ProjectInfo, work_date: date, minutes: int,
                  today: date) -> NoReturn:
    """Why `insert_entry` stored nothing: the project (archived since the caller read it, or not this
    workspace's), then a closed day, then the daily cap, each with its own message."""
    facts = day_facts(session, member, project.id, work_date)
    if not facts.project_open:
        loggable_project(session, member.workspace_id, project.id)
    if facts.closed:  # under the lock a review takes too
        refuse_closed(session, member, work_date, "logged", field=FIELD_DATE)
    _refuse_over_cap(facts.minutes, work_date, minutes, today)
    raise AssertionError("insert_entry refused an entry no rule refuses")


def own_entry(session: Session, member: Member, entry_id: object) -> TimeEntry:
    """One of the caller's own entries by an id from a payload; anything else is "not found"."""
    wanted = payload_id(entry_id)
    if wanted is None:
        raise NotFound(ENTRY_NOT_FOUND)
    entry = session.scalars(
        select(TimeEntry).where(
            TimeEntry.id == wanted,
            TimeEntry.workspace_id == member.workspace_id,
            TimeEntry.member_id == member.id,
        )
    ).one_or_none()
    if entry is None:
        raise NotFound(ENTRY_NOT_FOUND)
    return entry


def _changeable(session: Session, member: Member, entry_id: object, verb: str) -> TimeEntry:
    entry = own_entry(session, member, entry_id)
    if entry.invoice_id is not None:
        raise InvalidInput(f"That entry is already on an invoice, so it can't be {verb}. "
                           "If it's wrong, ask a manager to cancel the invoice first.")
    refuse_closed(session, member, entry.work_date, verb)
    return entry


def _project_of(session: Session, entry: TimeEntry) -> ProjectInfo:
    project = find_project(session, entry.workspace_id, entry.project_id)
    assert project is not None  # entries reference their own workspace's projects (RESTRICT on delete)
    return project


def entry_for_edit(session: Session, member: Member, entry_id: object, *, now: datetime | None = None) -> StoredEntry:
    """The entry the Edit button refers to, checked editable (the modal opens pre-filled with it)."""
    require_can_log(member)
    entry = _changeable(session, member, entry_id, "edited")
    return _stored(entry, _project_of(session, entry), member_today(member, now),
                   workspace_formats(session, member.workspace_id))


def edit_entry(session: Session, member: Member, entry_id: object, data: EntryInput, *,
               now: datetime | None = None) -> StoredEntry:
    """Change one of the caller's uninvoiced entries; a date left out keeps the entry's own date."""
    today = member_today(member, now)
    _lock_member(session, member)
    entry = _changeable(session, member, entry_id, "edited")
    if payload_id(data.project_id) == entry.project_id:
        project = _project_of(session, entry)  # may be archived since: fixing old time on it stays possible
        moved = False
    else:
        project = loggable_project(session, member.workspace_id, data.project_id)
        moved = True
    minutes = _checked_minutes(data.minutes)
    work_date = _checked_date(entry.work_date if data.work_date is None else data.work_date, today)
    refuse_closed(session, member, work_date, "moved there", field=FIELD_DATE)
    description = checked_description(data.description)
    _check_daily_cap(session, member, work_date, minutes, today, excluding=entry.id)
    entry.minutes = minutes
    entry.work_date = work_date
    entry.description = description
    if data.billable is not None:
        entry.billable = data.billable
    if moved:
        entry.project_id = project.id
        entry.hourly_rate = resolve_rate(session, member, project.id, project)
        if data.billable is None:
            entry.billable = project.billable_default
    session.flush()
    watch(session, member.workspace_id, project, work_date)
    burn = burn_line(session, project.id, member.workspace_id, work_date, today, billing_mode=project.billing_mode)
    return _stored(entry, project, today, workspace_formats(session, member.workspace_id), burn)


def delete_entry(session: Session, member: Member, entry_id: object, *, verb: str = "deleted",
                 now: datetime | None = None) -> StoredEntry:
    """Delete one of the caller's uninvoiced entries; returns what it was (for the reply)."""
    _lock_member(session, member)
    entry = _changeable(session, member, entry_id, verb)
    gone = _stored(entry, _project_of(session, entry), member_today(member, now),
                   workspace_formats(session, member.workspace_id))
    session.delete(entry)
    session.flush()
    return gone


def undo_entry(session: Session, member: Member, entry_id: object, *, now: datetime | None = None) -> StoredEntry:
    """Undo = delete the entry just logged: only its author, only while not invoiced."""
    return delete_entry(session, member, entry_id, verb="undone", now=now)


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class DayEntries:
    day: date
    total_minutes: int
    entries: tuple[StoredEntry, ...]


@dataclass(frozen=True)
class EntryListing:
    period: Period
    start: date
    end: date  # inclusive
    today: date
    days: tuple[DayEntries, ...]  # newest day first, only days with entries
    formats: Formats = DEFAULT

    @property
    def total_minutes(self) -> int:
        return sum(d.total_minutes for d in self.days)

    @property
    def entry_count(self) -> int:
        return sum(len(d.entries) for d in self.days)


def period_bounds(period: Period, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    start = today - timedelta(days=today.weekday())
    return start, start + timedelta(days=6)


def list_entries(session: Session, member: Member, period: Period, *, now: datetime | None = None) -> EntryListing:
    """The caller's own entries for today or this week (Monday..Sunday of their today)."""
    today = member_today(member, now)
    start, end = period_bounds(period, today)
    entries = session.scalars(
        select(TimeEntry)
        .where(
            TimeEntry.workspace_id == member.workspace_id,
            TimeEntry.member_id == member.id,
            TimeEntry.work_date >= start,
            TimeEntry.work_date <= end,
        )
        .order_by(TimeEntry.work_date.desc(), TimeEntry.id)
    ).all()
    projects: dict[int, ProjectInfo] = {}
    formats = workspace_formats(session, member.workspace_id)
    closed = closed_days(session, member, start, end) if entries else {}
    by_day: dict[date, list[StoredEntry]] = {}
    for entry in entries:
        if entry.project_id not in projects:
            projects[entry.project_id] = _project_of(session, entry)
        by_day.setdefault(entry.work_date, []).append(
            _stored(entry, projects[entry.project_id], today, formats, closed=closed.get(entry.work_date)))
    days = tuple(DayEntries(day, sum(e.minutes for e in items), tuple(items)) for day, items in by_day.items())
    return EntryListing(period=period, start=start, end=end, today=today, days=days, formats=formats)
