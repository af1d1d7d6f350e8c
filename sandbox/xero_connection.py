"""A workspace connected to the Xero stand-in: a real token set (authorization-code flow over HTTP, consent by
submitting the stand-in's form, sandbox/xero_consent.py) stored as the workspace's one `XeroConnection` row, plus
settings pointing the app at the stand-in. Tests and benches start from here when they need a connected workspace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx2
from sqlalchemy import select

from settings import Settings
from storage.db import Database
from storage.models import Workspace, XeroConnection
from storage.types import utcnow

if TYPE_CHECKING:
    from sandbox.xero import XeroSandbox

SCOPES = "offline_access accounting.invoices accounting.contacts accounting.settings.read"


@dataclass(frozen=True)
class ConnectedWorkspace:
    workspace_id: int
    connection_row_id: int
    tenant_id: str
    access_token: str
    refresh_token: str


def xero_settings(sb: XeroSandbox, database_url: str, *, redis_url: str | None = None) -> Settings:
    """Settings pointing every XERO_* URL at the sandbox (what `hourcap serve --xero-sandbox` does)."""
    return Settings(
        slack_signing_secret="test-signing-secret",
        database_url=database_url,
        redis_url=redis_url,
        xero_client_id=sb.client_id,
        xero_client_secret=sb.client_secret,
        xero_login_url=sb.login_url,
        xero_identity_url=sb.identity_url,
        xero_api_url=sb.api_url,
        xero_connections_url=sb.connections_url,
    )


def connect_workspace(db: Database, sb: XeroSandbox, *, tenant_id: str | None = None,
                      team_id: str | None = None) -> ConnectedWorkspace:
    """Consent in the sandbox for one organisation and store the token set as the workspace's connection (the
    workspace of `team_id` when one exists, as after a Slack install; else a new one)."""
    from sandbox.xero_consent import connect  # authlib only when connecting: importers (worker processes) start fast

    sb.auto_consent = True
    tenant = tenant_id or sb.tenants.demo_tenant_id
    connected = connect(sb, tenant_ids=[tenant], scope=SCOPES)
    token = connected.token
    rows = httpx2.get(sb.connections_url, headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    row = next(r for r in rows if r["tenantId"] == tenant)
    with db.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slack_team_id == team_id)).one_or_none() \
            if team_id else None
        if workspace is None:
            workspace = Workspace(slack_team_id=team_id or f"T{uuid.uuid4().hex[:10].upper()}", name="Xero Co")
            session.add(workspace)
            session.flush()
        connection = XeroConnection(
            workspace_id=workspace.id,
            connection_id=row["id"],
            tenant_id=tenant,
            tenant_name=row["tenantName"],
            auth_event_id=row["authEventId"],
            scopes=str(token.get("scope", SCOPES)),
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            access_expires_at=utcnow() + timedelta(seconds=int(token["expires_in"])),
            refreshed_at=utcnow(),
        )
        session.add(connection)
        session.flush()
        return ConnectedWorkspace(workspace.id, connection.id, tenant, token["access_token"],
                                  token["refresh_token"])

