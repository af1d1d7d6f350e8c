"""Organisations a consent granted but the admin did not choose: Hour Cap lets go of them.

An admin may tick several organisations on Xero's consent page, then pick one on our chooser. The others stay
connected to the app at Xero although Hour Cap never reads them; an organisation should only see Hour Cap in
its connected apps when a workspace uses it. So choosing records `xero.release_unchosen` in the same transaction,
and the job removes those connections (`DELETE /connections/{id}`, by connection id) with the chosen
connection's token set — the same consent made them all.

A connection is a user's, per organisation: one Xero user may connect the same organisation for two Slack
workspaces, and re-ticking it on a later consent updates that one connection. So an organisation that any
workspace's Xero connection uses (checked again when the job runs) is never released. Removing what Xero no longer
has is fine (404), and a job that runs twice removes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from settings import Settings
from storage import outbox
from storage.db import Database
from storage.models import XeroConnection
from xero import oauth, tokens
from xero.oauth import Tenant

RELEASE_TASK = "xero.release_unchosen"
log = logging.getLogger("hourcap.xero.release_unchosen")


def record_release(session: Session, workspace_id: int, consent_id: int, granted: Sequence[Tenant],
                   chosen: Tenant) -> None:
    """In the choosing transaction: ask for the release of every organisation granted but not chosen."""
    others = [[t.connection_id, t.tenant_id] for t in granted if t.tenant_id.lower() != chosen.tenant_id.lower()]
    if others:
        outbox.record(session, RELEASE_TASK, {"workspace_id": workspace_id, "connections": others},
                      workspace_id=workspace_id, dedupe_key=f"{RELEASE_TASK}:{consent_id}")


def release_unchosen(db: Database, settings: Settings, workspace_id: int, connections: Sequence[Sequence[str]]) -> int:
    """Remove the given (connection id, tenant id) connections no workspace uses; how many Xero removed."""
    with db.session() as session:
        in_use = {t.lower() for t in session.scalars(select(func.lower(XeroConnection.tenant_id)))}
    doomed = [(cid, tid) for cid, tid in connections if tid.lower() not in in_use]
    if not doomed:
        return 0
    token, _tenant = tokens.access_token(db, workspace_id, settings)
    released = 0
    for connection_id, tenant_id in doomed:
        if oauth.delete_connection(settings, token, connection_id):
            released += 1
            log.info("workspace %s: released the unchosen Xero organisation %s (connection %s)", workspace_id,
                     tenant_id, connection_id)
    return released
