"""Work recorded by the Xero connection: the "Connected" DM, the Needs-reconnect announcement, and letting go of
the organisations a consent granted but the admin did not choose.

(The first sync after connecting is the ordinary `xero.sync` of every resource: xero/tasks_sync.py.)
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.home import publish_home
from bot.slack_clients import SlackNotInstalled
from bot.views.xero import connected_message, needs_reconnect_message
from jobs.registry import JobContext, TaskRegistry
from storage.models import ConnectionStatus, Member, Role, Workspace, XeroConnection
from storage.types import utcnow
from team.members import active_members
from xero.connection import ANNOUNCE_CONNECTED_TASK
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


def announce_needs_reconnect(ctx: JobContext, connection_id: int) -> None:
    """Once per transition: DM every admin and the owner, post to the alerts channel, re-publish their Homes."""
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, connection_id)
        if (connection is None or connection.status != ConnectionStatus.NEEDS_RECONNECT.value
                or connection.alerted_at is not None):
            return
        workspace = session.get(Workspace, connection.workspace_id)
        admins = [(m.id, m.slack_user_id) for m in session.scalars(
            select(Member).where(Member.workspace_id == connection.workspace_id, Member.role.in_(ADMIN_ROLES),
                                 active_members())
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



def register(tasks: TaskRegistry) -> None:
    tasks.add(ANNOUNCE_CONNECTED_TASK, announce_connected)
    tasks.add(ANNOUNCE_TASK, announce_needs_reconnect)
