"""Disconnecting a workspace from Xero: an admin's Disconnect in App Home.

After the role check, Xero is told (remove the connection, then revoke the token set) outside any database
transaction (SQLite takes its write lock at BEGIN); then, in one transaction, the Xero links are cleared, the
connection row is deleted by its id and the disconnect is audited. Our copy of the tokens goes even when Xero
cannot be reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from errors import UserError
from settings import Settings
from storage.audit import audit
from storage.db import Database
from storage.models import XeroConnection
from storage.types import utcnow
from team.members import get_member
from team.roles import Permission, require
from xero import oauth
from xero.connection_summary import find_connection
from xero.ledger_links import LinksCleared, clear_xero_links
from xero.oauth import XeroOAuthError

log = logging.getLogger("hourcap.xero.disconnect")


@dataclass(frozen=True)
class Disconnected:
    tenant_name: str
    revoked: bool  # Xero confirmed; False: Xero could not be reached, our copy of the tokens is gone anyway
    links: LinksCleared


def disconnect(db: Database, settings: Settings, workspace_id: int, actor_member_id: int) -> Disconnected:
    """Admins: revoke at Xero, remove the connection (by connection id), clear the Xero links; audit it."""
    with db.session() as session:
        actor = get_member(session, workspace_id, actor_member_id)
        require(actor, Permission.DISCONNECT_XERO)
        connection = find_connection(session, workspace_id)
        if connection is None:
            raise UserError("Hour Cap is not connected to Xero, so there is nothing to disconnect.")
        row_id, tenant_name, tenant_id = connection.id, connection.tenant_name, connection.tenant_id
        connection_id, refresh_token = connection.connection_id, connection.refresh_token
        access_token = connection.access_token if connection.access_expires_at > utcnow() + timedelta(seconds=30) \
            else None
    revoked = _tell_xero(settings, connection_id, access_token, refresh_token)
    with db.session() as session:
        actor = get_member(session, workspace_id, actor_member_id)
        links = clear_xero_links(session, workspace_id)
        session.execute(delete(XeroConnection).where(XeroConnection.id == row_id))
        audit(session, actor, "xero.disconnected", f"tenant:{tenant_id}", name=tenant_name,
              connection_id=connection_id, revoked=revoked, clients_unlinked=links.clients,
              projects_unlinked=links.projects)
    return Disconnected(tenant_name, revoked, links)


def disconnect_uninstalled(db: Database, settings: Settings, workspace_id: int) -> Disconnected | None:
    """Slack uninstalled Hour Cap from the workspace: the same steps as an admin's Disconnect, by nobody (audited
    without an actor). None when there is no connection (never connected, or already done: safe to run twice).
    Runs whether or not the workspace was reinstalled meanwhile: the uninstall ended the connection, and an admin
    connects Xero again after a reinstall."""
    with db.session() as session:
        connection = find_connection(session, workspace_id)
        if connection is None:
            return None
        row_id, tenant_name, tenant_id = connection.id, connection.tenant_name, connection.tenant_id
        connection_id, refresh_token = connection.connection_id, connection.refresh_token
        access_token = connection.access_token if connection.access_expires_at > utcnow() + timedelta(seconds=30) \
            else None
    revoked = _tell_xero(settings, connection_id, access_token, refresh_token)
    with db.session() as session:
        links = clear_xero_links(session, workspace_id)
        gone = getattr(session.execute(delete(XeroConnection).where(XeroConnection.id == row_id)), "rowcount", 0)
        if gone:
            audit(session, None, "xero.disconnected", f"tenant:{tenant_id}", workspace_id=workspace_id,
                  name=tenant_name, connection_id=connection_id, revoked=revoked, reason="uninstalled",
                  clients_unlinked=links.clients, projects_unlinked=links.projects)
    return Disconnected(tenant_name, revoked, links)


def _tell_xero(settings: Settings, connection_id: str, access_token: str | None, refresh_token: str) -> bool:
    """Remove the connection, then revoke the token set (revoking first would leave nothing to call with).

    An expired access token skips the DELETE: revoking the refresh token ends every connection of the token set.
    """
    if not settings.xero_enabled:
        return False
    try:
        if access_token is not None:
            oauth.delete_connection(settings, access_token, connection_id)
    except XeroOAuthError as problem:
        log.warning("could not remove Xero connection %s: %s", connection_id, problem.message)
    try:
        oauth.revoke(settings, refresh_token)
    except XeroOAuthError as problem:
        log.warning("could not revoke the Xero token set: %s", problem.message)
        return False
    return True
