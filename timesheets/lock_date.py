"""The workspace's lock date: all time dated before it is closed for everyone.

Admins set it; logging, editing, deleting or undoing an entry dated before it is refused on every surface (the
check sits in the entry use cases, which the command, the form, the buttons and timers all go through). The date
compared is the entry's own work date, which is a day in its member's calendar (their Slack timezone), so
"before 1 Dec" means before 1 Dec wherever the member lives. The lock day itself stays open.

It may move forward freely up to the admin's today; moving it back (or clearing it) reopens time, and like every
change it writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import InvalidInput
from formats import DEFAULT, Formats
from storage.audit import audit
from storage.models import Member, Workspace
from team.formats import workspace_formats
from team.roles import Permission, require
from timesheets.member_calendar import member_today

AUDIT_ACTION = "workspace.lock_date"


def day_text(day: date, formats: Formats = DEFAULT) -> str:
    """"Tue 3 Nov 2026", in the workspace's locale."""
    return formats.weekday_date(day)


def lock_date(session: Session, workspace_id: int) -> date | None:
    """The first day still open (time before it is locked), or None when nothing is locked by date."""
    return session.scalar(select(Workspace.lock_before).where(Workspace.id == workspace_id))


def locked_message(lock_before: date, verb: str, formats: Formats = DEFAULT) -> str:
    return (f"Time before {day_text(lock_before, formats)} is locked, so this can't be {verb}. "
            "An admin or the owner can move the lock date back on the Hour Cap Home tab.")


def refuse_locked(session: Session, member: Member, work_date: date, verb: str, *, field: str | None = None) -> None:
    """Raise when `work_date` falls before the member's workspace's lock date."""
    lock_before = lock_date(session, member.workspace_id)
    if lock_before is not None and work_date < lock_before:
        raise InvalidInput(locked_message(lock_before, verb, workspace_formats(session, member.workspace_id)),
                           field=field)


@dataclass(frozen=True)
class LockChange:
    before: date | None
    after: date | None

    @property
    def moved_back(self) -> bool:
        return self.before is not None and (self.after is None or self.after < self.before)


def set_lock_date(session: Session, actor: Member, lock_before: date | None, *,
                  now: datetime | None = None) -> LockChange:
    """An admin's new lock date (None clears it). Locking can reach at most the admin's today (time before today
    is then closed); moving back reopens time and is recorded like any change, with the direction."""
    require(actor, Permission.SET_LOCK_DATE)
    today = member_today(actor, now)
    if lock_before is not None and lock_before > today:
        formats = workspace_formats(session, actor.workspace_id)
        raise InvalidInput(f"The lock date can be today ({day_text(today, formats)}) at the latest: time that hasn't "
                           "happened yet can't be locked.")
    workspace = session.scalars(select(Workspace).where(Workspace.id == actor.workspace_id)
                                .with_for_update()).one()
    change = LockChange(before=workspace.lock_before, after=lock_before)
    if change.before == change.after:
        return change
    workspace.lock_before = lock_before
    audit(session, actor, AUDIT_ACTION, f"workspace:{workspace.id}",
          before=None if change.before is None else change.before.isoformat(),
          after=None if change.after is None else change.after.isoformat(),
          direction="back" if change.moved_back else "forward")
    return change
