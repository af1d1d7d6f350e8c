"""What reports remember: the budget alerts already sent (once per threshold per period)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
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
