"""What reports remember: the budget alerts and monthly summaries already sent (each exactly once)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped, WorkspaceScoped


class BudgetAlert(Base, WorkspaceScoped, Timestamped):
    """A retainer month (``period`` "2026-11") or a fixed budget (``period`` "all") crossed ``threshold`` percent
    of what it includes, by logged billable time; the row is what makes the alert go out once."""

    __tablename__ = "budget_alerts"
    __table_args__ = (UniqueConstraint("project_id", "period", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    threshold: Mapped[int]
    share: Mapped[int]  # the percentage used when the alert was raised


class MonthlySummary(Base, WorkspaceScoped, Timestamped):
    """The monthly summary of ``month`` (its first day) for one manager: inserting the row claims it, so however
    many ticks and workers run it is recorded once; ``sent_at`` says the DM went out (a retried send skips it)."""

    __tablename__ = "monthly_summaries"
    __table_args__ = (UniqueConstraint("member_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None]
