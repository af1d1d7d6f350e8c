"""Missing-time nudges: the workspace's settings, each member's overrides, and the tick that sends them.

Each member has a schedule row whose ``next_at`` (UTC, indexed) says when the tick must look at them next. The
tick reads the rows due (``next_at <= now``: one indexed query), and for each works out, in the member's timezone
as it is now, whether today's nudge is due: a working day, the local time passed, today not stale (a late tick
still sends it the same day, never the next morning), not nudged or declared "not working" today, and less logged
than expected. A nudge is claimed by a conditional update of ``nudged_on`` (so two ticks at once send one) and
recorded as one outbox row with the dedupe key workspace:member:local date; then ``next_at`` moves to the next
slot. Deactivated people and bots are never nudged. Anything that changes someone's slot (settings, their
overrides, a new timezone) sets ``next_at`` to now, and the next tick works it out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from errors import InvalidInput
from storage.models import Member, TimeEntry, Workspace
from storage.models.nudges import NudgeSchedule, NudgeSettings
from storage.outbox import record
from storage.types import utcnow
from team.members import active_members, require_active
from team.roles import Permission, require
from timesheets.approvals import week_closed
from timesheets.nudge_clock import (
    Slot,
    clock_text,
    current_slot,
    days_text,
    due_after,
    parse_clock,
    parse_days,
    works_on,
    zone,
)

NUDGE_TASK = "nudges.send"  # the DM, rendered by bot/notify/nudge.py
TICK_BATCH = 5000


@dataclass(frozen=True)
class Settings:
    enabled: bool
    days: int
    expected_minutes: int
    local_minute: int


DEFAULT = Settings(enabled=False, days=0b0011111, expected_minutes=450, local_minute=17 * 60)


def workspace_settings(session: Session, workspace_id: int) -> Settings:
    row = session.scalar(select(NudgeSettings).where(NudgeSettings.workspace_id == workspace_id))
    if row is None:
        return DEFAULT
    return Settings(row.enabled, row.days, row.expected_minutes, row.local_minute)


def _schedule(session: Session, member: Member, now: datetime | None = None) -> NudgeSchedule:
    row = session.scalar(select(NudgeSchedule).where(NudgeSchedule.workspace_id == member.workspace_id,
                                                     NudgeSchedule.member_id == member.id))
    if row is None:
        row = NudgeSchedule(workspace_id=member.workspace_id, member_id=member.id, next_at=now or utcnow())
        session.add(row)
        session.flush()
    return row


def change_settings(session: Session, actor: Member, wanted: Settings, *, now: datetime | None = None) -> Settings:
    """A manager sets the workspace's nudges; every active member's slot is worked out again at the next tick."""
    require(actor, Permission.CHANGE_NUDGE_SETTINGS)
    if wanted.days == 0 and wanted.enabled:
        raise InvalidInput("Pick at least one working day.", field="nudge_days")
    if not 0 <= wanted.expected_minutes <= 24 * 60:
        raise InvalidInput("Expected time is 0 to 24 hours a day.", field="nudge_expected")
    if not 0 <= wanted.local_minute < 24 * 60:
        raise InvalidInput("Pick a time of day like 17:00.", field="nudge_time")
    row = session.scalar(select(NudgeSettings).where(NudgeSettings.workspace_id == actor.workspace_id))
    if row is None:
        row = NudgeSettings(workspace_id=actor.workspace_id)
        session.add(row)
    row.enabled, row.days = wanted.enabled, wanted.days
    row.expected_minutes, row.local_minute = wanted.expected_minutes, wanted.local_minute
    now = now or utcnow()
    missing = select(Member.id).where(Member.workspace_id == actor.workspace_id, active_members(),
                                      ~Member.id.in_(select(NudgeSchedule.member_id)
                                                     .where(NudgeSchedule.workspace_id == actor.workspace_id)))
    for member_id in session.scalars(missing):
        session.add(NudgeSchedule(workspace_id=actor.workspace_id, member_id=member_id, next_at=now))
    session.execute(update(NudgeSchedule).where(NudgeSchedule.workspace_id == actor.workspace_id)
                    .values(next_at=now))
    session.flush()
    return workspace_settings(session, actor.workspace_id)


def remind(session: Session, member: Member, rest: str, *, now: datetime | None = None) -> str:
    """``/hours remind off|on|at 18:30|days mon-thu``: the member's own overrides; returns what now holds."""
    require_active(member, "change your reminders")
    word, _, value = rest.strip().partition(" ")
    key = word.casefold()
    row = _schedule(session, member, now)
    if key == "off":
        row.enabled = False
    elif key == "on":
        row.enabled = True
    elif key == "at":
        minute = parse_clock(value)
        if minute is None:
            raise InvalidInput(f"“{value[:20]}” isn't a time I understand: try `/hours remind at 18:30`.")
        row.local_minute = minute
    elif key == "days":
        days = parse_days(value)
        if days is None:
            raise InvalidInput(f"“{value[:30]}” isn't a set of days I understand: try `/hours remind days mon-thu`.")
        row.days = days
    elif key:
        raise InvalidInput("Try `/hours remind off`, `/hours remind on`, `/hours remind at 18:30` or "
                           "`/hours remind days mon-thu`.")
    row.next_at = now or utcnow()
    session.flush()
    return reminder_summary(session, member, row)


