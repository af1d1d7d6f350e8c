"""The Log time modal's data: what /hours understood, an entry being edited, or what the form holds now.

Reads through the timesheets use cases and returns `LogForm` values for the pure builder in bot/views/log_modal.py;
turns a submitted form (strings typed in Slack) into an `EntryInput` for the use cases, with field-level errors.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.views.log_modal import LogForm, Submitted, safe_permalink
from bot.views.text import cut_plain
from errors import InvalidInput
from storage.models import Member
from timesheets.entries import (
    FIELD_DATE,
    FIELD_DURATION,
    MAX_DESCRIPTION,
    EntryInput,
    StoredEntry,
    require_can_log,
)
from timesheets.grammar.durations import DurationError, parse_duration
from timesheets.grammar.markup import mentioned_ids, readable_text
from timesheets.grammar.parse import HoursParse
from timesheets.lookup import ProjectInfo, channel_project_id, find_project, picker_projects, workspace_projects
from timesheets.member_calendar import member_today


def _form(session: Session, member: Member, *, first: tuple[int, ...] = (), **values: Any) -> LogForm:
    """The form with the workspace's active projects (`first` ids leading) and `values` pre-filled; never for
    someone who may not log time (the refusal says why)."""
    require_can_log(member)
    projects = workspace_projects(session, member.workspace_id)
    shown, count = picker_projects(projects, first)
    return LogForm(today=member_today(member), projects=tuple(shown), project_count=count, **values)


def blank_form(session: Session, member: Member, channel_id: str | None) -> LogForm:
    """`/hours` alone: today, the channel's linked project pre-selected when there is one."""
    linked = channel_project_id(workspace_projects(session, member.workspace_id), channel_id)
    first = (linked,) if linked is not None else ()
    return _form(session, member, first=first, project_id=linked, channel_id=channel_id)


def message_form(session: Session, member: Member, message_text: str, channel_id: str | None,
                 permalink: str | None) -> LogForm:
    """"Log time on this message": the message as the description (as a person reads it, cut to the limit), the
    channel's linked project pre-selected, the message's link kept for the entry."""
    linked = channel_project_id(workspace_projects(session, member.workspace_id), channel_id)
    first = (linked,) if linked is not None else ()
    text = readable_text(message_text, names=mentioned_names(session, member.workspace_id, message_text))
    return _form(session, member, first=first, project_id=linked, channel_id=channel_id,
                 description=cut_plain(text.strip(), MAX_DESCRIPTION),
                 permalink=safe_permalink(permalink))


def mentioned_names(session: Session, workspace_id: int, text: str) -> dict[str, str]:
    """Display names of the workspace's members mentioned in `text` (``<@U123>`` carries no name)."""
    ids = mentioned_ids(text)
    if not ids:
        return {}
    rows = session.execute(select(Member.slack_user_id, Member.display_name).where(
        Member.workspace_id == workspace_id, Member.slack_user_id.in_(ids)))
    return {user_id: name for user_id, name in rows if name}


def parsed_form(session: Session, member: Member, parsed: HoursParse, channel_id: str | None) -> LogForm:
    """`/hours <text>` that could not be stored as is: everything understood, the problems, the candidates first."""
    first = parsed.candidates or ((parsed.project_id,) if parsed.project_id is not None else ())
    return _form(session, member, first=first, project_id=parsed.project_id, work_date=parsed.work_date,
                 minutes=parsed.minutes, description=parsed.description, problems=parsed.problems,
                 channel_id=channel_id)


def timer_form(session: Session, member: Member, project_id: int, work_date: date | None, description: str,
               problem: str, channel_id: str | None) -> LogForm:
    """A timer too long to log: the form with its project, start day and description, and why."""
    return _form(session, member, first=(project_id,), project_id=project_id, work_date=work_date,
                 description=description, problems=(problem,), channel_id=channel_id)


def edit_form(session: Session, member: Member, entry: StoredEntry, channel_id: str | None,
              list_url: str | None, period: str | None) -> LogForm:
    """An entry's Edit button: the entry as stored; its project stays selectable even if archived since."""
    project: ProjectInfo | None = find_project(session, member.workspace_id, entry.project_id)
    archived = project if project is not None and project.archived else None
    return _form(session, member, first=(entry.project_id,), project_id=entry.project_id,
                 work_date=entry.work_date, minutes=entry.minutes, description=entry.description,
                 billable=entry.billable, entry_id=entry.id, channel_id=channel_id, archived_project=archived,
                 list_url=list_url, period=period)


def current_form(session: Session, member: Member, submitted: Submitted, entry_id: int | None,
                 channel_id: str | None, list_url: str | None, period: str | None) -> LogForm:
    """The modal re-rendered after another project was picked: keep what was typed, reset billable."""
    project_id = _int_or_none(submitted.project_id)
    work_date = _date_or_none(submitted.work_date)
    minutes: int | None = None
    duration_text = submitted.duration if isinstance(submitted.duration, str) else None
    if duration_text:
        with contextlib.suppress(DurationError):
            minutes, duration_text = parse_duration(duration_text), None
    archived = None
    if entry_id is not None and project_id is not None:
        project = find_project(session, member.workspace_id, project_id)
        archived = project if project is not None and project.archived else None
    return _form(session, member, first=(project_id,) if project_id is not None else (), project_id=project_id,
                 work_date=work_date, minutes=minutes, duration_text=duration_text,
                 description=submitted.description, entry_id=entry_id, channel_id=channel_id,
                 archived_project=archived, list_url=list_url, period=period)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _date_or_none(value: str | None) -> date | None:
    """A picked day, or None: a `selected_date` that is not an ISO date string (Slack never sends one) too."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def entry_input(submitted: Submitted) -> EntryInput:
    """What the person asked to store, or a field error naming what to fix (nothing stored)."""
    if not isinstance(submitted.duration, str) or not submitted.duration.strip():
        raise InvalidInput("How long did you work? Enter a duration like 2.5, 1h30m, 1:30 or 45m.",
                           field=FIELD_DURATION)
    try:
        minutes = parse_duration(submitted.duration)
    except DurationError as error:
        raise InvalidInput(error.message, field=FIELD_DURATION) from None
    if not submitted.work_date:
        raise InvalidInput("Pick the day you worked.", field=FIELD_DATE)
    work_date = _date_or_none(submitted.work_date)
    if work_date is None:
        raise InvalidInput("That isn't a date Hour Cap understands — pick one from the calendar.", field=FIELD_DATE)
    return EntryInput(project_id=submitted.project_id, work_date=work_date, minutes=minutes,
                      description=submitted.description, billable=submitted.billable)
