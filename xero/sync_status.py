"""Use cases around syncing: asking for a sync, knowing when one is due, and the per-resource status Home shows.

A sync is work recorded in the outbox (task `xero.sync`, one row per workspace and resource) with a dedupe key
per workspace+resource, so any number of requests while one waits — ten people opening Home, a burst of contact
webhooks — coalesce into one run. Status lives in `XeroSyncState` (one row per workspace and resource): when the
last attempt and the last success were, the last error, the contacts cursor, and the alert posted for the current
failure (channel + ts) so later failures edit it and the next success resolves it. When the bot could not post in
the alerts channel, the row keeps the channel with no ts: Home then says how to invite the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from errors import InvalidInput
from storage import outbox
from storage.db import on_postgresql
from storage.models import Member, Outbox, OutboxStatus, XeroConnection, XeroSyncState
from storage.types import utcnow
from team.roles import Permission, require
from xero.connection_summary import find_connection
from xero.status import usable
from xero.sync import RESOURCES

SYNC_TASK = "xero.sync"
SYNC_ALERT_TASK = "xero.sync_alert"  # rendered in Slack by bot/notify/sync_alert.py
FAILED, RESOLVED = "failed", "resolved"  # what an alert notification says
STALE_AFTER = timedelta(minutes=10)
MAX_ERROR = 1000

LABELS = {
    "organisation": "organisation details",
    "contacts": "contacts",
    "items": "items",
    "tracking": "tracking categories",
    "accounts": "revenue accounts",
    "tax_rates": "tax rates",
    "branding_themes": "branding themes",
}
_IN_FLIGHT = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value, OutboxStatus.RUNNING.value)


def dedupe_key(workspace_id: int, resource: str) -> str:
    return f"{SYNC_TASK}:{workspace_id}:{resource}"


def _check(resource: str) -> str:
    if resource not in RESOURCES:
        raise ValueError(f"unknown Xero resource {resource!r}; one of {', '.join(RESOURCES)}")
    return resource


# -- asking for work --------------------------------------------------------------------------------------------
def request_sync(session: Session, workspace_id: int, resource: str | None, *, reason: str) -> list[str]:
    """Record a sync of `resource` (None: every resource) for the workspace; returns the resources newly recorded
    (a resource whose sync is already waiting coalesces into that one and is not listed)."""
    wanted = RESOURCES if resource is None else (_check(resource),)
    recorded = []
    for name in wanted:
        row = outbox.record(session, SYNC_TASK, {"workspace_id": workspace_id, "resource": name, "reason": reason},
                            workspace_id=workspace_id, dedupe_key=dedupe_key(workspace_id, name))
        if row is not None:
            recorded.append(name)
    return recorded


def syncing(session: Session, workspace_id: int) -> set[str]:
    """Resources with sync work waiting or running for the workspace."""
    rows = session.execute(
        select(Outbox.args).where(Outbox.workspace_id == workspace_id, Outbox.task == SYNC_TASK,
                                  Outbox.status.in_(_IN_FLIGHT))
    ).scalars()
    return {str(args.get("resource")) for args in rows if isinstance(args, dict)}


def _states(session: Session, workspace_id: int) -> dict[str, XeroSyncState]:
    rows = session.scalars(select(XeroSyncState).where(XeroSyncState.workspace_id == workspace_id))
    return {row.resource: row for row in rows}


def sync_due(session: Session, workspace_id: int, *, now: datetime | None = None) -> bool:
    """Whether opening Home should start a background sync: the connection is usable, nothing is waiting or
    running, and some resource has neither succeeded nor been tried in the last 10 minutes (a failing one is
    retried by its own outbox row, not by every Home visit)."""
    connection = session.scalars(
        select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)
    ).one_or_none()
    if not usable(connection) or syncing(session, workspace_id):
        return False
    cutoff = (now or utcnow()) - STALE_AFTER
    states = _states(session, workspace_id)
    for resource in RESOURCES:
        state = states.get(resource)
        if state is None:
            return True
        fresh_success = state.last_success_at is not None and state.last_success_at > cutoff
        recent_attempt = state.last_attempt_at is not None and state.last_attempt_at > cutoff
        if not fresh_success and not recent_attempt:
            return True
    return False


def refresh(session: Session, actor: Member, resource: str | None) -> list[str]:
    """An admin's refresh button: sync `resource` (None: everything) now, in the background."""
    require(actor, Permission.REFRESH_XERO_DATA)
    if resource is not None and resource not in RESOURCES:
        raise InvalidInput("Pick something to refresh from the list.")
    if not usable(find_connection(session, actor.workspace_id)):
        raise InvalidInput("Xero isn't connected (or needs reconnecting), so there is nothing to refresh yet.")
    return request_sync(session, actor.workspace_id, resource, reason="refresh")