def reminder_summary(session: Session, member: Member, row: NudgeSchedule | None = None) -> str:
    settings = workspace_settings(session, member.workspace_id)
    row = row or _schedule(session, member)
    if not settings.enabled:
        return "Missing-time reminders are off in this workspace (a manager turns them on on the Home tab)."
    if row.enabled is False:
        return "Your missing-time reminders are off. `/hours remind on` turns them back on."
    days = row.days if row.days is not None else settings.days
    minute = row.local_minute if row.local_minute is not None else settings.local_minute
    return (f"You get a reminder at {clock_text(minute)} your time ({zone(member.timezone).key}) on "
            f"{days_text(days)} when you've logged less than {settings.expected_minutes // 60} h "
            f"{settings.expected_minutes % 60:02d} min that day.").replace(" h 00 min", " h")


def not_working_today(session: Session, member: Member, now: datetime | None = None) -> date:
    """"Not working today": no more nudges for the member's local today."""
    moment = now or utcnow()
    row = _schedule(session, member, moment)
    row.quiet_on = moment.astimezone(zone(member.timezone)).date()
    row.next_at = moment
    session.flush()
    return row.quiet_on


def previous_working_day(session: Session, member: Member, day: date) -> date:
    """The member's working day before `day` (their days override, else the workspace's): what "Same as yesterday"
    offers, so on a Monday of a Mon–Fri week it is Friday. The calendar day before when no day is a working day."""
    own = session.scalar(select(NudgeSchedule.days).where(NudgeSchedule.workspace_id == member.workspace_id,
                                                          NudgeSchedule.member_id == member.id))
    days = own if own is not None else workspace_settings(session, member.workspace_id).days
    for back in range(1, 8):
        if works_on(days, day - timedelta(days=back)):
            return day - timedelta(days=back)
    return day - timedelta(days=1)


def logged_minutes(session: Session, member: Member, day: date) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.workspace_id == member.workspace_id, TimeEntry.member_id == member.id,
        TimeEntry.work_date == day)) or 0)


