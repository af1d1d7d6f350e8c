"""Timers: one running timer per member, kept in the database (it survives restarts and deploys).

Stopping turns the elapsed time into an entry, rounded half-up to whole minutes, dated the day the timer started
(in the member's timezone) and priced like any entry. Under a minute is discarded with a friendly note. A timer
that ran longer than an entry can hold (24 h) is stopped without logging: the caller offers the Log time form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from errors import InvalidInput
from formats import DEFAULT, Formats
from storage.models import Member, Timer
from storage.types import utcnow
from team.formats import workspace_formats
from timesheets.entries import EntryInput, StoredEntry, checked_description, log_entry, require_can_log
from timesheets.grammar.durations import MAX_MINUTES, format_duration
from timesheets.lookup import ProjectInfo, find_project, loggable_project


@dataclass(frozen=True)
class RunningTimer:
    project_id: int
    project_label: str
    description: str
    started_at: datetime  # aware UTC
    started_local: datetime  # in the member's timezone
    elapsed_seconds: int
    formats: Formats = DEFAULT  # the workspace's day names

    @property
    def elapsed_text(self) -> str:
        minutes = self.elapsed_seconds // 60
        return format_duration(minutes) if minutes else f"{self.elapsed_seconds} s"


@dataclass(frozen=True)
class StopResult:
    """Exactly one of: an entry logged; discarded (under a minute, or on request); too long to log."""

    timer: RunningTimer
    entry: StoredEntry | None = None
    discarded: bool = False
    too_long: bool = False
    start_date: date | None = None


def _zone(member: Member) -> ZoneInfo:
    try:
        return ZoneInfo(member.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _timer_row(session: Session, member: Member) -> Timer | None:
    return session.scalars(
        select(Timer).where(Timer.workspace_id == member.workspace_id, Timer.member_id == member.id)
    ).one_or_none()


def _running(session: Session, member: Member, timer: Timer, now: datetime) -> RunningTimer:
    project = find_project(session, member.workspace_id, timer.project_id)
    label = project.label if project is not None else "a project that no longer exists"
    return RunningTimer(
        project_id=timer.project_id, project_label=label, description=timer.description,
        started_at=timer.started_at, started_local=timer.started_at.astimezone(_zone(member)),
        elapsed_seconds=max(0, int((now - timer.started_at).total_seconds())),
        formats=workspace_formats(session, member.workspace_id),
    )


def _already_running(running: RunningTimer) -> InvalidInput:
    return InvalidInput(
        f"A timer is already running on {running.project_label} (for {running.elapsed_text}, since "
        f"{running.started_local:%H:%M} your time). Stop it with /hours stop before starting another."
    )


def timer_status(session: Session, member: Member, now: datetime | None = None) -> RunningTimer | None:
    timer = _timer_row(session, member)
    return None if timer is None else _running(session, member, timer, now or utcnow())


def start_timer(session: Session, member: Member, project_id: object, description: str,
                now: datetime | None = None) -> RunningTimer:
    require_can_log(member)
    now = now or utcnow()
    project: ProjectInfo = loggable_project(session, member.workspace_id, project_id)
    description = checked_description(description)
    existing = _timer_row(session, member)
    if existing is not None:
        raise _already_running(_running(session, member, existing, now))
    timer = Timer(workspace_id=member.workspace_id, member_id=member.id, project_id=project.id,
                  description=description, started_at=now)
    try:
        with session.begin_nested():
            session.add(timer)
    except IntegrityError:  # started concurrently by another request of the same person
        existing = _timer_row(session, member)
        assert existing is not None
        raise _already_running(_running(session, member, existing, now)) from None
    return _running(session, member, timer, now)


def stop_timer(session: Session, member: Member, *, discard: bool = False,
               now: datetime | None = None) -> StopResult | None:
    """Stop the member's timer (None if none runs). Errors (day full, project archived) keep it running."""
    require_can_log(member)
    now = now or utcnow()
    timer = _timer_row(session, member)
    if timer is None:
        return None
    running = _running(session, member, timer, now)
    start_date = running.started_local.date()
    minutes = (running.elapsed_seconds + 30) // 60
    if discard or minutes < 1:
        session.delete(timer)
        return StopResult(running, discarded=True, start_date=start_date)
    if minutes > MAX_MINUTES:
        session.delete(timer)
        return StopResult(running, too_long=True, start_date=start_date)
    entry = log_entry(session, member, EntryInput(project_id=timer.project_id, work_date=start_date,
                                                  minutes=minutes, description=timer.description),
                      source="timer", now=now)
    session.delete(timer)
    return StopResult(running, entry=entry, start_date=start_date)
