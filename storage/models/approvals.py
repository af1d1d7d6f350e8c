"""Timesheet approval: one row per member and week submitted, with where it stands."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped, WorkspaceScoped
from storage.types import utcnow


class WeekState(StrEnum):
    SUBMITTED = "submitted"  # waiting for a manager: the week's time is closed meanwhile
    APPROVED = "approved"  # its entries are locked like invoiced ones
    SENT_BACK = "sent_back"  # editable again, may be resubmitted
    REOPENED = "reopened"  # an admin reopened an approved week: editable again, may be resubmitted


class WeekSubmission(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "week_submissions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "member_id", "week_start"),
        Index("ix_week_submissions_state", "workspace_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)  # a Monday in the member's calendar
    state: Mapped[str] = mapped_column(String(16), default=WeekState.SUBMITTED.value)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class ReviewMessage(Base, WorkspaceScoped):
    """A review message posted for a submission's current round (a reviewer's DM or the review channel): once one
    reviewer decides, every other copy is updated to say so, and the rows go."""

    __tablename__ = "review_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("week_submissions.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
