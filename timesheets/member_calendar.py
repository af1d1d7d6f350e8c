"""Totals of a member's time, in the member's own calendar (their Slack timezone decides "today")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
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


def week_totals(session: Session, member: Member, today: date) -> WeekTotals:
    start = today - timedelta(days=today.weekday())
    rows = session.execute(
        select(TimeEntry.work_date, func.sum(TimeEntry.minutes))
        .where(
            TimeEntry.workspace_id == member.workspace_id,
            TimeEntry.member_id == member.id,
            TimeEntry.work_date >= start,
            TimeEntry.work_date < start + timedelta(days=7),
        )
        .group_by(TimeEntry.work_date)
    ).all()
    by_day = [0] * 7
    for work_date, minutes in rows:
        by_day[(work_date - start).days] = int(minutes or 0)
    return WeekTotals(start, tuple(by_day))
