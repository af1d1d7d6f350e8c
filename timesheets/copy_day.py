""""Same as yesterday": a member's entries of one day copied onto another day of theirs.

Entries already invoiced, or on a project that is archived (or whose client is), are not copied and are named;
each copy is logged like any entry (the rate in force now, the day's 24-hour cap, closed time refused), in a
savepoint of its own so one that can't be stored doesn't stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import UserError
from storage.models import Member, TimeEntry
from timesheets.entries import EntryInput, StoredEntry, log_entry, require_can_log
from timesheets.lookup import find_project


@dataclass(frozen=True)
class DayEntry:
    project_label: str
    minutes: int
    description: str
    skip: str | None  # why it isn't copied ("invoiced", "project archived"), None when it is


@dataclass(frozen=True)
class Copied:
    stored: tuple[StoredEntry, ...]
    skipped: tuple[tuple[DayEntry, str], ...]


def _rows(session: Session, member: Member, day: date) -> list[TimeEntry]:
    return list(session.scalars(select(TimeEntry).where(
        TimeEntry.workspace_id == member.workspace_id, TimeEntry.member_id == member.id,
        TimeEntry.work_date == day).order_by(TimeEntry.id)))


def day_entries(session: Session, member: Member, day: date) -> list[DayEntry]:
    """The member's entries of `day`, each with whether it would be copied."""
    found: list[DayEntry] = []
    for row in _rows(session, member, day):
        project = find_project(session, member.workspace_id, row.project_id)
        label = project.label if project is not None else "?"
        skip = ("invoiced" if row.invoice_id is not None
                else "project archived" if project is None or project.archived else None)
        found.append(DayEntry(label, row.minutes, row.description, skip))
    return found


def copy_day(session: Session, member: Member, source: date, target: date) -> Copied:
    """Copy the member's entries of `source` onto `target` (their own; nothing of anyone else's)."""
    require_can_log(member)
    stored: list[StoredEntry] = []
    skipped: list[tuple[DayEntry, str]] = []
    for row, seen in zip(_rows(session, member, source), day_entries(session, member, source), strict=True):
        if seen.skip is not None:
            skipped.append((seen, seen.skip))
            continue
        data = EntryInput(row.project_id, target, row.minutes, row.description, row.billable)
        try:
            with session.begin_nested():
                stored.append(log_entry(session, member, data, source="copy"))
        except UserError as refused:
            skipped.append((seen, refused.message))
    return Copied(tuple(stored), tuple(skipped))
