"""Errors whose message is written for the person in Slack.

Use cases raise these; the Slack layer shows `message` as is (ephemeral text or a modal field error). Anything
else that escapes is a bug: the error funnel shows a short apology with a reference id and logs the details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


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


class FormErrors(InvalidInput):
    """Several fields are wrong at once: `errors` maps each form field to its message (shown together)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = dict(errors)


class Problems:
    """Collects field errors while a form is read, then raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def take(self, field: str, parse: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """`parse(*args, **kwargs)`, or None with its message recorded under `field`."""
        try:
            return parse(*args, **kwargs)
        except InvalidInput as error:
            self.add(field, error.message)
            return None

    def check(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


# ---- what a task tells the job runner -------------------------------------------------------------------------
# Raised by tasks (and by the Xero adapter, whose errors subclass them) so that one place, the job executor, owns
# scheduling: come back at a given time, retry with backoff, or give up now.


class RetryAt(Exception):  # noqa: N818 - reads as an instruction: `raise RetryAt(when, reason)`
    """Come back at `when` (aware datetime); does not use an attempt."""

    def __init__(self, when: datetime, reason: str) -> None:
        if when.tzinfo is None:
            raise ValueError("RetryAt needs an aware datetime")
        super().__init__(reason)
        self.when = when
        self.reason = reason


class Transient(Exception):  # noqa: N818
    """Retry with exponential backoff, up to the row's `max_attempts`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Permanent(Exception):  # noqa: N818
    """Fail now: retrying cannot succeed (bad input, revoked access, validation error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