def request_sync_if_due(session: Session, workspace_id: int, *, reason: str) -> list[str]:
    """Home's trigger: every resource, only when `sync_due`; deduplicated like any request."""
    if not sync_due(session, workspace_id):
        return []
    return request_sync(session, workspace_id, None, reason=reason)


# -- status rows ------------------------------------------------------------------------------------------------
def state_for(session: Session, workspace_id: int, resource: str) -> XeroSyncState:
    """The workspace's status row for `resource`, created if missing (safe when two workers race)."""
    _check(resource)
    query = select(XeroSyncState).where(XeroSyncState.workspace_id == workspace_id,
                                        XeroSyncState.resource == resource)
    state = session.scalars(query).one_or_none()
    if state is not None:
        return state
    insert = postgresql.insert if on_postgresql(session) else sqlite.insert
    session.execute(insert(XeroSyncState).values(workspace_id=workspace_id, resource=resource)
                    .on_conflict_do_nothing(index_elements=["workspace_id", "resource"]))
    return session.scalars(query).one()


def record_attempt(session: Session, workspace_id: int, resource: str) -> XeroSyncState:
    state = state_for(session, workspace_id, resource)
    state.last_attempt_at = utcnow()
    return state


def record_success(session: Session, workspace_id: int, resource: str, *,
                   cursor: datetime | None = None) -> XeroSyncState:
    """A run succeeded: error cleared, cursor advanced (contacts). The alert fields stay until it is resolved."""
    state = state_for(session, workspace_id, resource)
    state.last_success_at = utcnow()
    state.last_error = None
    if cursor is not None:
        state.modified_since = cursor
    return state


def record_failure(session: Session, workspace_id: int, resource: str, message: str) -> XeroSyncState:
    state = state_for(session, workspace_id, resource)
    state.last_error = message.strip()[:MAX_ERROR] or "unknown error"
    return state


def record_alert(session: Session, workspace_id: int, resource: str, channel_id: str | None,
                 ts: str | None) -> None:
    """Remember the alert posted for the current failure (ts None with a channel: could not post there)."""
    state = state_for(session, workspace_id, resource)
    state.alert_channel_id, state.alert_ts = channel_id, ts


def record_alert_notification(session: Session, workspace_id: int, resource: str, outcome: str, *,
                              why: str | None = None, todo: str | None = None) -> None:
    """Have the resource's alert posted or edited (`FAILED`, with why and what to do) or resolved (`RESOLVED`),
    in the transaction that recorded the outcome."""
    outbox.record(session, SYNC_ALERT_TASK, {"workspace_id": workspace_id, "resource": _check(resource),
                                             "outcome": outcome, "why": why, "todo": todo},
                  workspace_id=workspace_id)


# -- what Home shows --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceStatus:
    resource: str
    label: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    syncing: bool


@dataclass(frozen=True)
class SyncSummary:
    resources: tuple[ResourceStatus, ...]
    # A channel the bot could not post a sync alert in (not a member, or gone): Home says how to invite it.
    unpostable_channel_id: str | None = None

    @property
    def syncing(self) -> bool:
        return any(r.syncing for r in self.resources)

    @property
    def last_synced_at(self) -> datetime | None:
        """The most recent success of any resource (None: never synced)."""
        times = [r.last_success_at for r in self.resources if r.last_success_at is not None]
        return max(times) if times else None

    @property
    def failed(self) -> tuple[ResourceStatus, ...]:
        return tuple(r for r in self.resources if r.last_error)

    @property
    def warning(self) -> str | None:
        """One line naming what failed and Xero's reason, or None when the last sync of everything worked."""
        if not self.failed:
            return None
        names = ", ".join(r.label for r in self.failed)
        return f"Last sync of {names} failed: {self.failed[0].last_error}"

    @property
    def invite_hint(self) -> str | None:
        if self.unpostable_channel_id is None:
            return None
        return (f"Hour Cap could not post a sync alert in <#{self.unpostable_channel_id}>: invite it there "
                f"(`/invite @Hour Cap` in that channel) or pick another alerts channel.")


def status_summary(session: Session, workspace_id: int) -> SyncSummary:
    states = _states(session, workspace_id)
    running = syncing(session, workspace_id)
    resources = []
    unpostable = None
    for resource in RESOURCES:
        state = states.get(resource)
        resources.append(ResourceStatus(
            resource=resource,
            label=LABELS[resource],
            last_attempt_at=state.last_attempt_at if state else None,
            last_success_at=state.last_success_at if state else None,
            last_error=state.last_error if state else None,
            syncing=resource in running,
        ))
        if state is not None and state.alert_channel_id and not state.alert_ts:
            unpostable = state.alert_channel_id
    return SyncSummary(tuple(resources), unpostable)
