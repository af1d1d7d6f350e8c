"""Timesheet approval: members submit a week, managers approve it or send it back, admins may reopen it.

Rules, all enforced here so every surface (command, buttons, modal, Home) gets them:

- only with the workspace's approvals setting on can a week be submitted; a member submits only their own week
  (the payload names a week, never a person), a week with time in it, not a week after their current one;
- while a week waits for review, and once it is approved, its time is closed: logging, editing, deleting or
  undoing time in it is refused (`refuse_closed_week`, called by the entry use cases); approval also marks the
  week's entries (`approval_id`), which locks them like invoiced ones and lets invoicing take approved time only;
- managers, admins and the owner review others' weeks; nobody reviews their own, unless nobody else in the
  workspace can (then the only manager, admin or owner does);
- a decision is one conditional UPDATE … WHERE state = 'submitted' under a lock on the submitter's member row
  (the same lock every entry change takes): of two reviewers, or of an edit and a review, one wins and the other
  is told what happened;
- a week sent back or reopened is editable again and may be submitted again; every change writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from errors import InvalidInput, NotFound, PermissionDenied
from formats import DEFAULT, Formats
from storage.audit import audit
from storage.ids import payload_id
from storage.models import Member, Role, TimeEntry, WeekState, WeekSubmission, Workspace
from storage.types import utcnow
from team.formats import workspace_formats
from team.members import require_active
from team.roles import Permission, has_role, require
from team.workspace_settings import change_setting
from timesheets.lookup import ProjectInfo, find_project
from timesheets.member_calendar import member_today
from timesheets.review_messages import take_review_messages

NOT_FOUND = "That week's review was not found in this workspace."
APPROVALS_OFF = "Timesheet approval is off in this workspace: an admin can turn it on from the Hour Cap Home tab."
MAX_NOTE = 1000


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_week_start(member: Member, now: datetime | None = None) -> str:
    """The Monday before the member's current week, as `/hours submit last` names it."""
    return (week_start_of(member_today(member, now)) - timedelta(days=7)).isoformat()


def week_label(week_start: date, formats: Formats = DEFAULT) -> str:
    """"Mon 2 Nov 2026", in the workspace's locale."""
    return formats.weekday_date(week_start)


def _name(member: Member | None) -> str:
    if member is None:
        return "someone no longer here"
    return member.display_name or f"<@{member.slack_user_id}>"


@dataclass(frozen=True)
class WeekSheet:
    """A member's week as a review shows it: totals by day and by project."""

    member_id: int
    member_name: str
    slack_user_id: str
    week_start: date
    days: tuple[tuple[date, int], ...]  # days with time, Monday first
    projects: tuple[tuple[str, int], ...]  # project label and minutes, most first
    entry_count: int
    submission_id: int | None = None
    state: str | None = None
    note: str = ""
    decided_by: str | None = None
    formats: Formats = DEFAULT  # how the workspace reads dates

    @property
    def total_minutes(self) -> int:
        return sum(minutes for _, minutes in self.days)


def _entries(session: Session, member: Member, week_start: date) -> list[TimeEntry]:
    return list(session.scalars(select(TimeEntry).where(
        TimeEntry.workspace_id == member.workspace_id, TimeEntry.member_id == member.id,
        TimeEntry.work_date >= week_start, TimeEntry.work_date <= week_start + timedelta(days=6),
    ).order_by(TimeEntry.work_date, TimeEntry.id)))


def _submission(session: Session, member: Member, week_start: date) -> WeekSubmission | None:
    return session.scalars(select(WeekSubmission).where(
        WeekSubmission.workspace_id == member.workspace_id, WeekSubmission.member_id == member.id,
        WeekSubmission.week_start == week_start)).one_or_none()


def closed_weeks(session: Session, member: Member, start: date, end: date) -> list[tuple[date, str]]:
    """(Monday, state) of each of `member`'s weeks touching `start`..`end` that waits for review or was approved."""
    return [(monday, str(state)) for monday, state in session.execute(
        select(WeekSubmission.week_start, WeekSubmission.state).where(
            WeekSubmission.workspace_id == member.workspace_id, WeekSubmission.member_id == member.id,
            WeekSubmission.week_start >= week_start_of(start), WeekSubmission.week_start <= end,
            WeekSubmission.state.in_([WeekState.SUBMITTED.value, WeekState.APPROVED.value])))]


