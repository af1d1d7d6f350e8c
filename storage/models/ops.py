"""Operational records: the outbox (work that must happen), the audit log, and Slack event receipts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped
from storage.types import utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # due at `available_at`, waiting for the relay
    ENQUEUED = "enqueued"  # handed to RQ (or the in-process runner) as job `job_id`
    RUNNING = "running"  # a worker holds the lease until `lease_until`
    DONE = "done"
    FAILED = "failed"  # gave up: `last_error` says why


class Outbox(Base, Timestamped):
    """Work that must happen, written in the transaction that makes it necessary; RQ only carries it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        # At most one waiting row per dedupe key (e.g. "sync:contacts:7"): ten requests for the same work while it
        # waits coalesce into one. A running row does not count, so a change seen mid-run queues one more pass.
        Index(
            "uq_outbox_waiting_dedupe",
            "dedupe_key",
            unique=True,
            postgresql_where=text("status IN ('pending', 'enqueued')"),
            sqlite_where=text("status IN ('pending', 'enqueued')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("workspaces.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[str | None] = mapped_column(String(64))
    enqueued_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base, Timestamped):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SlackEventReceipt(Base):
    """Events API deliveries seen, so Slack's redeliveries of one `event_id` act once."""

    __tablename__ = "slack_event_receipts"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
