"""The outer shape of a signed Slack request, checked on its raw bytes before Bolt parses them (pure).

Bolt answers 500 for a `payload=` that is not JSON, a JSON body that is not an object, or an `actions` list it
cannot index; web/app.py calls `problem()` after the signature check (web/slack_guard.py) and answers 400 with
the reason instead, so nothing downstream runs. Only what Slack really sends passes:

- slash commands (and ssl_check): `application/x-www-form-urlencoded` fields, no `payload`;
- interactivity and options (block_actions, view_submission, block_suggestion, ...): form-encoded with a
  `payload` field holding a JSON object with a string `type`;
- Events API and url_verification: `application/json`, an object with a string `type`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Payload types whose `actions` Bolt indexes ([0]) to route the request.
_ACTION_TYPES = frozenset({"block_actions", "interactive_message"})
_VIEW_TYPES = frozenset({"view_submission", "view_closed"})


def problem(content_type: str | None, body: bytes) -> str | None:
    """None if Slack could have sent this body under this content type; otherwise a short reason."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if media == JSON:
        return _json_object(text, "body") or _event_shape(json.loads(text))
    if media != FORM:
        return "unsupported content type"
    if text.startswith("{"):  # Bolt would read this as JSON whatever the content type says
        return "JSON body sent as a form"
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in fields:
        return None  # a slash command's fields
    payload = fields["payload"]
    return _json_object(payload, "payload") or _payload_shape(json.loads(payload))


def for_bolt(content_type: str | None, body: str) -> str:
    """The body as Bolt should parse it. Bolt reads any form body that merely contains the letters "payload" as
    an interaction and finds no `payload` field in a slash command like `/hours 1 api Fixed the payload parser`,
    so it answers 404 and Slack shows "dispatch_failed". In a command's fields those letters are percent-encoded
    (same values once decoded); every other body is unchanged. Runs after the signature check on the raw bytes."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != FORM or "payload" not in body or "payload" in dict(parse_qsl(body, keep_blank_values=True)):
        return body
    return body.replace("payload", "p%61yload")


def _json_object(text: str, what: str) -> str | None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return f"{what} is not JSON"
    if not isinstance(parsed, dict):
        return f"{what} is not a JSON object"
    if not isinstance(parsed.get("type"), str):
        return f"{what} has no type"
    return None


def _event_shape(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if (body["type"] == "event_callback" or event is not None) and not isinstance(event, dict):
        return "event is not an object"
    return _objects(body, "authorizations", required=False)


def _payload_shape(payload: dict[str, Any]) -> str | None:
    if payload["type"] in _ACTION_TYPES or "actions" in payload:
        found = _objects(payload, "actions", required=True)
        if found:
            return found
    view = payload.get("view")
    if (payload["type"] in _VIEW_TYPES or view is not None) and not isinstance(view, dict):
        return "view is not an object"
    return None


def _objects(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    """`body[key]` is a list of objects (non-empty if required), or absent when not required."""
    items = body.get(key)
    if items is None and not required:
        return None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return f"{key} is not a list of objects"
    if required and not items:
        return f"{key} is empty"
    return None
