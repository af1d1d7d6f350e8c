"""One Slack message kept up to date (an alert): edit the one already posted, or post it.

Callers store where the message is; this module only talks to Slack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack_errors import (
    AccessDenied,
    CantUpdateMessage,
    ChannelNotFound,
    IsArchived,
    MessageNotFound,
    NotInChannel,
    RestrictedAction,
    SlackError,
    slack_api,
)

log = logging.getLogger(__name__)

Where = tuple[str | None, str | None]  # (channel, ts) of a message; ts None until it is posted
# Slack's answers meaning "the bot cannot post in that channel": Home tells an admin how to fix it.
UNPOSTABLE = (NotInChannel, ChannelNotFound, IsArchived, RestrictedAction, AccessDenied)
GONE = (MessageNotFound, CantUpdateMessage, ChannelNotFound)  # an edit Slack refuses: post anew


def keep_message(client: WebClient, channel: str, previous: Where, text: str, blocks: list[dict[str, Any]],
                 what: str) -> Where | None:
    """Edit `previous` when it is in `channel`; otherwise (or when it is gone) post the message in `channel`.

    Returns where the message now is, for the caller to remember: (channel, ts) once posted, (channel, None) when
    the bot cannot post there (Home then says how to fix it). None: nothing new to remember (edited in place, or
    Slack refused for another reason, which is logged).
    """
    if previous[0] == channel and previous[1]:
        try:
            with slack_api():
                client.chat_update(channel=channel, ts=previous[1], text=text, blocks=blocks)
            return None
        except GONE:
            pass
        except SlackError as exc:
            log.warning("could not update %s %s in %s: %s", what, previous[1], channel, exc.response.get("error"))
            return None
    try:
        with slack_api():
            answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackError as exc:
        log.warning("could not post %s in %s: %s", what, channel, exc.error)
        return (channel, None) if isinstance(exc, UNPOSTABLE) else None
    return channel, str(answer.get("ts") or "") or None
