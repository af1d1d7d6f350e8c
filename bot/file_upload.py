"""Uploading a file to a person's DM the way ``files_upload_v2`` does — reserve an upload URL for its length,
post the bytes, complete the upload into the DM — but streaming the bytes from disk, so a large CSV is never
held in memory whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx2
from slack_sdk import WebClient

from bot.slack_errors import slack_api

CHUNK = 64 * 1024
UPLOAD_TIMEOUT = 120.0


class UploadRefused(Exception):  # noqa: N818
    """The upload URL did not take the bytes."""


def dm_channel(client: WebClient, user_id: str) -> str:
    with slack_api():
        channel: str = client.conversations_open(users=user_id)["channel"]["id"]
    return channel


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def upload_to_dm(client: WebClient, user_id: str, path: Path, *, filename: str, title: str,
                 comment: str = "") -> tuple[str, str]:
    """(file id, DM channel id) of ``path`` uploaded as ``filename`` and shared in the bot's DM with ``user_id``."""
    channel = dm_channel(client, user_id)
    length = path.stat().st_size
    with slack_api():
        reserved = client.files_getUploadURLExternal(filename=filename, length=length)
    with path.open("rb") as stream:
        answer = httpx2.post(reserved["upload_url"], content=_chunks(stream), timeout=UPLOAD_TIMEOUT,
                             headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"})
    if answer.status_code != 200:
        raise UploadRefused(f"the upload URL answered {answer.status_code}")
    with slack_api():
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"], "title": title}], channel_id=channel,
                                            initial_comment=comment or None)
    return str(reserved["file_id"]), channel
