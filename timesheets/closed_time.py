"""Whether a day of a member's time is closed to changes: before the lock date, or in a week under review or
approved. The entry use cases ask this for every log, edit, delete and undo."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from storage.models import Member
from timesheets.approvals import refuse_closed_week
from timesheets.lock_date import refuse_locked


def refuse_closed(session: Session, member: Member, work_date: date, verb: str, *, field: str | None = None) -> None:
    refuse_locked(session, member, work_date, verb, field=field)
    refuse_closed_week(session, member, work_date, verb, field=field)
