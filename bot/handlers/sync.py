"""Home's Xero data controls (admins): refresh a resource from Xero, and pick the alerts channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home, read_home_state
from bot.slack_errors import ChannelNotFound, IsArchived, MethodNotSupportedForChannelType, NotInChannel, slack_api
from bot.views.sync import ACTION_ALERTS_CHANNEL, ACTION_REFRESH, REFRESH_ALL
from team.alerts import check_can_choose_alerts_channel, set_alerts_channel
from xero.sync_status import refresh

# Slack's answers meaning "the bot cannot see or post in that channel".
_CANNOT_POST = (ChannelNotFound, NotInChannel, IsArchived, MethodNotSupportedForChannelType)


def can_post(client: WebClient, channel_id: str) -> tuple[bool, str]:
    """(whether the bot can post in the channel, how to name it): members can; public channels it can join."""
    try:
        with slack_api():
            info = client.conversations_info(channel=channel_id).get("channel") or {}
    except _CANNOT_POST:
        return False, "that channel"
    label = f"#{info['name']}" if info.get("name") else "that channel"
    if info.get("is_archived"):
        return False, label
    if info.get("is_member"):
        return True, label
    if info.get("is_private"):
        return False, label
    try:
        with slack_api():
            client.conversations_join(channel=channel_id)
        return True, label
    except _CANNOT_POST:
        return False, label


def _republish(client: WebClient, context: BoltContext, body: dict[str, Any]) -> None:
    page, show_all = read_home_state((body.get("view") or {}).get("private_metadata"))
    publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                 show_archived=show_all)


@reported
def handle_refresh(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                   client: WebClient) -> None:
    ack()
    choice = ((action.get("selected_option") or {}).get("value")) or REFRESH_ALL
    with context["db"].session() as session:
        refresh(session, context["actor"](session), None if choice == REFRESH_ALL else str(choice))
    _republish(client, context, body)


@reported
def handle_alerts_channel(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          client: WebClient) -> None:
    ack()
    channel_id = action.get("selected_conversation")
    with context["db"].session() as session:  # refuse a member before asking Slack anything about the channel
        check_can_choose_alerts_channel(context["actor"](session))
    postable, label = can_post(client, channel_id) if channel_id else (True, "")
    with context["db"].session() as session:
        set_alerts_channel(session, context["actor"](session), channel_id, postable=postable, channel_label=label)
    if channel_id:
        client.chat_postMessage(channel=channel_id, text=f"<@{context['user_id']}> chose this channel for "
                                "Hour Cap's alerts: Xero sync failures, invoice push failures and Needs "
                                "reconnect will be posted here.")
    _republish(client, context, body)


def register(app: App) -> None:
    app.action(ACTION_REFRESH)(handle_refresh)
    app.action(ACTION_ALERTS_CHANNEL)(handle_alerts_channel)
