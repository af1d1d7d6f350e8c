"""Reading the workspace's one `XeroConnection` row: finding it, and the summary App Home shows of it.

Kept apart from the use cases that write the row (connecting, disconnecting) so that Home, its views, the setup
wizard and contact mapping can ask "connected to what?" without depending on the OAuth dance.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ConnectionStatus, Member, XeroConnection


def find_connection(session: Session, workspace_id: int) -> XeroConnection | None:
    return session.scalars(select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)).first()


@dataclass(frozen=True)
class ConnectionSummary:
    status: str  # "not_connected" | ConnectionStatus values
    tenant_name: str = ""
    short_code: str | None = None
    base_currency: str | None = None
    reason: str | None = None
    connected_by: str | None = None  # Slack user id

    @property
    def connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED.value

    @property
    def needs_reconnect(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_RECONNECT.value


NOT_CONNECTED = ConnectionSummary("not_connected")


def summary(session: Session, workspace_id: int) -> ConnectionSummary:
    connection = find_connection(session, workspace_id)
    if connection is None:
        return NOT_CONNECTED
    by = session.get(Member, connection.connected_by_member_id) if connection.connected_by_member_id else None
    return ConnectionSummary(connection.status, connection.tenant_name, connection.short_code,
                             connection.base_currency, connection.status_reason, by.slack_user_id if by else None)
