"""The Xero connection of a workspace (one per workspace), and the short-lived records of the connect dance.

`XeroConnection` is the one authoritative copy of a workspace's token set: refreshes take a lock on this row,
re-read it, and write back with a compare-and-swap on `token_version`, so two workers never spend the same
single-use refresh token.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped, WorkspaceScoped
from storage.types import EncryptedText, utcnow


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"  # refresh token rejected or tenant gone: no Xero calls until reconnected


class XeroConnection(Base, WorkspaceScoped, Timestamped):
    __tablename__ = "xero_connections"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(24), default=ConnectionStatus.CONNECTED.value)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # Xero's ids: the connection id (what DELETE /connections/{id} takes) and the tenant (organisation) id.
    connection_id: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant_name: Mapped[str] = mapped_column(String(255), default="")
    short_code: Mapped[str | None] = mapped_column(String(32))
    base_currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(64))
    auth_event_id: Mapped[str | None] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(500), default="")
    access_token: Mapped[str] = mapped_column(EncryptedText())
    refresh_token: Mapped[str] = mapped_column(EncryptedText())
    access_expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every token write; a refresh writes only if the version it read is still current.
    token_version: Mapped[int] = mapped_column(default=1)
    connected_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    alerted_at: Mapped[datetime | None]  # when Needs reconnect was announced (announce once)
    # Following our own invoices: Xero's clock at the last successful read, less a minute (If-Modified-Since).
    invoices_modified_since: Mapped[datetime | None]


class XeroAuthRequest(Base, WorkspaceScoped, Timestamped):
    """One "Connect to Xero" link: the OAuth `state`, single-use and short-lived, bound to an admin and a cookie.

    Only hashes of the state and of the browser cookie are stored; the PKCE verifier is encrypted.
    """

    __tablename__ = "xero_auth_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    cookie_hash: Mapped[str | None] = mapped_column(String(64))
    code_verifier: Mapped[str | None] = mapped_column(EncryptedText())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class XeroPendingConsent(Base, WorkspaceScoped, Timestamped):
    """A consent that granted several organisations, waiting for the admin to pick one on the chooser page."""

    __tablename__ = "xero_pending_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the chooser page's secret, hashed
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    cookie_hash: Mapped[str | None] = mapped_column(String(64))
    token_set: Mapped[str] = mapped_column(EncryptedText())  # JSON of the token response, encrypted
    # [{"id", "tenantId", "tenantName", "tenantType", "authEventId"}]: what the chooser offers.
    organisations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
