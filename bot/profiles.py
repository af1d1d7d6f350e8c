"""Slack profiles (name, timezone) from users.info, for first contact."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from team.members import Profile, ProfileLoader

log = logging.getLogger(__name__)


def profile_loader(client: WebClient) -> ProfileLoader:
    """A loader that asks Slack; None when Slack cannot answer now (the member is created anyway, fetched later)."""

    def load(user_id: str) -> Profile | None:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError, OSError, ValueError) as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.__class__.__name__)
            return None
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        return Profile(
            display_name=str(name or user_id),
            timezone=str(user.get("tz") or "UTC"),
            is_workspace_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
            team_id=str(user["team_id"]) if user.get("team_id") else None,
            enterprise_id=str((user.get("enterprise_user") or {}).get("enterprise_id") or "") or None,
            is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
            deleted=bool(user.get("deleted")),
            is_stranger=bool(user.get("is_stranger")),
        )

    return load
