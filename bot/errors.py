"""The one error funnel: every exception escaping a listener ends here.

A `UserError` is shown to the person as written (ephemeral reply, modal field error, or a DM from App Home);
anything else is a bug: the person gets a short apology with a reference id, the log gets the details.
A message is plain words (it often quotes what the person typed), so it travels in a ``plain_text`` block where
none of it can turn into formatting, with the same words as the notification text.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.views.blocks import plain_section
from errors import FormErrors, UserError

log = logging.getLogger("hourcap.errors")


def apology(reference: str) -> str:
    return (f":warning: Sorry — something went wrong on our side. Please try again; if it keeps happening, "
            f"tell your Hour Cap admin the reference {reference}.")


def user_message(error: Exception) -> tuple[str, str | None]:
    """(text for the person, reference id or None for expected refusals); logs unexpected errors."""
    if isinstance(error, UserError):
        return error.message, None
    reference = secrets.token_hex(4).upper()
    log.error("unhandled error ref=%s: %s", reference, error.__class__.__name__, exc_info=error)
    return apology(reference), reference


def tell_user(client: WebClient, body: dict[str, Any], text: str, respond: Respond | None = None) -> None:
    """Reach the person who acted: the interaction's response_url when there is one, else a DM from the app."""
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=[plain_section(text)], response_type="ephemeral", replace_original=False)
            return
        user_id = (body.get("user") or {}).get("id") or body.get("user_id")
        if user_id:
            client.chat_postMessage(channel=user_id, text=text, blocks=[plain_section(text)])
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("could not tell the user about an error: %s", exc.__class__.__name__)


Listener = TypeVar("Listener", bound=Callable[..., Any])


def reported(listener: Listener) -> Listener:
    """For listeners that ack() first: errors after the ack reach the person here.

    Bolt's thread runner, when a listener raises after acknowledging, hands the error handler no response and
    then resets the ack it had — the request ends as "unhandled" (404). So errors after the ack are delivered
    here, the same way the funnel would; errors before it still go to the funnel. The listener must take
    `body` and `client` (Bolt injects arguments by the wrapped function's names).
    """

    @functools.wraps(listener)
    def wrapper(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except Exception as error:
            ack = kwargs.get("ack")
            if ack is not None and ack.response is None:
                raise
            text, _reference = user_message(error)
            tell_user(kwargs["client"], kwargs["body"], text, kwargs.get("respond"))
            return None

    return wrapper  # type: ignore[return-value]


def field_errors(error: UserError, view: dict[str, Any] | None) -> dict[str, str]:
    """{block_id: message} for a modal: every field of a FormErrors (all shown at once), else the one field.

    Slack refuses an `errors` answer naming a block the modal does not have. When the submitted view's blocks are
    known, a message for an absent block moves to the first input block without an error of its own (the modal
    stays open with what was typed); with no input block at all, nothing is returned and the caller tells the
    person another way.
    """
    if isinstance(error, FormErrors):
        errors = dict(error.errors)
    else:
        errors = {error.field: error.message} if error.field else {}
    blocks = [block for block in (view or {}).get("blocks") or [] if isinstance(block, dict)]
    if not blocks or not errors:
        return errors
    inputs = [str(block["block_id"]) for block in blocks if block.get("type") == "input" and block.get("block_id")]
    kept = {name: message for name, message in errors.items() if name in inputs}
    stray = [message for name, message in errors.items() if name not in inputs]
    if stray and inputs:
        target = next((name for name in inputs if name not in kept), inputs[0])
        kept[target] = " ".join(filter(None, [kept.get(target), *stray]))
    return kept


def register(app: App) -> None:
    @app.error
    def funnel(error: Exception, body: dict[str, Any], client: WebClient, respond: Respond | None,
               response: BoltResponse | None) -> BoltResponse | None:
        text, _reference = user_message(error)
        if response is not None:  # not acknowledged yet: the answer to Slack carries the message
            if body.get("type") == "view_submission":
                errors = field_errors(error, body.get("view")) if isinstance(error, UserError) else {}
                if errors:
                    return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
                tell_user(client, body, text)
                return BoltResponse(status=200, body="")
            if body.get("command"):
                return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text,
                                                      "blocks": [plain_section(text)]})
            tell_user(client, body, text, respond)
            return BoltResponse(status=200, body="")
        tell_user(client, body, text, respond)
        return None
