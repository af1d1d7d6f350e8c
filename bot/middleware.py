"""Global middleware: drop Events API redeliveries, and resolve the workspace and member for every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot.profiles import profile_loader
from storage.db import Database
from storage.models import SlackEventReceipt
from team.members import ensure_member, ensure_workspace


def register(app: App, db: Database, *, single_workspace: bool) -> None:
    @app.middleware
    def dedupe_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Slack redelivers events it thinks were lost; act on each `event_id` once (first deliveries always act)."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                with db.session() as session:
                    session.add(SlackEventReceipt(event_id=str(event_id)[:64]))
            except IntegrityError:
                return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def resolve_member(context: BoltContext, client: WebClient, next: Callable[[], None]) -> None:
        """Put `workspace_id` and `member_id` in the context; people become members on first contact."""
        team_id, user_id = context.team_id, context.user_id
        if team_id and user_id:
            with db.session() as session:
                workspace = ensure_workspace(session, team_id, enterprise_id=context.enterprise_id)
                member = ensure_member(session, workspace, user_id, profile_loader(client),
                                       claim_owner_if_admin=single_workspace)
                context["workspace_id"] = workspace.id
                context["member_id"] = member.id
        next()
