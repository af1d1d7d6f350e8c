"""Workspaces (one Slack team = one organisation) and their members."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
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

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
