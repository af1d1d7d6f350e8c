"""Clients, projects, rates, time entries and timers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Money, Rate, Timestamped, WorkspaceScoped
from storage.types import utcnow


class BillingMode(StrEnum):
    HOURLY = "hourly"
    RETAINER = "retainer"
    FIXED_BUDGET = "fixed_budget"


class Client(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # Normalised name (trimmed, spaces collapsed, lower case): uniqueness and contact matching use it.
    name_key: Mapped[str] = mapped_column(String(255))
    xero_contact_id: Mapped[str | None] = mapped_column(String(64))
    xero_contact_name: Mapped[str | None] = mapped_column(String(255))
    # How the link was made: "auto" (exact normalised name), "manual" (picked by a manager), "created" (in Xero).
    xero_link_source: Mapped[str | None] = mapped_column(String(16))
    rounding_mode: Mapped[str | None] = mapped_column(String(16))
    rounding_minutes: Mapped[int | None]
    archived: Mapped[bool] = mapped_column(default=False)


class Project(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code_key"),
        CheckConstraint("billing_mode in ('hourly','retainer','fixed_budget')", name="billing_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(32))
    code_key: Mapped[str] = mapped_column(String(32))
    hourly_rate: Mapped[Decimal | None] = mapped_column(Rate)
    billable_default: Mapped[bool] = mapped_column(default=True)
    billing_mode: Mapped[str] = mapped_column(String(16), default=BillingMode.HOURLY.value)
    retainer_amount: Mapped[Decimal | None] = mapped_column(Money)
    retainer_included_minutes: Mapped[int | None]
    overage_rate: Mapped[Decimal | None] = mapped_column(Rate)
    budget_amount: Mapped[Decimal | None] = mapped_column(Money)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Budget alerts are also posted in the linked channel (managers always get them by DM).
    budget_alerts_in_channel: Mapped[bool] = mapped_column(default=False, server_default=false())
    xero_item_code: Mapped[str | None] = mapped_column(String(30))
    # Xero tracking: [{"category_id": …, "option_id": …}], at most two.
    tracking: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(default=False)


class ProjectMemberRate(Base, WorkspaceScoped):
    __tablename__ = "project_member_rates"
    __table_args__ = (UniqueConstraint("project_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    hourly_rate: Mapped[Decimal] = mapped_column(Rate)


class TimeEntry(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes >= 1 AND minutes <= 1440", name="minutes_range"),
        Index("ix_time_entries_member_date", "workspace_id", "member_id", "work_date"),
        Index("ix_time_entries_project_uninvoiced", "workspace_id", "project_id", "invoice_id", "work_date"),
        # The first uninvoiced entries by date, without sorting them all: the invoice preview's first lines.
        Index("ix_time_entries_uninvoiced_by_date", "workspace_id", "work_date", "id",
              postgresql_where=text("invoice_id IS NULL"), sqlite_where=text("invoice_id IS NULL")),
        # A fixed budget's all-time value and a retainer's months (reports, budget alerts) summed from the index
        # alone on PostgreSQL: a project's entries lie all over the table, its index entries side by side.
        Index("ix_time_entries_project_value", "workspace_id", "project_id",
              postgresql_include=["billable", "minutes", "hourly_rate", "work_date"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    work_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(default=True)
    # Rate in force when logged (member-on-project, else project, else member default): never re-priced.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Rate)
    source: Mapped[str] = mapped_column(String(16), default="text")
    # The Slack message the time was logged from ("Log time on this message"), as chat.getPermalink gave it.
    slack_permalink: Mapped[str | None] = mapped_column(String(500), default=None)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"), index=True)
    # The approved week this entry belongs to (None: not approved); locked like an invoiced entry while set.
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("week_submissions.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Timer(Base, WorkspaceScoped):
    """One running timer per member; a row in the database, so it survives restarts."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
