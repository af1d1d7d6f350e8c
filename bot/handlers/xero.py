"""The Xero section of App Home: Connect / Reconnect (a fresh signed link in a modal), Disconnect, Start setup.

Roles are checked in xero.connection and xero.disconnect, so a member's crafted Connect or Disconnect action is
refused there and no link is ever made for them.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home
from bot.views.text import user_text
from bot.views.xero import (
    ACTION_CONNECT,
    ACTION_DISCONNECT,
    ACTION_OPEN_LINK,
    connect_modal,
)
from xero.connection import start_connect
from xero.disconnect import disconnect


def handle_link_opened(ack: Ack) -> None:
    ack()  # a URL button: the browser follows the link; Slack still tells us it was pressed


@reported
def handle_connect(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        link = start_connect(session, context["settings"], context["actor"](session))
    client.views_open(trigger_id=body["trigger_id"], view=connect_modal(link.url, reconnect=link.reconnect))


@reported
def handle_disconnect(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    done = disconnect(context["db"], context["settings"], context["workspace_id"], context["member_id"])
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])
    cleared = []
    if done.links.clients:
        cleared.append(f"{done.links.clients} client contact link{'s' if done.links.clients != 1 else ''}")
    if done.links.projects:
        cleared.append(f"Xero items/tracking on {done.links.projects} project"
                       f"{'s' if done.links.projects != 1 else ''}")
    text = f"Disconnected from {user_text(done.tenant_name)}."
    if cleared:
        text += " Cleared " + " and ".join(cleared) + "."
    text += " Time entries, clients, projects and invoices are unchanged."
    if not done.revoked:
        text += (" Xero could not be reached to revoke access: Hour Cap has forgotten its tokens, and you can "
                 "also remove Hour Cap in Xero under Settings → Connected apps.")
    client.chat_postMessage(channel=context["user_id"], text=text)


def register(app: App) -> None:
    app.action(ACTION_OPEN_LINK)(handle_link_opened)
    app.action(ACTION_CONNECT)(handle_connect)
    app.action(ACTION_DISCONNECT)(handle_disconnect)
    # ACTION_START_SETUP (the Connected DM's and Home's button) opens the setup wizard: bot/handlers/wizard.py.
