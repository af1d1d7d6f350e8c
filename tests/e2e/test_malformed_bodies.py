"""Correctly signed bodies in shapes Slack never sends get a short 400 before Bolt parses them; nothing runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, Workspace
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, TEAM

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _payload(value: str) -> bytes:
    return urlencode({"payload": value}).encode()


def _block_actions(actions: object) -> str:
    return json.dumps({"type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
                       "user": {"id": ALICE, "username": "alice", "team_id": TEAM}, "api_app_id": "A0HOURCAP",
                       "token": "t", "container": {"type": "view", "view_id": "VHOME"}, "trigger_id": "1.2.3",
                       "view": {"id": "VHOME", "type": "home", "team_id": TEAM, "hash": "h",
                                "state": {"values": {}}, "blocks": []},
                       "actions": actions})


_EVENT = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A0HOURCAP", "event_id": "EvBAD",
                     "event": {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1",
                               "event_ts": "1.0"}})
_COMMAND = urlencode({"team_id": TEAM, "user_id": ALICE, "command": "/hours", "text": "", "channel_id": "C1",
                      "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/commands/x"})

MALFORMED = {
    "payload not JSON": (_payload("{not json"), FORM),
    "payload a JSON list": (_payload("[1, 2]"), FORM),
    "payload null": (_payload("null"), FORM),
    "payload a string": (_payload('"block_actions"'), FORM),
    "payload a number": (_payload("7"), FORM),
    "payload without a type": (_payload('{"user": {"id": "U1"}}'), FORM),
    "actions empty": (_payload(_block_actions([])), FORM),
    "actions not a list": (_payload(_block_actions({"action_id": "x"})), FORM),
    "actions holding a string": (_payload(_block_actions(["x"])), FORM),
    "form body sent as JSON": (_COMMAND.encode(), JSON),
    "payload form sent as JSON": (_payload(_block_actions([])), JSON),
    "JSON body sent as a form": (_EVENT.encode(), FORM),
    "events body a list": (b"[1, 2]", JSON),
    "events body null": (b"null", JSON),
    "events body a string": (b'"event_callback"', JSON),
    "events body not JSON": (b'{"type": "event_callback"', JSON),
    "event not an object": (json.dumps({**json.loads(_EVENT), "event": ["app_home_opened"]}).encode(), JSON),
}


def test_body_that_is_not_utf8_gets_400(slack: SignedSlack, slack_api: SlackSandbox) -> None:
    body = b'{"type": "event_callback", "x": "\xff"}'
    timestamp = str(int(time.time()))
    secret = slack.verifier.signing_secret.encode()
    signature = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    response = slack.client.post("/slack/events", data=body, headers={
        "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": JSON})
    assert response.status_code == 400
    assert slack_api.calls == []


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_signed_body_gets_400_and_changes_nothing(name: str, slack: SignedSlack, slack_api: SlackSandbox,
                                                            db: Database) -> None:
    body, content_type = MALFORMED[name]
    response = slack.post(body, content_type)
    assert response.status_code == 400, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert 0 < len(text) < 100 and "Traceback" not in text and "\n" not in text.strip()
    assert response.mimetype == "text/plain"
    time.sleep(0.2)  # a listener, had one started, would have called Slack by now
    assert slack_api.calls == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        assert s.scalar(select(func.count()).select_from(Workspace)) == 0
