"""Workspaces (one Slack team = one organisation) and their members."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Rate, Timestamped, WorkspaceScoped


class Role(StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)

    @property
    def label(self) -> str:
        return self.value.capitalize()


ROLE_ORDER = (Role.MEMBER, Role.MANAGER, Role.ADMIN, Role.OWNER)


class Inactive(StrEnum):
    """Why a member no longer counts as an active human member of their workspace."""

    DEACTIVATED = "deactivated"  # the Slack account is deactivated
    BOT = "bot"  # Slack lists the account as a bot or app
    ELSEWHERE = "elsewhere"  # the account now belongs to another workspace or organisation


class Workspace(Base, Timestamped):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    slack_enterprise_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    installed_by_user_id: Mapped[str | None] = mapped_column(String(32))
    uninstalled_at: Mapped[datetime | None]
    # Settings: day-first dates (DD/MM) for the /hours grammar, rounding, alerts, invoice numbering.
    day_first_dates: Mapped[bool] = mapped_column(default=True)
    rounding_mode: Mapped[str] = mapped_column(String(16), default="none")
    rounding_minutes: Mapped[int] = mapped_column(default=1)
    alerts_channel_id: Mapped[str | None] = mapped_column(String(32))
    invoice_prefix: Mapped[str] = mapped_column(String(10), default="INV-")
    next_invoice_number: Mapped[int] = mapped_column(default=1)
    payment_terms_days: Mapped[int] = mapped_column(default=14)
    invoice_grouping: Mapped[str] = mapped_column(String(16), default="entry")
    line_amount_type: Mapped[str] = mapped_column(String(16), default="Exclusive")
    # Xero-specific invoice defaults (the setup wizard's first two steps); cleared when Xero is disconnected.
    xero_account_code: Mapped[str | None] = mapped_column(String(10))
    xero_tax_type: Mapped[str | None] = mapped_column(String(50))
    xero_branding_theme_id: Mapped[str | None] = mapped_column(String(64))
    # Default tracking: [{"category_id": …, "option_id": …}], at most two (Xero's limit per line).
    xero_tracking: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    setup_completed_at: Mapped[datetime | None]
    # A draft voided or deleted in Xero: release its time entries by itself ("auto") or ask a manager ("ask").
    release_dead_drafts: Mapped[str] = mapped_column(String(8), default="ask", server_default="ask")
    # Time dated before this day is locked for everyone (None: nothing is locked by date).
    lock_before: Mapped[date | None]
    # Timesheet approval: members submit weeks, managers approve them; reviews go to this channel, else by DM.
    approvals_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    review_channel_id: Mapped[str | None] = mapped_column(String(32))
    # Invoices (Create invoice and the month-end batch) take only approved time entries.
    invoice_approved_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # How money and dates read on every screen (formats.py): a BCP 47 tag from formats.LOCALES.
    locale: Mapped[str] = mapped_column(String(16), default="en-US", server_default="en-US")
    # Reports: a DM to each manager on the 1st of each month with last month by client (opt-in).
    monthly_summary: Mapped[bool] = mapped_column(default=False, server_default=false())


class WorkspaceStamp(Base):
    """A number that changes, in the same commit, with every change to what a workspace's cached reads show.

    Database triggers (migration 0020) give it a new random value whenever a transaction changes the workspace
    row or its members (who they are, their role and standing), clients, projects, per-person rates, invoices,
    Xero connection, nudge settings, or records a reinstall or a Xero connection in the audit log; the row is
    made with the workspace. A reader that reads the stamp before the rows it caches can keep what it read under
    that stamp: the next change gives a new stamp (storage/stamps.py). Random, not counted, so a stamp is never
    reused by a workspace that takes a purged one's id."""

    __tablename__ = "workspace_stamps"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)


class Member(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    default_rate: Mapped[Decimal | None] = mapped_column(Rate)
    # None until users.info answered: first contact never fails because Slack was slow.
    profile_fetched_at: Mapped[datetime | None]
    # Set while Slack says the person is no longer an active human member of this workspace (deactivated, turned
    # into a bot, or moved to another organisation); `inactive_reason` says which (an `Inactive` value). Their
    # entries stay; they can no longer log time and drop out of pickers and lists.
    deactivated_at: Mapped[datetime | None]
    inactive_reason: Mapped[str | None] = mapped_column(String(16))
    # The time of the last user_change event applied: an older one arriving late (events can come out of order)
    # changes nothing.
    standing_seen_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
