"""Invoices and their lines (filled in by the invoicing issues)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Money, Quantity, Rate, Timestamped, WorkspaceScoped


class InvoiceStatus(StrEnum):
    QUEUED = "queued"
    PUSHING = "pushing"
    PUSHED = "pushed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Invoice(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),)

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
    tracking: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