def week_sheet(session: Session, member: Member, week_start: date) -> WeekSheet:
    entries = _entries(session, member, week_start)
    days: dict[date, int] = {}
    by_project: dict[int, int] = {}
    for entry in entries:
        days[entry.work_date] = days.get(entry.work_date, 0) + entry.minutes
        by_project[entry.project_id] = by_project.get(entry.project_id, 0) + entry.minutes
    labels: dict[int, str] = {}
    for project_id in by_project:
        project: ProjectInfo | None = find_project(session, member.workspace_id, project_id)
        labels[project_id] = project.label if project is not None else "a removed project"
    projects = sorted(((labels[pid], minutes) for pid, minutes in by_project.items()), key=lambda p: (-p[1], p[0]))
    submission = _submission(session, member, week_start)
    decider = (session.get(Member, submission.decided_by_member_id)
               if submission is not None and submission.decided_by_member_id is not None else None)
    return WeekSheet(
        member_id=member.id, member_name=_name(member), slack_user_id=member.slack_user_id, week_start=week_start,
        days=tuple(sorted(days.items())), projects=tuple(projects), entry_count=len(entries),
        submission_id=None if submission is None else submission.id,
        state=None if submission is None else submission.state, note="" if submission is None else submission.note,
        decided_by=None if decider is None else _name(decider),
        formats=workspace_formats(session, member.workspace_id),
    )


# ---------------------------------------------------------------- settings


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    return workspace


def approvals_enabled(session: Session, workspace_id: int) -> bool:
    return bool(session.scalar(select(Workspace.approvals_enabled).where(Workspace.id == workspace_id)))


def set_approvals(session: Session, actor: Member, enabled: bool) -> bool:
    return change_setting(session, actor, Permission.CHANGE_APPROVAL_SETTINGS, Workspace.approvals_enabled, enabled,
                          action="workspace.approvals")


def set_review_channel(session: Session, actor: Member, channel_id: str | None) -> str | None:
    """Where review messages go: a channel the admins pick, or (None) each reviewer's DM."""
    return change_setting(session, actor, Permission.CHANGE_APPROVAL_SETTINGS, Workspace.review_channel_id,
                          channel_id or None, action="workspace.review_channel")


# ---------------------------------------------------------------- submitting


def _reviewers(session: Session, workspace_id: int, submitter_id: int) -> list[Member]:
    """Who may review a week of `submitter_id`: every active manager, admin and the owner but the submitter; when
    there is no one else, the submitter themself (the workspace's only manager, admin or owner)."""
    people = [m for m in session.scalars(select(Member).where(Member.workspace_id == workspace_id,
                                                              Member.deactivated_at.is_(None)).order_by(Member.id))
              if has_role(m, Role.MANAGER)]
    others = [m for m in people if m.id != submitter_id]
    return others or [m for m in people if m.id == submitter_id]


@dataclass(frozen=True)
class Submitted:
    sheet: WeekSheet
    reviewer_user_ids: tuple[str, ...]
    review_channel_id: str | None


def _checked_week(member: Member, week: object, now: datetime | None) -> date:
    today = member_today(member, now)
    if week is None:
        return week_start_of(today)
    try:
        start = date.fromisoformat(str(week))
    except ValueError:
        raise InvalidInput("That isn't a week I know: submit from `/hours submit` again.") from None
    if start.weekday() != 0 or start > week_start_of(today):
        raise InvalidInput("Only this week or an earlier one can be submitted: try `/hours submit` again.")
    return start


def preview_submission(session: Session, member: Member, week: object = None, *,
                       now: datetime | None = None) -> WeekSheet:
    """The week `member` is about to submit (this week unless told), checked submittable."""
    require_active(member, "submit a week")
    if not approvals_enabled(session, member.workspace_id):
        raise InvalidInput(APPROVALS_OFF)
    sheet = week_sheet(session, member, _checked_week(member, week, now))
    _refuse_unsubmittable(sheet)
    return sheet


def _refuse_unsubmittable(sheet: WeekSheet) -> None:
    if sheet.state == WeekState.SUBMITTED.value:
        raise InvalidInput(f"Your week of {week_label(sheet.week_start, sheet.formats)} is already waiting for review.")
    if sheet.state == WeekState.APPROVED.value:
        raise InvalidInput(f"Your week of {week_label(sheet.week_start, sheet.formats)} was already approved by "
                           f"{sheet.decided_by}.")
    if not sheet.entry_count:
        raise InvalidInput(f"There's no time in your week of {week_label(sheet.week_start, sheet.formats)} to submit.")


