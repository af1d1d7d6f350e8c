"""Invoices and their lines (filled in by the invoicing issues)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Money, Quantity, Rate, Timestamped, WorkspaceScoped


class InvoiceStatus(StrEnum):
    QUEUED = "queued"
    PUSHING = "pushing"
    PUSHED = "pushed"
    # In Xero, but Xero's copy differs from what was sent (error_message says how): never pushed again.
    CHECK_IN_XERO = "check_in_xero"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InvoiceMode(StrEnum):
    TIME = "time"  # uninvoiced billable entries in a date range (optionally one project)
    RETAINER = "retainer"  # a retainer project's month
    FIXED_BUDGET = "fixed_budget"  # part of a fixed-budget project's remaining fee


class ReleaseState(StrEnum):
    """What became of a dead draft's time entries (None while the invoice is alive in Xero)."""

    ASK = "ask"  # voided or deleted in Xero: a manager decides (Release entries)
    RELEASED = "released"  # free for a future invoice (automatically, or by a manager)
    FLAGGED = "flagged"  # voided after a payment: never released by Hour Cap, a person checks Xero


_LIVE_MONTH = "period_month IS NOT NULL AND status <> 'cancelled' AND entries_released_at IS NULL"


class Invoice(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # A retainer month is billed once: one live (not cancelled) invoice per project and month.
        # A month freed by a draft that died in Xero (its entries released) may be billed again.
        Index("uq_invoices_retainer_month", "period_project_id", "period_month", unique=True,
              postgresql_where=text(_LIVE_MONTH), sqlite_where=text(_LIVE_MONTH)),
        Index("ix_invoices_workspace_xero_invoice", "workspace_id", "xero_invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    number: Mapped[int]
    reference: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.QUEUED.value)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str | None] = mapped_column(String(3))
    line_amount_type: Mapped[str] = mapped_column(String(16), default="Exclusive")
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    mode: Mapped[str] = mapped_column(String(16), default=InvoiceMode.TIME.value)
    # Retainer and fixed-budget invoices: the project billed; retainers also the month (its first day).
    period_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    period_month: Mapped[date | None] = mapped_column(Date)
    # Settings frozen at creation (rounding rule, grouping, mode and its parameters).
    settings_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    push_attempt: Mapped[int] = mapped_column(default=0)
    xero_invoice_id: Mapped[str | None] = mapped_column(String(64))
    xero_invoice_number: Mapped[str | None] = mapped_column(String(64))
    xero_total: Mapped[Decimal | None] = mapped_column(Money)
    error_message: Mapped[str | None] = mapped_column(Text)
    status_channel_id: Mapped[str | None] = mapped_column(String(32))
    status_message_ts: Mapped[str | None] = mapped_column(String(32))
    pushed_at: Mapped[datetime | None]
    xero_url: Mapped[str | None] = mapped_column(String(500))  # the deep link to the draft in Xero
    # A push worker's lease: another worker (or a redelivery) leaves the invoice alone until it expires.
    lease_until: Mapped[datetime | None]
    # The alert posted for a failed push (updated on later failures, resolved on success or cancel).
    alert_channel_id: Mapped[str | None] = mapped_column(String(32))
    alert_ts: Mapped[str | None] = mapped_column(String(32))
    # What Xero last said of the invoice (its own read of the invoices Hour Cap created): Xero's status, due date,
    # totals (beside ours, never replacing them), payments, and its UpdatedDateUTC (older answers are ignored).
    xero_status: Mapped[str | None] = mapped_column(String(16))
    xero_due_date: Mapped[date | None] = mapped_column(Date)
    xero_subtotal: Mapped[Decimal | None] = mapped_column(Money)
    xero_total_tax: Mapped[Decimal | None] = mapped_column(Money)
    xero_amount_due: Mapped[Decimal | None] = mapped_column(Money)
    xero_amount_paid: Mapped[Decimal | None] = mapped_column(Money)
    xero_paid_on: Mapped[date | None] = mapped_column(Date)
    xero_updated_at: Mapped[datetime | None]
    xero_seen_at: Mapped[datetime | None]
    xero_ever_paid: Mapped[bool] = mapped_column(default=False, server_default=false())
    release_state: Mapped[str | None] = mapped_column(String(16))
    entries_released_at: Mapped[datetime | None]
    # The one alerts-channel message about a draft that died in Xero (edited once its entries are released).
    release_alert_channel_id: Mapped[str | None] = mapped_column(String(32))
    release_alert_ts: Mapped[str | None] = mapped_column(String(32))


class InvoiceLine(Base, WorkspaceScoped):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_amount: Mapped[Decimal] = mapped_column(Rate)
    line_amount: Mapped[Decimal] = mapped_column(Money)
    account_code: Mapped[str | None] = mapped_column(String(10))
    tax_type: Mapped[str | None] = mapped_column(String(32))
    item_code: Mapped[str | None] = mapped_column(String(30))
    # Xero's tracking on the line: [{"Name": category name, "Option": option name}], at most two.
    tracking: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    minutes: Mapped[int | None]  # billed minutes (after rounding) behind the line, for the preview and audits
    note: Mapped[str | None] = mapped_column(Text)  # why a group split (shown in Slack, never sent to Xero)
