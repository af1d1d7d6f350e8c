"""Web API methods of the Slack sandbox: auth, users, chat and conversations.

Response shapes follow Slack's documented examples closely enough that slack_sdk and Bolt read the
same fields they read in production (``auth.test``'s ``bot_id``/``user_id``, ``chat.postMessage``'s
``ts``/``channel``).  Views live in ``slack_modals``; OAuth in ``slack_oauth``.
"""

from __future__ import annotations

from typing import Any

from sandbox import slack_limits as limit
from sandbox.slack_api import (
    ApiError,
    Call,
    find_channel,
    find_user,
    find_visible_user,
    postable_channel,
    require_scope,
)
from sandbox.slack_state import Channel, User, tz_details
from sandbox.slack_views import validate_blocks

# ---- auth ---------------------------------------------------------------------------------------


def auth_test(call: Call) -> dict[str, Any]:
    """Who the token is; Bolt reads ``bot_id`` (bot tokens only), ``user_id``, ``team_id``."""
    token = call.bot
    team = call.state.teams[token.team_id]
    user = call.state.users.get(token.user_id)
    body: dict[str, Any] = {
        "url": f"https://{team.domain}.slack.com/",
        "team": team.name,
        "user": user.name if user else token.user_id,
        "team_id": team.id,
        "user_id": token.user_id,
    }
    if token.kind == "bot":
        body["bot_id"] = token.bot_id
    body["is_enterprise_install"] = False
    return body


# ---- users --------------------------------------------------------------------------------------


def user_object(user: User, *, include_locale: bool = False) -> dict[str, Any]:
    """Slack's user object, with the fields Hour Cap reads (tz, tz_offset, names, admin flags)."""
    _, tz_label = tz_details(user.tz)
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "status_text": "",
        "status_emoji": "",
        "team": user.team_id,
    }
    if user.email:
        profile["email"] = user.email
    body: dict[str, Any] = {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": tz_label,
        "tz_offset": user.tz_offset,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_primary_owner,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 0,
    }
    if include_locale:
        body["locale"] = "en-US"
    return body


def users_info(call: Call) -> dict[str, Any]:
    require_scope(call, "users:read")
    user = find_visible_user(call, call.text("user"))
    return {"user": user_object(user, include_locale=call.flag("include_locale"))}


# ---- chat ---------------------------------------------------------------------------------------


def _content(call: Call, *, required: bool = True) -> dict[str, Any]:
    """Validated ``text``/``blocks`` of a chat.* call (only the fields that were given)."""
    content: dict[str, Any] = {}
    if "text" in call.params and call.params["text"] is not None:
        content["text"] = call.text("text")
    blocks = call.params.get("blocks")
    if blocks is not None and blocks != "":
        if not isinstance(blocks, list):
            raise ApiError("invalid_blocks_format")
        errors = validate_blocks(blocks)
        if errors:
            raise ApiError("invalid_blocks", extra={"response_metadata": {"messages": errors}})
        content["blocks"] = blocks
    if (
        required
        and not content.get("text")
        and not content.get("blocks")
        and not call.params.get("attachments")
    ):
        raise ApiError("no_text")
    if len(content.get("text", "")) > limit.MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    return content


def _message(call: Call, ts: str, content: dict[str, Any]) -> dict[str, Any]:
    token = call.bot
    message: dict[str, Any] = {
        "type": "message",
        "user": token.user_id,
        "bot_id": token.bot_id,
        "app_id": token.app_id,
        "team": token.team_id,
        "ts": ts,
        "text": content.get("text", ""),
    }
    if "blocks" in content:
        message["blocks"] = content["blocks"]
    for optional in ("thread_ts", "metadata", "attachments"):
        if call.params.get(optional):
            message[optional] = call.params[optional]
    return message


def chat_post_message(call: Call) -> dict[str, Any]:
    require_scope(call, "chat:write")
    channel = postable_channel(call, call.text("channel"))
    content = _content(call)
    ts = call.state.new_ts()
    message = _message(call, ts, content)
    call.state.messages.setdefault(channel.id, []).append(message)
    return {"channel": channel.id, "ts": ts, "message": message}


def chat_post_ephemeral(call: Call) -> dict[str, Any]:
    require_scope(call, "chat:write")
    channel = postable_channel(call, call.text("channel"))
    user = find_user(call, call.text("user"))
    content = _content(call)
    ts = call.state.new_ts()
    message = {**_message(call, ts, content), "ephemeral_to": user.id}
    call.state.ephemerals.setdefault(channel.id, []).append(message)
    return {"message_ts": ts}


def chat_update(call: Call) -> dict[str, Any]:
    """Edit a stored message; text/blocks not given keep their previous value, as in Slack."""
    require_scope(call, "chat:write")
    channel = find_channel(call, call.text("channel"))
    ts = call.text("ts")
    message = next((m for m in call.state.messages.get(channel.id, []) if m["ts"] == ts), None)
    if message is None:
        raise ApiError("message_not_found")
    if message.get("bot_id") != call.bot.bot_id:
        raise ApiError("cant_update_message")
    content = _content(call)
    message.update(content)
    message["edited"] = {"user": call.bot.user_id, "ts": call.state.new_ts()}
    return {"channel": channel.id, "ts": ts, "text": message["text"], "message": dict(message)}


def chat_get_permalink(call: Call) -> dict[str, Any]:
    """A message's link, as Slack gives it: the channel must be one the caller can see and the message must exist
    in it (``channel_not_found``, ``message_not_found``). No scope is needed, and the bot need not be in the channel
    for a public one."""
    channel = find_channel(call, call.text("channel"))
    ts = call.text("message_ts")
    known = call.state.messages.get(channel.id, [])
    if not any(m["ts"] == ts for m in known):
        raise ApiError("message_not_found")
    team = call.state.teams.get(channel.team_id)
    domain = team.domain if team is not None else "slack"
    link = f"https://{domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    return {"channel": channel.id, "permalink": link}


# ---- conversations ------------------------------------------------------------------------------


def channel_object(channel: Channel) -> dict[str, Any]:
    """Slack's conversation object (the fields apps read: name, is_member, is_private...)."""
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.user,
            "is_user_deleted": False,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.is_archived,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_member": channel.is_member,
        "context_team_id": channel.team_id,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def _read_scope(channel: Channel) -> str:
    if channel.is_im:
        return "im:read"
    return "groups:read" if channel.is_private else "channels:read"


def conversations_info(call: Call) -> dict[str, Any]:
    channel = find_channel(call, call.text("channel"))
    require_scope(call, _read_scope(channel))
    return {"channel": channel_object(channel)}


def conversations_join(call: Call) -> dict[str, Any]:
    require_scope(call, "channels:join")
    channel = find_channel(call, call.text("channel"), hide_private=False)
    if channel.is_private or channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise ApiError("is_archived")
    if channel.is_member:
        return {
            "channel": channel_object(channel),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    channel.is_member = True
    return {"channel": channel_object(channel)}
