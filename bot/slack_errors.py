"""Slack API refusals as exception types: callers catch what they handle by class, never by comparing strings.

`slack_api()` is the one place a `slack_sdk.errors.SlackApiError` becomes one of these: wrap a Slack call in it and
the error Slack answered (`response["error"]`) picks the class; a code with no class of its own raises the base
`SlackError`. Every class is still a `SlackApiError` (same message, same `response`), so code that catches any
Slack refusal keeps working unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class SlackError(SlackApiError):
    """A Slack API refusal; `code` is Slack's `error` field."""

    code: ClassVar[str] = ""

    def __init__(self, error: SlackApiError) -> None:
        Exception.__init__(self, *error.args)
        self.response = error.response

    @property
    def error(self) -> str:
        return str(self.response.get("error") or "")


class NotInChannel(SlackError):
    code = "not_in_channel"


class UserNotInChannel(SlackError):
    code = "user_not_in_channel"


class ChannelNotFound(SlackError):
    code = "channel_not_found"


class IsArchived(SlackError):
    code = "is_archived"


class RestrictedAction(SlackError):
    code = "restricted_action"


class AccessDenied(SlackError):
    code = "access_denied"


class MethodNotSupportedForChannelType(SlackError):
    code = "method_not_supported_for_channel_type"


class MessageNotFound(SlackError):
    code = "message_not_found"


class CantUpdateMessage(SlackError):
    code = "cant_update_message"


class HashConflict(SlackError):
    """views.update with a hash that is no longer the view's: a newer change got there first."""

    code = "hash_conflict"


class ViewNotFound(SlackError):
    """views.update of a view that is gone (the modal was closed)."""

    code = "not_found"


class ExpiredTriggerId(SlackError):
    code = "expired_trigger_id"


_BY_CODE: dict[str, type[SlackError]] = {
    cls.code: cls
    for cls in (NotInChannel, UserNotInChannel, ChannelNotFound, IsArchived, RestrictedAction, AccessDenied,
                MethodNotSupportedForChannelType, MessageNotFound, CantUpdateMessage, HashConflict, ViewNotFound,
                ExpiredTriggerId)
}


def typed(error: SlackApiError) -> SlackError:
    """The typed form of a Slack refusal (itself when it is typed already)."""
    if isinstance(error, SlackError):
        return error
    return _BY_CODE.get(str(error.response.get("error") or ""), SlackError)(error)


@contextmanager
def slack_api() -> Iterator[None]:
    """Run Slack calls; a refusal leaves as its `SlackError` class (the original is its `__cause__`)."""
    try:
        yield
    except SlackError:
        raise
    except SlackApiError as error:
        raise typed(error) from error


def update_view(client: WebClient, view: dict[str, Any], new_view: dict[str, Any], what: str) -> Any:
    """Replace an open modal with `views.update` and its hash; Slack's answer, or None when it was skipped.

    A `hash_conflict` means a newer change already replaced the view, and `not_found` that the modal was closed:
    either way there is nothing to do, and the skip is logged. Any other refusal is raised.
    """
    try:
        with slack_api():
            return client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new_view)
    except (HashConflict, ViewNotFound) as error:
        log.info("%s skipped: %s", what, error.code)
        return None
