"""The Team section of App Home: role changes and ownership transfer (checked in team.admin)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home
from bot.profiles import profile_loader
from bot.views.home import (
    ACTION_APPLY_ROLE,
    ACTION_PICK_ROLE,
    ACTION_PICK_USER,
    ACTION_TRANSFER,
    BLOCK_TEAM_CONTROLS,
)
from bot.views.state import form_values
from storage.db import Database
from team.admin import RoleChange, change_role, parse_role, transfer_ownership
from team.members import get_member


def _announce(client: WebClient, db: Database, context: BoltContext, change: RoleChange) -> None:
    publish_home(client, db, context["workspace_id"], context["member_id"])
    if change.changed:
        publish_home(client, db, context["workspace_id"], change.target.id)
        client.chat_postMessage(
            channel=change.target.slack_user_id,
            text=f"<@{context['user_id']}> made you {change.new.label.lower()} in Hour Cap"
                 f" (you were {change.old.label.lower()}). Open the Home tab to see what you can do now.",
        )


def register(app: App, db: Database) -> None:
    @app.action(ACTION_PICK_USER)
    @app.action(ACTION_PICK_ROLE)
    def selection_made(ack: Ack) -> None:
        ack()  # the choice is read from the view state when a button is pressed

    @app.action(ACTION_APPLY_ROLE)
    @reported
    def apply_role(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        values = form_values(body).get(BLOCK_TEAM_CONTROLS, {})
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            change = change_role(session, actor, values.get(ACTION_PICK_USER), parse_role(values.get(ACTION_PICK_ROLE)),
                                 profile_loader(client))
        _announce(client, db, context, change)

    @app.action(ACTION_TRANSFER)
    @reported
    def transfer(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        values = form_values(body).get(BLOCK_TEAM_CONTROLS, {})
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            change = transfer_ownership(session, actor, values.get(ACTION_PICK_USER), profile_loader(client))
        _announce(client, db, context, change)