def _lock_person(session: Session, workspace_id: int, member_id: int) -> Member:
    """The member row, locked (PostgreSQL; SQLite serialises writers at BEGIN): every entry change takes it too."""
    person = session.scalars(select(Member).where(Member.id == member_id, Member.workspace_id == workspace_id)
                             .with_for_update()).one()
    return person


def submit_week(session: Session, member: Member, week: object, *, now: datetime | None = None) -> Submitted:
    """Submit one of the caller's own weeks for review; returns what reviewers are shown and who they are."""
    require_active(member, "submit a week")
    if not approvals_enabled(session, member.workspace_id):
        raise InvalidInput(APPROVALS_OFF)
    start = _checked_week(member, week, now)
    _lock_person(session, member.workspace_id, member.id)
    sheet = week_sheet(session, member, start)
    _refuse_unsubmittable(sheet)
    submission = _submission(session, member, start)
    if submission is None:
        submission = WeekSubmission(workspace_id=member.workspace_id, member_id=member.id, week_start=start)
        session.add(submission)
    submission.state = WeekState.SUBMITTED.value
    submission.submitted_at = utcnow()
    submission.decided_by_member_id = None
    submission.decided_at = None
    session.flush()
    audit(session, member, "timesheet.submit", f"week_submission:{submission.id}", week=start.isoformat(),
          minutes=sheet.total_minutes, entries=sheet.entry_count)
    workspace = _workspace(session, member.workspace_id)
    reviewers = tuple(m.slack_user_id for m in _reviewers(session, member.workspace_id, member.id))
    return Submitted(sheet=week_sheet(session, member, start), reviewer_user_ids=reviewers,
                     review_channel_id=workspace.review_channel_id)


# ---------------------------------------------------------------- reviewing


def _find(session: Session, actor: Member, submission_id: object) -> WeekSubmission:
    wanted = payload_id(submission_id)
    submission = None if wanted is None else session.scalars(select(WeekSubmission).where(
        WeekSubmission.id == wanted, WeekSubmission.workspace_id == actor.workspace_id)).one_or_none()
    if submission is None:
        raise NotFound(NOT_FOUND)
    return submission


def _refuse_own(session: Session, actor: Member, submission: WeekSubmission) -> None:
    if submission.member_id == actor.id and any(
            m.id != actor.id for m in _reviewers(session, actor.workspace_id, actor.id)):
        raise PermissionDenied("You can't review your own week: another manager, an admin or the owner does.")


def reviewable(session: Session, actor: Member, submission_id: object) -> WeekSheet:
    """The submitted week `actor` is about to send back (the modal shows it), checked reviewable by them."""
    require(actor, Permission.REVIEW_TIMESHEETS)
    submission = _find(session, actor, submission_id)
    _refuse_own(session, actor, submission)
    if submission.state != WeekState.SUBMITTED.value:
        raise _already(session, submission)
    person = session.get(Member, submission.member_id)
    assert person is not None
    return week_sheet(session, person, submission.week_start)


@dataclass(frozen=True)
class Decision:
    sheet: WeekSheet
    reviewer_name: str
    approved: bool
    note: str
    copies: tuple[tuple[str, str], ...] = ()  # (channel, ts) of the review message's copies this decision settles


def _already(session: Session, submission: WeekSubmission) -> InvalidInput:
    session.refresh(submission)
    who = _name(session.get(Member, submission.decided_by_member_id)) if submission.decided_by_member_id else None
    what = {WeekState.APPROVED.value: "approved", WeekState.SENT_BACK.value: "sent back",
            WeekState.REOPENED.value: "reopened"}.get(submission.state, submission.state)
    by = f" by {who}" if who else ""
    return InvalidInput(f"That week was already {what}{by}: nothing changed.")


