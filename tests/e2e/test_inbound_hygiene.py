"""Every Slack request is verified on its raw bytes; anything else gets 401 and changes nothing."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, Workspace
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, OWNER, TEAM


def _event_body(user: str = ALICE) -> bytes:
    return json.dumps({
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A0HOURCAP", "event_id": "EvFORGED",
        "event": {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1", "event_ts": "1.0"},
    }).encode()


def _nothing_happened(slack_api: SlackSandbox, db: Database) -> None:
    time.sleep(0.2)  # a listener, had one started, would have called Slack by now
    assert slack_api.calls == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        assert s.scalar(select(func.count()).select_from(Workspace)) == 0


def test_signed_app_home_opened_publishes_home(slack: SignedSlack, slack_api: SlackSandbox) -> None:
    response = slack.home_opened(ALICE)
    assert response.status_code == 200
    publish = slack_api.wait_for("views.publish")[0]
    assert publish.params["user_id"] == ALICE
    assert publish.params["view"]["type"] == "home"
    assert "Your week" in json.dumps(publish.params["view"])


def test_forged_stale_unsigned_and_malformed_requests_get_401(slack: SignedSlack, slack_api: SlackSandbox,
                                                              db: Database) -> None:
    body = _event_body()
    good = slack.headers(body, content_type="application/json")
    cases = {
        "forged": {**good, "X-Slack-Signature": "v0=" + "0" * 64},
        "stale": slack.headers(body, timestamp=int(time.time()) - 301, content_type="application/json"),
        "future": slack.headers(body, timestamp=int(time.time()) + 301, content_type="application/json"),
        "unsigned": {"Content-Type": "application/json"},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Slack-Request-Timestamp"},
        "non-numeric timestamp": {**good, "X-Slack-Request-Timestamp": "12ab"},
        "non-ascii signature": {**good, "X-Slack-Signature": "v0=" + "é" * 64},
        "wrong version": {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
    }
    for name, headers in cases.items():
        response = slack.client.post("/slack/events", data=body,
                                     headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()})
        assert response.status_code == 401, name
    # A body changed after signing is forged too.
    tampered = slack.client.post("/slack/events", data=_event_body(OWNER), headers=good)
    assert tampered.status_code == 401
    _nothing_happened(slack_api, db)


def test_oversized_body_is_refused_before_parsing(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    body = urlencode({"payload": "x" * (600 * 1024)}).encode()
    response = slack.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    _nothing_happened(slack_api, db)


def test_url_verification_challenge_is_answered(slack: SignedSlack) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.get_data(as_text=True)


def test_redelivered_event_acts_once_but_a_new_event_acts(slack: SignedSlack, slack_api: SlackSandbox) -> None:
    assert slack.home_opened(ALICE, event_id="Ev0001").status_code == 200
    slack_api.wait_for("views.publish", 1)
    assert slack.event({"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1",
                        "event_ts": "2.0"}, event_id="Ev0001", retry_num=1).status_code == 200
    # A retry of a first delivery that never arrived is still acted on.
    assert slack.home_opened(ALICE, event_id="Ev0002").status_code == 200
    slack_api.wait_for("views.publish", 2)
    time.sleep(0.2)
    assert len(slack_api.calls_to("views.publish")) == 2


def test_known_answer_signature_vector() -> None:
    """python-slack-sdk's published vector, checked against our own guard."""
    from web.slack_guard import Rejected, verify

    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    verify({"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": expected}, body,
           "8f742231b10e8888abcd99yyyzzz85a5", now=1531420618)
    with pytest.raises(Rejected, match="bad signature"):  # one byte changed
        verify({"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": expected},
               body.replace(b"xyzz", b"xyzZ"), "8f742231b10e8888abcd99yyyzzz85a5", now=1531420618)
