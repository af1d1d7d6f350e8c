"""The monthly summary (opt-in per workspace): on the 1st of each month, at 09:00 in each manager's own Slack
timezone, a DM to every active manager, admin and the owner with last month by client and its chart.

The tick (``reports.tasks_monthly``) runs every few minutes. On the three UTC days when it is the 1st somewhere
(from 10:00 UTC on the last day of a month to 12:00 UTC on the 2nd) it reads the managers of opted-in workspaces
who have no summary of last month yet (one query), and for each works out, in their timezone as it is now,
whether their 1st has reached 09:00 (``timesheets.nudge_clock``: daylight-saving changes and half-hour offsets
are right). A late tick still sends it during their 1st, never on the 2nd. A summary is claimed by inserting its
``monthly_summaries`` row (unique per manager and month) and recorded as one outbox row in the same transaction,
so several ticks or workers at once send it once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Member, MonthlySummary, Role, Workspace
from storage.outbox import record
from storage.types import utcnow
from team.members import active_members
from team.roles import Permission
from team.workspace_settings import change_setting
from timesheets.nudge_clock import slot_on, zone

SUMMARY_TASK = "reports.monthly_summary"  # the DM, built and sent by bot/notify/monthly_summary.py
LOCAL_MINUTE = 9 * 60  # 09:00 on the 1st, in the manager's own timezone
SUMMARY_ROLES = (Role.MANAGER.value, Role.ADMIN.value, Role.OWNER.value)


def set_monthly_summary(session: Session, actor: Member, enabled: bool) -> bool:
    """A manager turns the workspace's monthly summary on or off (for every manager)."""
    return change_setting(session, actor, Permission.CHANGE_MONTHLY_SUMMARY, Workspace.monthly_summary, enabled)


def previous_month(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _month_due(now: datetime) -> date | None:
    """The month whose summaries may fall due at ``now`` (UTC): while it is the 1st somewhere on Earth (UTC−12 to
    UTC+14), the month before that 1st; else None (the tick reads nothing)."""
    day = now.astimezone(zone("UTC")).date()
    if day.day in (1, 2):
        return previous_month(day)
    if (day + timedelta(days=1)).day == 1:
        return day.replace(day=1)
    return None


def due_on(now: datetime, tz_name: str | None) -> date | None:
    """The manager's local 1st when their summary is due at ``now`` (09:00 passed, the 1st not over), else None."""
    local = now.astimezone(zone(tz_name)).date()
    if local.day != 1:
        return None
    slot = slot_on(local, LOCAL_MINUTE, tz_name)
    return local if slot.due_at <= now < slot.expires_at else None


def tick(session: Session, now: datetime | None = None) -> int:
    """Record every monthly summary due at ``now``; returns how many were recorded."""
    moment = now or utcnow()
    month = _month_due(moment)
    if month is None:
        return 0
    sent = exists().where(MonthlySummary.member_id == Member.id, MonthlySummary.month == month)
    rows = session.execute(
        select(Member.id, Member.workspace_id, Member.timezone)
        .join(Workspace, Workspace.id == Member.workspace_id)
        .where(Workspace.monthly_summary.is_(True), Workspace.uninstalled_at.is_(None),
               Member.role.in_(SUMMARY_ROLES), active_members(), ~sent)
        .order_by(Member.id)).all()
    recorded = 0
    for member_id, workspace_id, timezone in rows:
        local_first = due_on(moment, timezone)
        if local_first is None or previous_month(local_first) != month:
            continue
        try:
            with session.begin_nested():
                summary = MonthlySummary(workspace_id=workspace_id, member_id=member_id, month=month)
                session.add(summary)
        except IntegrityError:
            continue  # another tick claimed it
        record(session, SUMMARY_TASK, {"summary_id": summary.id}, workspace_id=workspace_id,
               dedupe_key=f"monthly:{workspace_id}:{member_id}:{month:%Y-%m}")
        recorded += 1
    session.flush()
    return recorded
