"""Home's Xero data controls (admins): refresh a resource from Xero, and pick the alerts channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import reported
from bot.home import publish_home, read_home_state
from bot.views.sync import ACTION_ALERTS_CHANNEL, ACTION_REFRESH, REFRESH_ALL
from storage.db import Database
from team.alerts import set_alerts_channel
from team.members import get_member
from team.roles import Permission, require
from xero.sync_status import refresh

# Slack's answers meaning "the bot cannot see or post in that channel".
_CANNOT_POST = {"channel_not_found", "not_in_channel", "is_archived", "method_not_supported_for_channel_type"}


def can_post(client: WebClient, channel_id: str) -> tuple[bool, str]:
    """(whether the bot can post in the channel, how to name it): members can; public channels it can join."""
    try:
        info = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        if error.response.get("error") in _CANNOT_POST:
            return False, "that channel"
        raise
    label = f"#{info['name']}" if info.get("name") else "that channel"
    if info.get("is_archived"):
        return False, label
    if info.get("is_member"):
        return True, label
    if info.get("is_private"):
        return False, label
    try:
        client.conversations_join(channel=channel_id)
        return True, label
    except SlackApiError as error:
        if error.response.get("error") in _CANNOT_POST:
            return False, label
        raise


def _republish(client: WebClient, db: Database, context: BoltContext, body: dict[str, Any]) -> None:
    page, show_all = read_home_state((body.get("view") or {}).get("private_metadata"))
    publish_home(client, db, context["workspace_id"], context["member_id"], catalog_page=page,
                 show_archived=show_all)


def register(app: App, db: Database) -> None:
    @app.action(ACTION_REFRESH)
    @reported
    def refresh_picked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                       client: WebClient) -> None:
        ack()
        choice = ((action.get("selected_option") or {}).get("value")) or REFRESH_ALL
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            refresh(session, actor, None if choice == REFRESH_ALL else str(choice))
        _republish(client, db, context, body)

    @app.action(ACTION_ALERTS_CHANNEL)
    @reported
    def alerts_channel_picked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                              client: WebClient) -> None:
        ack()
        channel_id = action.get("selected_conversation")
        with db.session() as session:  # refuse a member before asking Slack anything about the channel
            require(get_member(session, context["workspace_id"], context["member_id"]),
                    Permission.CHOOSE_ALERTS_CHANNEL)
        postable, label = can_post(client, channel_id) if channel_id else (True, "")
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            set_alerts_channel(session, actor, channel_id, postable=postable, channel_label=label)
        if channel_id:
            client.chat_postMessage(channel=channel_id, text=f"<@{context['user_id']}> chose this channel for "
                                    "Hour Cap's alerts: Xero sync failures, invoice push failures and Needs "
                                    "reconnect will be posted here.")
        _republish(client, db, context, body)
