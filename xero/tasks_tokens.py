"""Keeping idle Xero connections alive: a refresh token dies after 60 days unused.

`xero.refresh_idle` refreshes every usable connection last refreshed more than 30 days ago (through the same
single-flight refresh as every other caller), then records its own next run a day later. The record is
deduplicated by key, so however many times it is asked for (each start of the app calls `schedule_refresh_idle`,
each run re-records) one run waits at a time. A connection whose refresh fails transiently is simply tried again
at the next daily run: with a 30-day threshold there are thirty chances before the 60-day limit.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Permanent
from jobs.registry import JobContext, TaskRegistry
from storage import outbox
from storage.models import ConnectionStatus, XeroConnection
from storage.types import utcnow
from xero import tokens
from xero.errors import NeedsReconnect, TenantNotConnected, XeroError

log = logging.getLogger(__name__)

TASK = "xero.refresh_idle"
IDLE = timedelta(days=30)
EVERY = timedelta(days=1)


def schedule_refresh_idle(session: Session, *, delay: timedelta | None = None) -> None:
    """Ask for the next idle-refresh run (a no-op when one is already waiting)."""
    outbox.record(session, TASK, {}, workspace_id=None, dedupe_key=TASK, delay=delay)


def refresh_idle(ctx: JobContext) -> None:
    if ctx.settings is None or not ctx.settings.xero_enabled:
        raise Permanent("Xero is not configured (XERO_CLIENT_ID / XERO_CLIENT_SECRET)")
    cutoff = utcnow() - IDLE
    with ctx.db.session() as session:
        workspaces = list(session.scalars(
            select(XeroConnection.workspace_id)
            .where(XeroConnection.status == ConnectionStatus.CONNECTED.value, XeroConnection.refreshed_at < cutoff)
            .order_by(XeroConnection.refreshed_at)
        ))
    refreshed = failed = 0
    for workspace_id in workspaces:
        try:
            if tokens.refresh_if_idle(ctx.db, workspace_id, ctx.settings, IDLE):
                refreshed += 1
        except (NeedsReconnect, TenantNotConnected):
            pass  # announced (or disconnected) already: nothing to keep alive
        except XeroError as exc:
            failed += 1
            log.warning("idle refresh of workspace %s's Xero connection failed: %s (correlation %s)", workspace_id,
                        exc.__class__.__name__, exc.correlation_id)
    log.info("xero idle refresh: %d of %d idle connections refreshed, %d to retry tomorrow", refreshed,
             len(workspaces), failed)
    with ctx.db.session() as session:
        schedule_refresh_idle(session, delay=EVERY)


def register(tasks: TaskRegistry) -> None:
    tasks.add(TASK, refresh_idle)
