"""Slack's `user_change` event: a member's account deactivated, reactivated, turned into a bot, moved to another
workspace, or their name or timezone changed.

Scoped to the workspace the event was delivered for (the installation Bolt authorized it with): only that
workspace's member row of the person changes, and nobody becomes a member this way. Applying the same event twice
changes nothing, and an event older than what is already recorded (events may arrive out of order) is ignored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltContext

from bot.middleware import authorized_team
from bot.profiles import profile_of
from storage.types import utcnow
from team.members import find_workspace, record_standing

log = logging.getLogger(__name__)


def _event_time(body: dict[str, Any]) -> datetime:
    """When Slack says the change happened: the envelope's `event_time` (seconds), else now."""
    value = body.get("event_time")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return utcnow()


def handle_user_change(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    user = event.get("user")
    team_id = authorized_team(context)
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not team_id:
        return
    user_id = user["id"]
    with context["db"].session() as session:
        workspace = find_workspace(session, team_id)
        if workspace is None:
            return
        member = record_standing(session, workspace, user_id, profile_of(user, user_id), _event_time(body))
        if member is not None:
            log.info("user_change for %s in team %s: %s", user_id, team_id, member.inactive_reason or "active")


def register(app: App) -> None:
    app.event("user_change")(handle_user_change)
