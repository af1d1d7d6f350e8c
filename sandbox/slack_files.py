"""Files in the Slack sandbox: ``files.getUploadURLExternal``, the upload URL, ``files.completeUploadExternal``
(what ``WebClient.files_upload_v2`` calls), and ``conversations.open`` for the bot's DM with a person.

Strict like Slack: scope ``files:write``; ``filename`` required and ``length`` a whole number of bytes from 1 to
1 GB; the bytes posted to the upload URL must be exactly that long; completing refuses an unknown file id, one
another token reserved, one whose bytes never arrived, or one completed already. The bytes are kept
(``SlackSandbox.file_bytes``) so tests read the PNG or CSV back, and a file shared in a channel arrives there as a
message carrying it, as Slack shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.slack_api import ApiError, Call, find_user, postable_channel, require_scope
from sandbox.slack_state import SlackState

MAX_FILE_BYTES = 1 << 30
UPLOAD_PATH = "/upload/"


@dataclass
class StoredFile:
    id: str
    team_id: str
    token: str
    filename: str
    length: int
    title: str = ""
    data: bytes | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.filename, "title": self.title or self.filename, "size": self.length,
                "mimetype": _mimetype(self.filename), "url_private": f"https://files.slack.com/files-pri/{self.id}",
                "channels": list(self.channels)}


def _mimetype(filename: str) -> str:
    lower = filename.lower()
    return "image/png" if lower.endswith(".png") else "text/csv" if lower.endswith(".csv") else "application/octet"


def files_of(state: SlackState) -> dict[str, StoredFile]:
    found: dict[str, StoredFile] = state.files
    return found


def file_methods(base_url: Callable[[], str]) -> dict[str, Callable[[Call], dict[str, Any]]]:
    """The methods of this module, ``files.getUploadURLExternal`` handing out upload URLs on ``base_url()``."""
    return {"files.getUploadURLExternal": lambda call: get_upload_url_external(call, base_url()),
            "files.completeUploadExternal": complete_upload_external, "conversations.open": conversations_open}


def get_upload_url_external(call: Call, base_url: str) -> dict[str, Any]:
    require_scope(call, "files:write")
    filename = call.text("filename")
    if not filename:
        raise ApiError("invalid_arguments", extra={"response_metadata": {"messages": ["missing filename"]}})
    raw = call.text("length")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_FILE_BYTES:
        raise ApiError("invalid_arguments", extra={"response_metadata": {"messages": ["invalid length"]}})
    file_id = call.state.new_id("F")
    files_of(call.state)[file_id] = StoredFile(file_id, call.bot.team_id, call.bot.token, filename, int(raw))
    return {"upload_url": f"{base_url}{UPLOAD_PATH}{file_id}", "file_id": file_id}


def upload_post(state: SlackState, request: Request) -> Response:
    """The upload URL: the raw bytes (or one multipart ``file`` field), exactly as long as reserved."""
    file_id = request.path.removeprefix(UPLOAD_PATH)
    data = request.get_data()
    if request.mimetype == "multipart/form-data" and "file" in request.files:
        data = request.files["file"].read()
    with state.lock:
        state.record("upload_url", {"file_id": file_id, "length": len(data)}, None)
        stored = files_of(state).get(file_id)
        if stored is None or stored.completed:
            return Response("invalid_file", status=404, mimetype="text/plain")
        if len(data) != stored.length:
            return Response("length_mismatch", status=400, mimetype="text/plain")
        stored.data = data
        state.changed.notify_all()
    return Response(f"OK - {len(data)}", status=200, mimetype="text/plain")


def _file_list(call: Call) -> list[dict[str, Any]]:
    value = call.params.get("files")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError("invalid_arguments") from None
    if not isinstance(value, list) or not value or not all(isinstance(f, dict) and f.get("id") for f in value):
        raise ApiError("invalid_arguments", extra={"response_metadata": {"messages": ["files must list ids"]}})
    return value


def complete_upload_external(call: Call) -> dict[str, Any]:
    require_scope(call, "files:write")
    wanted = _file_list(call)
    stored_files = files_of(call.state)
    chosen: list[StoredFile] = []
    for item in wanted:
        stored = stored_files.get(str(item["id"]))
        if stored is None or stored.token != call.bot.token or stored.completed:
            raise ApiError("invalid_file_id" if stored is None or stored.token != call.bot.token else
                           "file_already_completed")
        if stored.data is None:
            raise ApiError("file_not_uploaded")
        chosen.append(stored)
    channel_ref = call.text("channel_id") or call.text("channels").split(",")[0]
    channel = postable_channel(call, channel_ref) if channel_ref else None
    for stored, item in zip(chosen, wanted, strict=True):
        stored.title = str(item.get("title") or stored.filename)
        stored.completed = True
        if channel is not None:
            stored.channels.append(channel.id)
    if channel is not None:
        ts = call.state.new_ts()
        message = {"type": "message", "subtype": "file_share", "user": call.bot.user_id, "bot_id": call.bot.bot_id,
                   "ts": ts, "text": call.text("initial_comment"), "files": [f.to_json() for f in chosen]}
        call.state.messages.setdefault(channel.id, []).append(message)
    return {"files": [f.to_json() for f in chosen]}


def conversations_open(call: Call) -> dict[str, Any]:
    """The bot's DM with one person (``users=U…``); group DMs are not part of the stand-in."""
    require_scope(call, "im:write")
    users = [u for u in call.text("users").split(",") if u]
    if len(users) != 1:
        raise ApiError("not_enough_users" if not users else "too_many_users")
    user = find_user(call, users[0])
    channel = postable_channel(call, user.id)
    return {"channel": {"id": channel.id}, "no_op": False, "already_open": False}
