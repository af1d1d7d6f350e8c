"""Shared plumbing for the Slack sandbox's Web API method handlers.

A handler receives a ``Call`` (the decoded parameters plus the authenticated token) and returns the
success body without ``"ok"``; to fail it raises ``ApiError``, which the HTTP layer turns into
``{"ok": false, "error": ...}`` with HTTP 200, as Slack does for application errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from sandbox.slack_state import Channel, SlackState, Token, User


class ApiError(Exception):
    """A Slack application error: ``{"ok": false, "error": code, **extra}``."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json; charset=utf-8"
    )


def invalid_arguments(messages: list[str]) -> ApiError:
    """Slack's answer to a malformed view or argument list, with its explanation list."""
    return ApiError("invalid_arguments", extra={"response_metadata": {"messages": messages}})


@dataclass
class Call:
    """One authenticated API call as a handler sees it."""

    state: SlackState
    method: str
    params: dict[str, Any]
    token: Token | None = None
    basic_auth: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers

    @property
    def bot(self) -> Token:
        """The caller's token; handlers behind authentication may rely on it."""
        assert self.token is not None, f"{self.method} needs an authenticated token"
        return self.token

    def text(self, name: str) -> str:
        """A string parameter, "" when absent (Slack treats empty and missing alike)."""
        value = self.params.get(name)
        return "" if value is None else str(value)

    def flag(self, name: str) -> bool:
        """Booleans arrive as JSON true/false or as form "1"/"0"/"true"/"false"."""
        value = self.params.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")


def require_scope(call: Call, scope: str) -> None:
    """Fail like Slack when the token was not granted ``scope``."""
    if scope not in call.bot.scopes:
        raise ApiError(
            "missing_scope",
            extra={"needed": scope, "provided": ",".join(call.bot.scopes)},
            headers={"X-Accepted-OAuth-Scopes": scope},
        )


def find_user(call: Call, user_id: str) -> User:
    user = call.state.users.get(user_id)
    if user is None or user.team_id != call.bot.team_id:
        raise ApiError("user_not_found")
    return user


def find_visible_user(call: Call, user_id: str) -> User:
    """A person users.info answers for: of the caller's team, or of another organisation met through a Slack
    Connect channel shared with the caller's team (their object carries their own ``team_id``)."""
    user = call.state.users.get(user_id)
    if user is None or (user.team_id != call.bot.team_id and call.bot.team_id not in user.shared_with):
        raise ApiError("user_not_found")
    return user


def find_channel(call: Call, ref: str, *, hide_private: bool = True) -> Channel:
    """A channel of the caller's team by id, ``#name`` or bare name; IMs by their D id.

    Slack hides private channels the bot is not in (``channel_not_found``); conversations.join
    passes ``hide_private=False`` because it answers with a more specific error.
    """
    state = call.state
    team_id = call.bot.team_id
    channel = state.channels.get(ref)
    if channel is None:
        name = ref.removeprefix("#")
        channel = next((c for c in state.channels.values() if c.name == name and not c.is_im), None)
    if channel is None or channel.team_id != team_id:
        raise ApiError("channel_not_found")
    if hide_private and channel.is_private and not channel.is_member:
        raise ApiError("channel_not_found")
    return channel


def im_channel(state: SlackState, user: User) -> Channel:
    """The bot's DM with ``user``, opened on first use (as posting to a user id does)."""
    for channel in state.channels.values():
        if channel.is_im and channel.user == user.id and channel.team_id == user.team_id:
            return channel
    channel = Channel(
        id=state.new_id("D"),
        name=user.id,
        team_id=user.team_id,
        is_private=True,
        is_member=True,
        is_im=True,
        user=user.id,
    )
    state.channels[channel.id] = channel
    return channel


def postable_channel(call: Call, ref: str) -> Channel:
    """Resolve a chat.* ``channel`` argument and apply Slack's posting rules.

    A user id posts to the bot's DM with that user.  Public channels need membership or
    ``chat:write.public``; private channels the bot is not in are invisible (``channel_not_found``).
    """
    if not ref:
        raise ApiError("channel_not_found")
    user = call.state.users.get(ref)
    if user is not None:
        if user.team_id != call.bot.team_id or user.deleted:
            raise ApiError("channel_not_found")
        return im_channel(call.state, user)
    channel = find_channel(call, ref)
    if channel.is_im:
        return channel
    if channel.is_archived:
        raise ApiError("is_archived")
    if not channel.is_member and "chat:write.public" not in call.bot.scopes:
        raise ApiError("not_in_channel")
    return channel