def _claim(session: Session, schedule_id: int, day: date) -> bool:
    """Mark `day` nudged unless another tick already did (the conditional update is the lock)."""
    claimed = session.execute(update(NudgeSchedule).where(
        NudgeSchedule.id == schedule_id,
        (NudgeSchedule.nudged_on.is_(None)) | (NudgeSchedule.nudged_on != day),
    ).values(nudged_on=day).execution_options(synchronize_session=False))
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _handle(session: Session, row: Any, settings: Settings, now: datetime) -> tuple[bool, datetime | None]:
    """Nudge the member of due row `row` if due. Returns whether a nudge was recorded and the row's next ``next_at``."""
    if not settings.enabled or row.enabled is False or row.deactivated_at is not None:
        return False, None
    days = row.days if row.days is not None else settings.days
    minute = row.local_minute if row.local_minute is not None else settings.local_minute
    sent = False
    slot: Slot | None = current_slot(now, days, minute, row.timezone)
    done_today: date | None = None
    if slot is not None and slot.due_at <= now < slot.expires_at:
        done_today = slot.local_date
        # An uninstalled workspace (kept for its retention period) is not nudged; its schedules keep their place,
        # so a reinstall finds them running.
        if slot.local_date not in (row.nudged_on, row.quiet_on) and row.uninstalled_at is None:
            member = session.get(Member, row.member_id)
            if member is not None \
                    and logged_minutes(session, member, slot.local_date) < settings.expected_minutes \
                    and not week_closed(session, member, slot.local_date) \
                    and _claim(session, row.id, slot.local_date):
                record(session, NUDGE_TASK, {"member_id": member.id, "day": slot.local_date.isoformat()},
                       workspace_id=member.workspace_id,
                       dedupe_key=f"nudge:{member.workspace_id}:{member.id}:{slot.local_date.isoformat()}")
                sent = True
    elif slot is not None and slot.local_date in (row.quiet_on,):
        done_today = slot.local_date
    following = due_after(now, days, minute, row.timezone, not_on=done_today)
    return sent, None if following is None else following.due_at


_DUE = (
    select(NudgeSchedule.id, NudgeSchedule.member_id, NudgeSchedule.enabled, NudgeSchedule.days,
           NudgeSchedule.local_minute, NudgeSchedule.nudged_on, NudgeSchedule.quiet_on,
           Member.timezone, Member.deactivated_at, Workspace.uninstalled_at,
           NudgeSettings.enabled.label("ws_enabled"), NudgeSettings.days.label("ws_days"),
           NudgeSettings.expected_minutes.label("ws_expected_minutes"),
           NudgeSettings.local_minute.label("ws_local_minute"))
    .join(Member, (Member.id == NudgeSchedule.member_id) & (Member.workspace_id == NudgeSchedule.workspace_id))
    .join(Workspace, Workspace.id == NudgeSchedule.workspace_id)
    .outerjoin(NudgeSettings, NudgeSettings.workspace_id == NudgeSchedule.workspace_id)
    .where(NudgeSchedule.next_at <= bindparam("now"))
    .order_by(NudgeSchedule.next_at)
    .limit(bindparam("limit"))
)
_SCHEDULES = cast(Table, NudgeSchedule.__table__)
_MOVE = update(_SCHEDULES).where(_SCHEDULES.c.id == bindparam("row_id")).values(next_at=bindparam("following"))


def due_rows(session: Session, now: datetime, *, limit: int = TICK_BATCH) -> list[Any]:
    """Who the tick looks at: the schedule's, member's and workspace settings' columns (``ws_…``) of every row due
    by `now`, oldest first — one query on the ``next_at`` index, whatever the number of workspaces and timezones;
    plain columns, no ORM entities."""
    return list(session.execute(_DUE, {"now": now, "limit": limit}).all())


def tick(session: Session, now: datetime | None = None, *, limit: int = TICK_BATCH) -> int:
    """Send every nudge due at `now` (one indexed query finds who to look at); returns how many were recorded.
    Every row's ``next_at`` then moves on in one batched UPDATE."""
    moment = now or utcnow()
    rows = due_rows(session, moment, limit=limit)
    sent = 0
    moves: list[dict[str, Any]] = []
    for row in rows:
        settings = DEFAULT if row.ws_enabled is None else Settings(row.ws_enabled, row.ws_days,
                                                                   row.ws_expected_minutes, row.ws_local_minute)
        recorded, following = _handle(session, row, settings, moment)
        sent += recorded
        moves.append({"row_id": row.id, "following": following})
    if moves:
        session.execute(_MOVE, moves)
        moved = {move["row_id"] for move in moves}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, NudgeSchedule) and obj.id in moved:
                session.expire(obj, ["next_at", "nudged_on"])
    session.flush()
    return sent
