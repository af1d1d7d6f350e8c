"""The Team section of App Home: role changes and ownership transfer (checked in team.admin)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home
from bot.profiles import people_lookup
from bot.views.home import (
    ACTION_APPLY_ROLE,
    ACTION_PICK_ROLE,
    ACTION_PICK_USER,
    ACTION_TRANSFER,
    BLOCK_TEAM_CONTROLS,
)
from team.admin import RoleChange, change_role, parse_role, transfer_ownership


def _announce(client: WebClient, context: BoltContext, change: RoleChange) -> None:
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])
    if change.changed:
        publish_home(client, context["db"], context["workspace_id"], change.target.id)
        client.chat_postMessage(
            channel=change.target.slack_user_id,
            text=f"<@{context['user_id']}> made you {change.new.label.lower()} in Hour Cap"
                 f" (you were {change.old.label.lower()}). Open the Home tab to see what you can do now.",
        )


def handle_selection_made(ack: Ack) -> None:
    ack()  # the choice is read from the view state when a button is pressed


@reported
def handle_apply_role(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    values = context["form"].get(BLOCK_TEAM_CONTROLS, {})
    with people_lookup(client, context["db"], context["workspace_id"]) as load, context["db"].session() as session:
        change = change_role(session, context["actor"](session), values.get(ACTION_PICK_USER),
                             parse_role(values.get(ACTION_PICK_ROLE)), load)
    _announce(client, context, change)


@reported
def handle_transfer(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    values = context["form"].get(BLOCK_TEAM_CONTROLS, {})
    with people_lookup(client, context["db"], context["workspace_id"]) as load, context["db"].session() as session:
        change = transfer_ownership(session, context["actor"](session), values.get(ACTION_PICK_USER), load)
    _announce(client, context, change)


def register(app: App) -> None:
    app.action(ACTION_PICK_USER)(handle_selection_made)
    app.action(ACTION_PICK_ROLE)(handle_selection_made)
    app.action(ACTION_APPLY_ROLE)(handle_apply_role)
    app.action(ACTION_TRANSFER)(handle_transfer)
