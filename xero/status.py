"""The connection's state machine edge every part of xero/ shares: Connected → Needs reconnect.

Set when the refresh token is rejected (after a re-read), when Xero says the tenant is no longer connected, or
when the connection was removed in Xero. From then on nothing calls Xero for the workspace until an admin
reconnects. The announcement (a DM to admins, Home re-published) is work recorded through the outbox in the same
transaction, once per transition.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage import outbox
from storage.models import ConnectionStatus, XeroConnection

ANNOUNCE_TASK = "xero.announce_needs_reconnect"


def mark_needs_reconnect(session: Session, connection: XeroConnection, reason: str) -> bool:
    """Move `connection` to Needs reconnect (True), or leave it (False) when it is there already."""
    if connection.status == ConnectionStatus.NEEDS_RECONNECT.value:
        return False
    connection.status = ConnectionStatus.NEEDS_RECONNECT.value
    connection.status_reason = reason[:500]
    outbox.record(session, ANNOUNCE_TASK, {"connection_id": connection.id}, workspace_id=connection.workspace_id,
                  dedupe_key=f"{ANNOUNCE_TASK}:{connection.workspace_id}")
    return True


def usable(connection: XeroConnection | None) -> bool:
    """Whether Hour Cap may call Xero for this connection at all."""
    return connection is not None and connection.status == ConnectionStatus.CONNECTED.value
