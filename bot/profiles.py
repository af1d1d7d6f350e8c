"""Slack profiles (name, timezone, standing) from users.info: for first contact and for people someone picks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from storage.db import Database
from storage.models import Workspace
from team.members import Profile, ProfileLoader, record_standing

log = logging.getLogger(__name__)


def profile_of(user: dict[str, Any], fallback_id: str = "") -> Profile:
    """A Slack user object (users.info's `user`, or a user_change event's) as a Profile."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    return Profile(
        display_name=str(name or user.get("id") or fallback_id),
        timezone=str(user.get("tz") or "UTC"),
        is_workspace_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        team_id=str(user["team_id"]) if user.get("team_id") else None,
        enterprise_id=str((user.get("enterprise_user") or {}).get("enterprise_id") or "") or None,
        is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
        deleted=bool(user.get("deleted")),
        is_stranger=bool(user.get("is_stranger")),
    )


class SlackProfiles:
    """A ProfileLoader that asks Slack, and keeps every answer it got (`seen`) so the caller can record them.

    None when Slack cannot answer now (a first contact is created anyway and fetched later).
    """

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.seen: dict[str, Profile] = {}
        self.unknown: set[str] = set()  # ids Slack answered `user_not_found` for: nobody of this workspace

    def __call__(self, user_id: str) -> Profile | None:
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError, OSError, ValueError) as exc:
            if isinstance(exc, SlackApiError) and exc.response.get("error") == "user_not_found":
                self.unknown.add(user_id)
            log.warning("users.info failed for %s: %s", user_id, exc.__class__.__name__)
            return None
        found = profile_of(user, user_id)
        self.seen[user_id] = found
        return found


def profile_loader(client: WebClient) -> SlackProfiles:
    return SlackProfiles(client)


@contextmanager
def people_lookup(client: WebClient, db: Database, workspace_id: int) -> Iterator[ProfileLoader]:
    """A loader for a use case that looks people up (roles, rates); afterwards, in a transaction of its own, what
    Slack said about each person is recorded on their member row: a deactivated account stays recorded as such
    even when the use case refused the pick and rolled back."""
    loader = SlackProfiles(client)
    try:
        yield loader
    finally:
        if loader.seen:
            with db.session() as session:
                workspace = session.get(Workspace, workspace_id)
                if workspace is not None:
                    for user_id, profile in loader.seen.items():
                        record_standing(session, workspace, user_id, profile)
