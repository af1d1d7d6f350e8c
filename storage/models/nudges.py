"""Missing-time nudges: a workspace's settings, and each member's own schedule and overrides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped, WorkspaceScoped

MON_TO_FRI = 0b0011111  # bit 0 = Monday … bit 6 = Sunday


class NudgeSettings(Base, WorkspaceScoped, Timestamped):
    """A workspace's nudges: off until a manager turns them on; working days, expected time, local time."""

    __tablename__ = "nudge_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    days: Mapped[int] = mapped_column(default=MON_TO_FRI)
    expected_minutes: Mapped[int] = mapped_column(default=450)
    local_minute: Mapped[int] = mapped_column(default=17 * 60)  # minutes after local midnight


class NudgeSchedule(Base, WorkspaceScoped, Timestamped):
    """One member's next nudge (UTC, indexed: the tick's one query) and their own overrides (None: the
    workspace's). ``next_at`` None: nothing scheduled (nudges off for them or for the workspace)."""

    __tablename__ = "nudge_schedules"
    __table_args__ = (UniqueConstraint("member_id"), Index("ix_nudge_schedules_next_at", "next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    enabled: Mapped[bool | None]
    days: Mapped[int | None]
    local_minute: Mapped[int | None]
    next_at: Mapped[datetime | None]
    nudged_on: Mapped[date | None] = mapped_column(Date)  # the local day of the last nudge sent
    quiet_on: Mapped[date | None] = mapped_column(Date)  # "Not working today"
