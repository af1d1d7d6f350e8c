"""One entry for each person named: ``/hours 1 standup @alice @bob``.

Managers and up may log for anyone in their workspace; a member may name only themselves. Each person's entry is
stored as if they had logged it (their own 24-hour cap, their own today, the rate in force for them) in a savepoint
of its own, so one person who can't take the entry doesn't stop the others. Each person named other than the
caller is told by DM, with Undo (task ``hours.logged_for``, rendered in Slack by ``bot/notify/logged_for.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from errors import InvalidInput, PermissionDenied, UserError
from storage.models import Member, TimeEntry, Workspace
from storage.outbox import record
from team.formats import workspace_formats
from team.members import ProfileLoader, colleague, find_member
from team.roles import Permission, require
from timesheets.entries import EntryInput, StoredEntry, log_entry
from timesheets.lookup import FIELD_PROJECT, ProjectInfo, find_project
from timesheets.member_calendar import member_today

LOGGED_FOR_TASK = "hours.logged_for"  # DM the person an entry was logged for (bot/notify/logged_for.py)

SKIP_NOT_MEMBER = "not a member of this workspace"
SKIP_DEACTIVATED = "deactivated"
SKIP_FULL_DAY = "over 24 h that day"


@dataclass(frozen=True)
class PersonEntry:
    """One person named and what was stored for them."""

    slack_user_id: str
    name: str
    entry: StoredEntry


@dataclass(frozen=True)
class Skipped:
    """One person named who got no entry, and why (a short phrase)."""

    slack_user_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class TeamLog:
    stored: tuple[PersonEntry, ...]
    skipped: tuple[Skipped, ...]


def people_named(actor: Member, user_ids: Sequence[str], me: bool) -> tuple[str, ...]:
    """The Slack ids an entry is for, each once, in the order written (``@me`` first when written)."""
    named = ([actor.slack_user_id] if me else []) + list(user_ids)
    return tuple(dict.fromkeys(named))


def check_may_log_for(actor: Member, user_ids: Sequence[str]) -> None:
    """A member may name only themselves; naming anyone else takes a manager."""
    if any(user_id != actor.slack_user_id for user_id in user_ids):
        require(actor, Permission.LOG_FOR_OTHERS)


def _person(session: Session, workspace: Workspace, user_id: str, load_profile: ProfileLoader) -> Member | str:
    """The member for a mention, or why there is none. People not yet seen by Hour Cap are asked about (users.info)
    and become members when Slack says they belong here."""
    member = find_member(session, workspace.id, user_id)
    if member is not None:
        return SKIP_DEACTIVATED if member.deactivated_at is not None else member
    try:
        return colleague(session, workspace, user_id, load_profile, field=FIELD_PROJECT, what="time")
    except InvalidInput as refused:
        return SKIP_DEACTIVATED if "deactivated" in refused.message else SKIP_NOT_MEMBER


def _reason(error: UserError) -> str:
    if isinstance(error, PermissionDenied):
        return SKIP_DEACTIVATED
    if "a day holds at most 24 h" in error.message:
        return SKIP_FULL_DAY
    return error.message


def log_for_people(session: Session, actor: Member, user_ids: Sequence[str], data: EntryInput, *,
                   project: ProjectInfo | None = None, load_profile: ProfileLoader) -> TeamLog:
    """Store `data` once for each Slack user in `user_ids` (the caller included when named)."""
    check_may_log_for(actor, user_ids)
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    stored: list[PersonEntry] = []
    skipped: list[Skipped] = []
    for user_id in user_ids:
        person = actor if user_id == actor.slack_user_id else _person(session, workspace, user_id, load_profile)
        if isinstance(person, str):
            known = find_member(session, workspace.id, user_id)
            skipped.append(Skipped(user_id, known.display_name if known else user_id, person))
            continue
        try:
            with session.begin_nested():
                entry = log_entry(session, person, data, source="text", project=project)
        except UserError as refused:
            skipped.append(Skipped(user_id, person.display_name, _reason(refused)))
            continue
        stored.append(PersonEntry(user_id, person.display_name, entry))
        if person.id != actor.id:
            record(session, LOGGED_FOR_TASK, {"entry_id": entry.id, "by_member_id": actor.id},
                   workspace_id=workspace.id)
    return TeamLog(tuple(stored), tuple(skipped))


@dataclass(frozen=True)
class LoggedForNotice:
    """What the DM to a person an entry was logged for shows."""

    slack_user_id: str
    by_name: str
    entry: StoredEntry


def logged_for_notice(session: Session, entry_id: int, by_member_id: int) -> LoggedForNotice | None:
    """The DM's content; None when the entry is gone (undone meanwhile) or the logger is not of its workspace."""
    row = session.get(TimeEntry, entry_id)
    if row is None:
        return None
    person = session.get(Member, row.member_id)
    by = session.get(Member, by_member_id)
    project = find_project(session, row.workspace_id, row.project_id)
    if person is None or by is None or by.workspace_id != row.workspace_id or project is None:
        return None
    entry = StoredEntry(
        id=row.id, project_id=row.project_id, project_label=project.label, work_date=row.work_date,
        minutes=row.minutes, description=row.description, billable=row.billable,
        hourly_rate=None if row.hourly_rate is None else Decimal(row.hourly_rate),
        invoiced=row.invoice_id is not None, today=member_today(person),
        formats=workspace_formats(session, row.workspace_id),
    )
    return LoggedForNotice(person.slack_user_id, by.display_name, entry)
