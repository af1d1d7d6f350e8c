"""web/slack_shape.py lets through every shape Slack really sends, and names what is wrong with the rest."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from web.slack_shape import FORM, JSON, problem

_USER = {"id": "U1", "username": "alice", "team_id": "T1"}
_VIEW = {"id": "V1", "type": "modal", "callback_id": "c", "state": {"values": {}}, "hash": "h"}


def _payload(payload: dict[str, object]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


SLACK_SENDS = {
    "slash command": (urlencode({"command": "/hours", "text": "2h payload {x}", "user_id": "U1",
                                 "team_id": "T1", "trigger_id": "1.2"}).encode(), FORM),
    "slash command, empty text": (b"command=%2Fhours&text=&user_id=U1", FORM),
    "ssl_check": (b"ssl_check=1&token=t", FORM),
    "block_actions": (_payload({"type": "block_actions", "user": _USER, "actions": [{"action_id": "a"}]}), FORM),
    "view_submission": (_payload({"type": "view_submission", "user": _USER, "view": _VIEW}), FORM),
    "view_closed": (_payload({"type": "view_closed", "user": _USER, "view": _VIEW, "is_cleared": False}), FORM),
    "block_suggestion": (_payload({"type": "block_suggestion", "user": _USER, "action_id": "a", "block_id": "b",
                                   "value": "ac", "view": _VIEW}), FORM),
    "global shortcut": (_payload({"type": "shortcut", "callback_id": "c", "user": _USER}), FORM),
    "message shortcut": (_payload({"type": "message_action", "callback_id": "c", "user": _USER,
                                   "message": {"ts": "1.0"}}), FORM),
    "form with charset": (_payload({"type": "block_actions", "actions": [{"action_id": "a"}]}),
                          FORM + "; charset=utf-8"),
    "url_verification": (json.dumps({"type": "url_verification", "challenge": "c", "token": "t"}).encode(), JSON),
    "event_callback": (json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"},
                                   "authorizations": [{"team_id": "T1"}]}).encode(), JSON),
    "app_rate_limited": (json.dumps({"type": "app_rate_limited", "team_id": "T1",
                                     "minute_rate_limited": 1}).encode(), JSON + "; charset=utf-8"),
}


@pytest.mark.parametrize("name", list(SLACK_SENDS))
def test_what_slack_sends_passes(name: str) -> None:
    body, content_type = SLACK_SENDS[name]
    assert problem(content_type, body) is None


@pytest.mark.parametrize(("content_type", "body", "reason"), [
    (FORM, b"payload=%7Bnope", "payload is not JSON"),
    (FORM, b"payload=null", "payload is not a JSON object"),
    (FORM, _payload({"user": _USER}), "payload has no type"),
    (FORM, _payload({"type": "block_actions", "actions": []}), "actions is empty"),
    (FORM, _payload({"type": "block_actions", "actions": "x"}), "actions is not a list of objects"),
    (FORM, _payload({"type": "block_actions"}), "actions is not a list of objects"),
    (FORM, _payload({"type": "view_submission", "view": []}), "view is not an object"),
    (FORM, b'{"type": "event_callback"}', "JSON body sent as a form"),
    (JSON, b"command=%2Fhours", "body is not JSON"),
    (JSON, b"[]", "body is not a JSON object"),
    (JSON, b'{"type": "event_callback", "event": "x"}', "event is not an object"),
    (JSON, b'{"type": "event_callback", "event": {}, "authorizations": {"0": {}}}',
     "authorizations is not a list of objects"),
    (JSON, b"[" * 100_000, "body is not JSON"),
    ("text/plain", b"command=%2Fhours", "unsupported content type"),
    (None, b"command=%2Fhours", "unsupported content type"),
    (JSON, b'{"type": "\xff"}', "body is not UTF-8"),
])
def test_what_slack_never_sends_is_named(content_type: str | None, body: bytes, reason: str) -> None:
    assert problem(content_type, body) == reason
