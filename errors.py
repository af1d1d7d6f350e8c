"""Errors whose message is written for the person in Slack.

Use cases raise these; the Slack layer shows `message` as is (ephemeral text or a modal field error). Anything
else that escapes is a bug: the error funnel shows a short apology with a reference id and logs the details.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action: nothing was changed, and `message` says why in plain words."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(UserError):
    """The thing does not exist in the caller's workspace (a foreign id looks exactly like a missing one)."""


class PermissionDenied(UserError):
    """The caller's role does not allow the action."""


class InvalidInput(UserError):
    """A value the user gave is not acceptable; `field` names the modal input when there is one."""
