"""Work recorded by the Xero connection: the first sync, the "Connected" DM, and the Needs-reconnect announcement.

`xero.first_sync` reads `GET /Organisation` (name, short code, base currency, timezone) with the access token
just stored — a plain httpx2 call for now; it moves onto xero.client (refresh under the lock, rate limits) when
that lands. The rest of the first sync (contacts, items, tracking, accounts, tax rates, themes) is a later issue.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx2
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.home import publish_home
from bot.slack_clients import SlackNotInstalled
from bot.views.xero import connected_message, needs_reconnect_message
from jobs.registry import JobContext, Permanent, RetryAt, Transient, task
from storage.models import ConnectionStatus, Member, Role, Workspace, XeroConnection
from storage.types import utcnow
from xero.connection import ANNOUNCE_CONNECTED_TASK, FIRST_SYNC_TASK
from xero.status import ANNOUNCE_TASK

log = logging.getLogger(__name__)
ADMIN_ROLES = (Role.ADMIN.value, Role.OWNER.value)


def _slack(ctx: JobContext, workspace: Workspace) -> WebClient | None:
    try:
        client: WebClient = ctx.services["slack"].for_team(workspace.slack_team_id,
                                                           enterprise_id=workspace.slack_enterprise_id)
        return client
    except SlackNotInstalled:
        log.info("workspace %s has no bot token: nothing to tell in Slack", workspace.id)
        return None


def _publish(client: WebClient, ctx: JobContext, workspace_id: int, member_id: int) -> None:
    try:
        publish_home(client, ctx.db, workspace_id, member_id)
    except SlackApiError as exc:
        log.warning("could not re-publish Home for member %s: %s", member_id, exc.response.get("error"))


def _post(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]]) -> None:
    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not post to %s: %s", channel, exc.response.get("error"))


@task(FIRST_SYNC_TASK)
def first_sync(ctx: JobContext, connection_id: int) -> None:
    assert ctx.settings is not None
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        if connection is None or connection.status != ConnectionStatus.CONNECTED.value:
            return  # disconnected (or needs reconnect) before we got here
        workspace_id, member_id = connection.workspace_id, connection.connected_by_member_id
        version, tenant_id = connection.token_version, connection.tenant_id
        access_token, expires_at = connection.access_token, connection.access_expires_at
    if expires_at <= utcnow() + timedelta(seconds=30):
        raise Permanent("the access token expired before the first sync ran; xero.client's refresh takes this over")
    organisation = _get_organisation(ctx.settings.xero_api_url, access_token, tenant_id)
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        if connection is None or connection.tenant_id != tenant_id:
            return
        connection.tenant_name = str(organisation.get("Name") or connection.tenant_name)[:255]
        connection.short_code = (str(organisation.get("ShortCode") or "") or None)
        connection.base_currency = (str(organisation.get("BaseCurrency") or "")[:3] or None)
        connection.timezone = (str(organisation.get("Timezone") or "")[:64] or None)
        workspace = session.get(Workspace, workspace_id)
    log.info("first sync read organisation details for workspace %s (token version %s)", workspace_id, version)
    if workspace is not None and member_id is not None:
        client = _slack(ctx, workspace)
        if client is not None:
            _publish(client, ctx, workspace_id, member_id)


def _get_organisation(api_url: str, access_token: str, tenant_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {access_token}", "xero-tenant-id": tenant_id, "Accept": "application/json"}
    try:
        response = httpx2.get(f"{api_url}/Organisation", headers=headers, timeout=httpx2.Timeout(20.0, connect=5.0))
    except httpx2.HTTPError as exc:
        raise Transient(f"Xero could not be reached for /Organisation ({exc.__class__.__name__})") from None
    correlation = response.headers.get("Xero-Correlation-Id")
    if response.status_code == 429:
        wait = int(response.headers.get("Retry-After", "60") or 60)
        raise RetryAt(utcnow() + timedelta(seconds=max(wait, 1)), f"Xero rate limit (correlation id {correlation})")
    if response.status_code >= 500:
        raise Transient(f"Xero answered HTTP {response.status_code} for /Organisation (correlation id {correlation})")
    if response.status_code != 200:
        raise Permanent(f"Xero refused /Organisation: HTTP {response.status_code} (correlation id {correlation})")
    try:
        return dict(response.json()["Organisations"][0])
    except (ValueError, KeyError, IndexError, TypeError):
        raise Transient(f"Xero's /Organisation answer was not what its API promises ({correlation})") from None


@task(ANNOUNCE_CONNECTED_TASK)
def announce_connected(ctx: JobContext, connection_id: int, member_id: int) -> None:
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        member = session.get(Member, member_id)
        if connection is None or member is None or connection.workspace_id != member.workspace_id:
            return
        workspace = session.get(Workspace, connection.workspace_id)
        tenant_name, user_id = connection.tenant_name, member.slack_user_id
    if workspace is None or (client := _slack(ctx, workspace)) is None:
        return
    text, blocks = connected_message(tenant_name)
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    _publish(client, ctx, workspace.id, member_id)


@task(ANNOUNCE_TASK)
def announce_needs_reconnect(ctx: JobContext, connection_id: int) -> None:
    """Once per transition: DM every admin and the owner, post to the alerts channel, re-publish their Homes."""
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        if (connection is None or connection.status != ConnectionStatus.NEEDS_RECONNECT.value
                or connection.alerted_at is not None):
            return
        workspace = session.get(Workspace, connection.workspace_id)
        admins = [(m.id, m.slack_user_id) for m in session.scalars(
            select(Member).where(Member.workspace_id == connection.workspace_id, Member.role.in_(ADMIN_ROLES))
        )]
        tenant_name, reason = connection.tenant_name, connection.status_reason
    if workspace is None:
        return
    client = _slack(ctx, workspace)
    if client is not None:
        text, blocks = needs_reconnect_message(tenant_name, reason)
        # The client retries 429s, 5xx and dropped connections itself; a refusal for one person (deactivated,
        # a bot) must not re-send everyone's DM through a task retry.
        for _member_id, user_id in admins:
            _post(client, user_id, text, blocks)
        if workspace.alerts_channel_id:
            _post(client, workspace.alerts_channel_id, text, blocks)
        for member_id, _user_id in admins:
            _publish(client, ctx, workspace.id, member_id)
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        if connection is not None:
            connection.alerted_at = utcnow()