def decide(session: Session, actor: Member, submission_id: object, *, approve: bool, note: str = "") -> Decision:
    """A reviewer's Approve or Send back (with a note) on a submitted week."""
    require(actor, Permission.REVIEW_TIMESHEETS)
    submission = _find(session, actor, submission_id)
    _refuse_own(session, actor, submission)
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidInput("Say what needs fixing, so they know what to change.", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"Keep the note under {MAX_NOTE:,} characters (it has {len(note):,}).", field="note")
    person = _lock_person(session, actor.workspace_id, submission.member_id)
    state = WeekState.APPROVED if approve else WeekState.SENT_BACK
    changed = session.execute(
        update(WeekSubmission).where(WeekSubmission.id == submission.id,
                                     WeekSubmission.workspace_id == actor.workspace_id,
                                     WeekSubmission.state == WeekState.SUBMITTED.value)
        .values(state=state.value, decided_by_member_id=actor.id, decided_at=utcnow(), note=note)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise _already(session, submission)
    start = submission.week_start
    if approve:
        session.execute(
            update(TimeEntry).where(TimeEntry.workspace_id == actor.workspace_id, TimeEntry.member_id == person.id,
                                    TimeEntry.work_date >= start, TimeEntry.work_date <= start + timedelta(days=6),
                                    TimeEntry.approval_id.is_(None))
            .values(approval_id=submission.id).execution_options(synchronize_session=False))
    audit(session, actor, f"timesheet.{'approve' if approve else 'send_back'}", f"week_submission:{submission.id}",
          member_id=person.id, week=start.isoformat(), note=note)
    session.expire(submission)
    return Decision(sheet=week_sheet(session, person, start), reviewer_name=_name(actor), approved=approve, note=note,
                    copies=tuple(take_review_messages(session, actor.workspace_id, submission.id)))


def reopen_week(session: Session, actor: Member, submission_id: object) -> WeekSheet:
    """An admin reopens an approved week: its entries are editable again and it may be submitted again."""
    require(actor, Permission.REOPEN_WEEKS)
    submission = _find(session, actor, submission_id)
    person = _lock_person(session, actor.workspace_id, submission.member_id)
    changed = session.execute(
        update(WeekSubmission).where(WeekSubmission.id == submission.id,
                                     WeekSubmission.workspace_id == actor.workspace_id,
                                     WeekSubmission.state == WeekState.APPROVED.value)
        .values(state=WeekState.REOPENED.value, decided_by_member_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise _already(session, submission)
    session.execute(update(TimeEntry).where(TimeEntry.workspace_id == actor.workspace_id,
                                            TimeEntry.approval_id == submission.id)
                    .values(approval_id=None).execution_options(synchronize_session=False))
    audit(session, actor, "timesheet.reopen", f"week_submission:{submission.id}", member_id=person.id,
          week=submission.week_start.isoformat())
    session.expire(submission)
    return week_sheet(session, person, submission.week_start)


def waiting_reviews(session: Session, actor: Member) -> tuple[WeekSheet, ...]:
    """The weeks `actor` may review that wait for a decision (oldest first); nothing for members."""
    if not has_role(actor, Role.MANAGER):
        return ()
    rows = session.scalars(select(WeekSubmission).where(
        WeekSubmission.workspace_id == actor.workspace_id, WeekSubmission.state == WeekState.SUBMITTED.value,
    ).order_by(WeekSubmission.submitted_at, WeekSubmission.id).limit(20)).all()
    sheets = []
    for row in rows:
        person = session.get(Member, row.member_id)
        if person is None:
            continue
        if row.member_id == actor.id and any(m.id != actor.id for m in
                                             _reviewers(session, actor.workspace_id, actor.id)):
            continue
        sheets.append(week_sheet(session, person, row.week_start))
    return tuple(sheets)


# ---------------------------------------------------------------- closed weeks


def week_closed(session: Session, member: Member, day: date) -> bool:
    """Whether `day` lies in a week of `member`'s that waits for review or was approved (no nudges for it)."""
    submission = _submission(session, member, week_start_of(day))
    return submission is not None and submission.state in (WeekState.SUBMITTED.value, WeekState.APPROVED.value)


def refuse_closed_week(session: Session, member: Member, work_date: date, verb: str, *,
                       field: str | None = None) -> None:
    """Raise when `work_date` lies in a week of `member`'s that waits for review or was approved."""
    submission = _submission(session, member, week_start_of(work_date))
    if submission is None:
        return
    label = week_label(submission.week_start, workspace_formats(session, member.workspace_id))
    if submission.state == WeekState.SUBMITTED.value:
        raise InvalidInput(f"The week of {label} is waiting for review, so its time can't be {verb}. "
                           "Ask a manager to send it back if something needs fixing.", field=field)
    if submission.state == WeekState.APPROVED.value:
        approver = session.get(Member, submission.decided_by_member_id) if submission.decided_by_member_id else None
        raise InvalidInput(f"The week of {label} was approved by {_name(approver)}, so its time can't be {verb}. "
                           "An admin or the owner can reopen it.", field=field)
