"""Totals of a member's time, in the member's own calendar (their Slack timezone decides "today")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from storage.models import Member, TimeEntry
from storage.types import utcnow


def member_today(member: Member, now: datetime | None = None) -> date:
    try:
        zone = ZoneInfo(member.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(zone).date()


@dataclass(frozen=True)
class WeekTotals:
    week_start: date  # Monday
    minutes_by_day: tuple[int, ...]  # Monday..Sunday

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_day)


@cache
def _week_statement() -> Select[date, int]:
    """A member's minutes by day from `start` up to `end`; built once, everything bound at execution."""
    return (select(TimeEntry.work_date, func.sum(TimeEntry.minutes))
            .where(TimeEntry.workspace_id == bindparam("workspace_id"), TimeEntry.member_id == bindparam("member_id"),
                   TimeEntry.work_date >= bindparam("start"), TimeEntry.work_date < bindparam("end"))
            .group_by(TimeEntry.work_date))


def week_totals(session: Session, member: Member, today: date) -> WeekTotals:
    start = today - timedelta(days=today.weekday())
    rows = session.execute(_week_statement(), {"workspace_id": member.workspace_id, "member_id": member.id,
                                               "start": start, "end": start + timedelta(days=7)}).all()
    by_day = [0] * 7
    for work_date, minutes in rows:
        by_day[(work_date - start).days] = int(minutes or 0)
    return WeekTotals(start, tuple(by_day))
