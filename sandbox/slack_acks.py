"""What Slack accepts as the answer (ack) to a request it sent the app.

Slack reads the HTTP response to a slash command, a modal submission and an options request: a command's
answer is shown as a message, a submission's ``response_action`` changes the modal, an options answer fills a
select. A body Slack cannot use is not an error the app ever sees: the person gets "failed with the error ..."
or a modal that will not close. The signed-request helper checks every answer here, so the suite catches such a
body where production would only show it to a person.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import slack_elements as el
from sandbox import slack_limits as limit
from sandbox.slack_views import validate_blocks, validate_view

RESPONSE_ACTIONS = ("errors", "update", "push", "clear")


class RefusedAck(AssertionError):
    """Slack would not accept the app's answer; the messages say why, as Slack's validators word them."""

    def __init__(self, kind: str, messages: list[str]) -> None:
        super().__init__(f"Slack would refuse this answer to a {kind}: " + "; ".join(messages))
        self.messages = messages


def _body(response: Any) -> tuple[bytes, str]:
    data = response.get_data() if hasattr(response, "get_data") else response.content
    return data, response.headers.get("Content-Type", "")


def check_ack(kind: str, sent: dict[str, Any], response: Any) -> None:
    """Raise RefusedAck when the 200 answer to `kind` (what was `sent`) is not something Slack would use."""
    if response.status_code != 200:
        return  # not an ack: the tests that send refused input assert on the status themselves
    data, content_type = _body(response)
    if not data.strip():
        return  # an empty ack is always fine
    if "json" not in content_type:
        messages = [] if kind == "command" else [el.error("must be a JSON object", "/")]
    else:
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            messages = [el.error("must be a JSON object", "/")]
        else:
            messages = _CHECKS.get(kind, _anything)(answer, sent)
    if messages:
        raise RefusedAck(kind, messages)


def _command(answer: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    messages: list[str] = []
    if not answer.get("text") and not answer.get("blocks"):
        messages.append(el.missing("text", "/"))
    if answer.get("text") is not None and not isinstance(answer["text"], str):
        messages.append(el.error("must be a string", "/text"))
    if answer.get("blocks") is not None:
        messages += validate_blocks(answer["blocks"])
    if answer.get("response_type") not in (None, "in_channel", "ephemeral"):
        messages.append(el.error("must be in_channel or ephemeral", "/response_type"))
    return messages


def _view_submission(answer: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    action = answer.get("response_action")
    if action not in RESPONSE_ACTIONS:
        return [el.error(f"must be one of {', '.join(RESPONSE_ACTIONS)}", "/response_action")]
    if action in ("update", "push"):
        return validate_view(answer.get("view"), expected_type="modal")
    if action == "errors":
        return _field_errors(answer.get("errors"), sent.get("view") or {})
    return []


def _field_errors(errors: Any, view: dict[str, Any]) -> list[str]:
    """Each key must name an input block of the submitted view; each message is non-empty text."""
    if not isinstance(errors, dict) or not errors:
        return [el.error("must provide at least 1 items", "/errors")]
    inputs = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}
    messages: list[str] = []
    for block_id, text in errors.items():
        if block_id not in inputs:
            messages.append(el.error(f"no input block with block_id {block_id} in the view", f"/errors/{block_id}"))
        if not isinstance(text, str) or not text:
            messages.append(el.error("must be a non-empty string", f"/errors/{block_id}"))
    return messages


def _options(answer: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    if "options" in answer:
        options = answer["options"]
        if isinstance(options, list) and not options:
            return []  # no match for what was typed
        return el.option_list(options, "/options", max_items=limit.SUGGESTION_OPTIONS, plain_only=True)
    if "option_groups" in answer:
        return el.option_groups(answer["option_groups"], "/option_groups")
    return [el.missing("options", "/")]


def _anything(answer: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    return []


_CHECKS = {"command": _command, "view_submission": _view_submission, "block_suggestion": _options}
