"""Whether a day of a member's time is closed to changes: before the lock date, or in a week under review or
approved. The entry use cases ask this for every log, edit, delete and undo."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from storage.models import Member, WeekState
from timesheets.approvals import closed_weeks, refuse_closed_week
from timesheets.lock_date import lock_date, refuse_locked

LOCKED = "locked"  # before the workspace's lock date
IN_REVIEW = "in review"  # in a week waiting for review
APPROVED = "approved"  # in an approved week


def refuse_closed(session: Session, member: Member, work_date: date, verb: str, *, field: str | None = None) -> None:
    refuse_locked(session, member, work_date, verb, field=field)
    refuse_closed_week(session, member, work_date, verb, field=field)


def closed_days(session: Session, member: Member, start: date, end: date) -> dict[date, str]:
    """The days from `start` to `end` on which `refuse_closed` would refuse a change to `member`'s time, each with
    why (`LOCKED`, `IN_REVIEW`, `APPROVED`), so a list can leave out the buttons that would be refused. Two small
    reads, whatever the range."""
    closed: dict[date, str] = {}
    for week_start, state in closed_weeks(session, member, start, end):
        why = IN_REVIEW if state == WeekState.SUBMITTED.value else APPROVED
        for offset in range(7):
            day = week_start + timedelta(days=offset)
            if start <= day <= end:
                closed[day] = why
    lock_before = lock_date(session, member.workspace_id)
    day = start
    while lock_before is not None and day <= end and day < lock_before:
        closed[day] = LOCKED
        day += timedelta(days=1)
    return closed
