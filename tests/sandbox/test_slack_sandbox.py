"""The Slack sandbox, driven by the real slack_sdk WebClient and Bolt over loopback HTTP (no mocks).

What matters is that the stand-in decodes exactly what slack_sdk sends and answers with what
slack_sdk/Bolt read, and that it fails the way Slack fails for the mistakes our code can make.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.slack import RecordedCall, SlackSandbox

TEAM = "T0TEST"
ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"
IN_PUBLIC = "C0INSIDE"  # public, bot is a member
OUT_PUBLIC = "C0OUTSIDE"  # public, bot is not a member
IN_PRIVATE = "G0INSIDE"
OUT_PRIVATE = "G0OUTSIDE"
ARCHIVED = "C0ARCHIVED"
REPO = Path(__file__).resolve().parents[2]


def _seed(sandbox: SlackSandbox) -> None:
    sandbox.add_team(TEAM, "Test Co", "testco")
    sandbox.add_user(
        ADMIN, team_id=TEAM, name="ada", real_name="Ada Admin", tz="Europe/London", is_admin=True
    )
    sandbox.add_user(MEMBER, team_id=TEAM, name="ben", tz="America/Los_Angeles")
    sandbox.add_channel(IN_PUBLIC, "general", team_id=TEAM, is_member=True)
    sandbox.add_channel(OUT_PUBLIC, "random", team_id=TEAM)
    sandbox.add_channel(IN_PRIVATE, "finance", team_id=TEAM, is_private=True, is_member=True)
    sandbox.add_channel(OUT_PRIVATE, "secret", team_id=TEAM, is_private=True)
    sandbox.add_channel(ARCHIVED, "old", team_id=TEAM, is_member=True, is_archived=True)


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as running:
        _seed(running)
        yield running


@pytest.fixture
def token(sandbox: SlackSandbox) -> str:
    return sandbox.issue_bot_token(TEAM)


@pytest.fixture
def client(sandbox: SlackSandbox, token: str) -> WebClient:
    return WebClient(token=token, base_url=sandbox.base_url)


def _error(call: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(**kwargs)
    return caught.value


def _last(sandbox: SlackSandbox, method: str) -> RecordedCall:
    call = sandbox.last(method)
    assert call is not None, f"no call to {method}"
    return call


def _modal(
    title: str = "Log hours", blocks: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "blocks": blocks or [_section("only")], **extra}


def _section(block_id: str, text: str = "hi") -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def _http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """A raw request (not slack_sdk), for encodings the WebClient never produces; no redirects followed."""
    data, all_headers = None, dict(headers or {})
    if form is not None:
        data = urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        response = urllib.request.build_opener(_NoRedirect).open(request, timeout=5)
    except urllib.error.HTTPError as error:
        response = error
    raw = response.read().decode()
    parsed = json.loads(raw) if response.headers.get_content_type() == "application/json" else raw
    return response.status, dict(response.headers), parsed


# ---- lifecycle ----------------------------------------------------------------------------------


def test_urls_point_at_loopback_with_the_trailing_slash_webclient_expects() -> None:
    sandbox = SlackSandbox()
    assert sandbox.start() is sandbox
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.url)
        assert sandbox.base_url == sandbox.url + "/api/"
        assert _http("GET", sandbox.url + "/")[2]["base_url"] == sandbox.base_url
    finally:
        sandbox.stop()
    sandbox.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = sandbox.url


# ---- auth ---------------------------------------------------------------------------------------


def test_auth_test_describes_the_bot_token(sandbox: SlackSandbox, client: WebClient) -> None:
    response = client.auth_test()
    assert response["team_id"] == TEAM
    assert response["user_id"] == "UBOT"
    assert response["bot_id"].startswith("B")
    assert response["url"] == "https://testco.slack.com/"
    assert "users:read" in response.headers["X-OAuth-Scopes"]


def test_missing_unknown_and_revoked_tokens_fail_with_http_200(sandbox: SlackSandbox, token: str) -> None:
    for given, expected in ((None, "not_authed"), ("xoxb-nope", "invalid_auth")):
        error = _error(WebClient(token=given, base_url=sandbox.base_url).auth_test)
        assert (error.response.status_code, error.response["error"]) == (200, expected)
    sandbox.revoke_token(token)
    assert (
        _error(WebClient(token=token, base_url=sandbox.base_url).auth_test).response["error"]
        == "token_revoked"
    )


def test_static_token_for_single_workspace_mode(sandbox: SlackSandbox) -> None:
    sandbox.add_static_token("xoxb-test", TEAM)
    assert WebClient(token="xoxb-test", base_url=sandbox.base_url).auth_test()["team_id"] == TEAM


def test_bolt_app_with_a_token_calls_auth_test_at_construction(sandbox: SlackSandbox) -> None:
    from slack_bolt import App

    sandbox.add_static_token("xoxb-test", TEAM)
    App(client=WebClient(token="xoxb-test", base_url=sandbox.base_url), signing_secret="secret")
    assert _last(sandbox, "auth.test").token == "xoxb-test"


# ---- users.info ---------------------------------------------------------------------------------


def test_users_info_returns_slack_user_object_with_live_tz_offset(client: WebClient) -> None:
    user = client.users_info(user=MEMBER)["user"]
    offset = datetime.now(ZoneInfo("America/Los_Angeles")).utcoffset()
    assert offset is not None
    assert user["tz"] == "America/Los_Angeles"
    assert user["tz_offset"] == int(offset.total_seconds())
    assert user["tz_label"]
    assert user["profile"]["display_name"] == "ben"
    assert user["profile"]["real_name"] == "ben"
    assert (user["is_admin"], user["is_owner"], user["is_primary_owner"], user["deleted"]) == (False,) * 4
    assert client.users_info(user=ADMIN)["user"]["is_admin"] is True


def test_users_info_explicit_offset_unknown_user_and_missing_scope(
    sandbox: SlackSandbox, client: WebClient
) -> None:
    sandbox.add_user("U0FIXED", team_id=TEAM, name="fix", tz="Asia/Kolkata", tz_offset=19800)
    assert client.users_info(user="U0FIXED")["user"]["tz_offset"] == 19800
    assert _error(client.users_info, user="U0GHOST").response["error"] == "user_not_found"
    narrow = WebClient(token=sandbox.issue_bot_token(TEAM, scopes=["chat:write"]), base_url=sandbox.base_url)
    error = _error(narrow.users_info, user=ADMIN).response
    assert (error["error"], error["needed"]) == ("missing_scope", "users:read")


# ---- chat ---------------------------------------------------------------------------------------


def test_post_message_stores_and_returns_the_message(sandbox: SlackSandbox, client: WebClient) -> None:
    blocks = [_section("b1", "*8h* logged")]
    response = client.chat_postMessage(channel=IN_PUBLIC, text="8h logged", blocks=blocks)
    assert response["channel"] == IN_PUBLIC
    assert response["message"]["text"] == "8h logged"
    assert response["message"]["blocks"] == blocks
    stored = sandbox.messages(IN_PUBLIC)
    assert [m["ts"] for m in stored] == [response["ts"]]
    second = client.chat_postMessage(channel="#general", text="again")
    assert float(second["ts"]) > float(response["ts"])


def test_post_message_to_a_user_opens_a_dm(sandbox: SlackSandbox, client: WebClient) -> None:
    first = client.chat_postMessage(channel=ADMIN, text="You have 3 drafts")
    second = client.chat_postMessage(channel=ADMIN, text="and one more")
    assert first["channel"].startswith("D") and second["channel"] == first["channel"]
    assert [m["text"] for m in sandbox.messages(ADMIN)] == ["You have 3 drafts", "and one more"]
    assert sandbox.open_dm(ADMIN) == first["channel"]
    error = _error(client.conversations_info, channel=first["channel"]).response  # DMs are read with im:read
    assert (error["error"], error["needed"]) == ("missing_scope", "im:read")
    reader = WebClient(token=sandbox.issue_bot_token(TEAM, scopes=["im:read"]), base_url=sandbox.base_url)
    assert reader.conversations_info(channel=first["channel"])["channel"]["is_im"] is True


@pytest.mark.parametrize(
    ("channel", "kwargs", "expected"),
    [
        (OUT_PRIVATE, {"text": "x"}, "channel_not_found"),
        ("C0NOPE", {"text": "x"}, "channel_not_found"),
        (ARCHIVED, {"text": "x"}, "is_archived"),
        (IN_PUBLIC, {}, "no_text"),
        (IN_PUBLIC, {"text": "x", "blocks": [_section(f"b{i}") for i in range(51)]}, "invalid_blocks"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_post_message_errors(client: WebClient, channel: str, kwargs: dict[str, Any], expected: str) -> None:
    assert _error(client.chat_postMessage, channel=channel, **kwargs).response["error"] == expected


def test_public_channel_needs_membership_or_chat_write_public(
    sandbox: SlackSandbox, client: WebClient
) -> None:
    assert client.chat_postMessage(channel=OUT_PUBLIC, text="ok with chat:write.public")["ok"]
    narrow = WebClient(token=sandbox.issue_bot_token(TEAM, scopes=["chat:write"]), base_url=sandbox.base_url)
    assert _error(narrow.chat_postMessage, channel=OUT_PUBLIC, text="x").response["error"] == "not_in_channel"
    assert narrow.chat_postMessage(channel=IN_PRIVATE, text="members may post")["ok"]


def test_post_ephemeral(sandbox: SlackSandbox, client: WebClient) -> None:
    response = client.chat_postEphemeral(channel=IN_PUBLIC, user=MEMBER, text="Only you can see this")
    assert response["message_ts"]
    assert sandbox.ephemeral_messages(IN_PUBLIC)[0]["ephemeral_to"] == MEMBER
    assert sandbox.messages(IN_PUBLIC) == []
    assert _error(client.chat_postEphemeral, channel=IN_PUBLIC, user="U0GHOST", text="x").response[
        "error"
    ] == ("user_not_found")


def test_chat_update_edits_the_stored_message(sandbox: SlackSandbox, client: WebClient) -> None:
    blocks = [_section("status", "Pushing to Xero…")]
    posted = client.chat_postMessage(channel=IN_PUBLIC, text="Pushing", blocks=blocks)
    updated = client.chat_update(channel=IN_PUBLIC, ts=posted["ts"], text="Pushed")
    assert updated["ts"] == posted["ts"]
    stored = sandbox.messages(IN_PUBLIC)[0]
    assert stored["text"] == "Pushed"
    assert stored["blocks"] == blocks  # blocks not given are kept, as in Slack
    assert "edited" in stored
    assert _error(client.chat_update, channel=IN_PUBLIC, ts="1.000001", text="x").response["error"] == (
        "message_not_found"
    )


# ---- encodings ----------------------------------------------------------------------------------


def test_form_body_with_token_field_and_json_string_blocks(sandbox: SlackSandbox, token: str) -> None:
    blocks = [_section("b1")]
    status, _, body = _http(
        "POST",
        sandbox.base_url + "chat.postMessage",
        form={"token": token, "channel": IN_PUBLIC, "text": "form", "blocks": json.dumps(blocks)},
    )
    assert (status, body["ok"]) == (200, True)
    call = _last(sandbox, "chat.postMessage")
    assert call.token == token
    assert call.params == {"channel": IN_PUBLIC, "text": "form", "blocks": blocks}


def test_json_body_reads_the_token_from_the_header_only(sandbox: SlackSandbox, token: str) -> None:
    url = sandbox.base_url + "chat.postMessage"
    message = {"channel": IN_PUBLIC, "text": "json"}
    _, _, body = _http("POST", url, body=message, headers={"Authorization": f"Bearer {token}"})
    assert body["ok"] is True
    _, _, body = _http("POST", url, body={**message, "token": token})
    assert body["error"] == "not_authed"


def test_get_with_query_for_read_methods(sandbox: SlackSandbox, token: str) -> None:
    _, _, body = _http("GET", sandbox.base_url + "users.info?" + urlencode({"token": token, "user": ADMIN}))
    assert body["user"]["id"] == ADMIN


def test_webclient_json_calls_are_recorded_with_objects(sandbox: SlackSandbox, client: WebClient) -> None:
    client.views_open(trigger_id="t-json", view=_modal(blocks=[_section("a")]))
    call = _last(sandbox, "views.open")
    assert call.params["view"]["blocks"][0]["block_id"] == "a"
    assert call.params["trigger_id"] == "t-json"


def test_unknown_method(client: WebClient) -> None:
    assert _error(client.api_call, api_method="chat.nope").response["error"] == "unknown_method"


# ---- views --------------------------------------------------------------------------------------


def test_views_open_echoes_the_view(sandbox: SlackSandbox, client: WebClient) -> None:
    view = _modal(
        blocks=[_section("intro")], callback_id="log_hours", private_metadata="42", external_id="ext-1"
    )
    opened = client.views_open(trigger_id="t1", view=view)["view"]
    assert opened["id"].startswith("V") and opened["root_view_id"] == opened["id"]
    assert opened["hash"] and opened["state"] == {"values": {}}
    assert (opened["type"], opened["callback_id"], opened["private_metadata"]) == ("modal", "log_hours", "42")
    assert opened["blocks"] == view["blocks"]
    assert set(sandbox.views) == {opened["id"]}


def test_views_open_trigger_rules(sandbox: SlackSandbox, client: WebClient) -> None:
    error = _error(client.views_open, view=_modal()).response
    assert error["error"] == "invalid_arguments"
    sandbox.expire_trigger("t-old")
    expired = _error(client.views_open, trigger_id="t-old", view=_modal()).response
    assert expired["error"] == "expired_trigger_id"
    client.views_open(trigger_id="t-once", view=_modal())
    reused = _error(client.views_open, trigger_id="t-once", view=_modal()).response
    assert reused["error"] == "exchanged_trigger_id"


def _input(block_id: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Hours"},
        "element": {"type": "plain_text_input", "action_id": "value"},
    }


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "x"}, "blocks": []}, "/view"),
        (_modal(title="A title that is far too long"), "/view/title/text"),
        (_modal(submit={"type": "plain_text", "text": "S" * 25}), "/view/submit/text"),
        (_modal(blocks=[_input("hours")]), "/view"),
        (_modal(blocks=[_section(f"b{i}") for i in range(101)]), "/view/blocks"),
        (_modal(private_metadata="x" * 3001), "/view/private_metadata"),
        (_modal(blocks=[_section("x" * 256)]), "/view/blocks/0/block_id"),
        (_modal(blocks=[_section("same"), _section("same")]), "/view/blocks/1/block_id"),
    ],
    ids=[
        "no-type",
        "title",
        "submit",
        "input-needs-submit",
        "101-blocks",
        "metadata",
        "block-id",
        "duplicate",
    ],
)
def test_view_validation_answers_invalid_arguments(
    client: WebClient, view: dict[str, Any], pointer: str
) -> None:
    response = _error(client.views_open, trigger_id="t", view=view).response
    assert response["error"] == "invalid_arguments"
    messages = response["response_metadata"]["messages"]
    assert any(message.endswith(f"[json-pointer:{pointer}]") for message in messages), messages


def test_views_update_by_id_and_external_id_with_hash(sandbox: SlackSandbox, client: WebClient) -> None:
    opened = client.views_open(trigger_id="t1", view=_modal(title="Loading…", external_id="wizard-1"))["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=_modal(title="Step 1"))[
        "view"
    ]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert updated["title"]["text"] == "Step 1"
    stale = _error(
        client.views_update, view_id=opened["id"], hash=opened["hash"], view=_modal(title="Step 2")
    )
    assert stale.response["error"] == "hash_conflict"
    by_external = client.views_update(external_id="wizard-1", view=_modal(title="Step 2"))["view"]
    assert by_external["id"] == opened["id"]
    assert sandbox.views[opened["id"]]["title"]["text"] == "Step 2"


def test_views_update_on_a_closed_or_unknown_view_is_not_found(
    sandbox: SlackSandbox, client: WebClient
) -> None:
    opened = client.views_open(trigger_id="t1", view=_modal())["view"]
    sandbox.close_view(opened["id"])
    assert _error(client.views_update, view_id=opened["id"], view=_modal()).response["error"] == "not_found"
    assert _error(client.views_update, view_id="V0NOPE", view=_modal()).response["error"] == "not_found"


def test_views_push_stack_limit_is_three(sandbox: SlackSandbox, client: WebClient) -> None:
    root = client.views_open(trigger_id="t1", view=_modal(title="One"))["view"]
    other = client.views_open(trigger_id="t2", view=_modal(title="Other"))["view"]
    second = client.views_push(trigger_id=sandbox.trigger_for(root["id"]), view=_modal(title="Two"))["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    client.views_push(trigger_id=sandbox.trigger_for(second["id"]), view=_modal(title="Three"))
    error = _error(client.views_push, trigger_id=sandbox.trigger_for(root["id"]), view=_modal(title="Four"))
    assert error.response["error"] == "push_limit_reached"
    newest = client.views_push(trigger_id="t3", view=_modal(title="On newest"))["view"]
    assert newest["root_view_id"] == other["id"]


def test_views_publish_stores_home_per_user_with_hash(sandbox: SlackSandbox, client: WebClient) -> None:
    home = {"type": "home", "blocks": [_section("week", "32h this week")]}
    first = client.views_publish(user_id=MEMBER, view=home)["view"]
    assert (sandbox.home_view(MEMBER) or {})["blocks"] == home["blocks"]
    again = client.views_publish(user_id=MEMBER, view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and again["hash"] != first["hash"]
    assert _error(client.views_publish, user_id=MEMBER, view=home, hash=first["hash"]).response["error"] == (
        "hash_conflict"
    )
    assert _error(client.views_publish, user_id="", view=home).response["error"] == "invalid_arguments"
    assert (
        _error(client.views_publish, user_id=MEMBER, view=_modal()).response["error"] == "invalid_arguments"
    )
    assert sandbox.home_view(ADMIN) is None


# ---- conversations ------------------------------------------------------------------------------


def test_conversations_info_and_join(client: WebClient) -> None:
    info = client.conversations_info(channel=OUT_PUBLIC)["channel"]
    assert (info["name"], info["is_private"], info["is_member"]) == ("random", False, False)
    assert client.conversations_info(channel=IN_PRIVATE)["channel"]["is_private"] is True
    assert _error(client.conversations_info, channel=OUT_PRIVATE).response["error"] == "channel_not_found"
    assert client.conversations_join(channel=OUT_PUBLIC)["channel"]["is_member"] is True
    assert client.conversations_info(channel=OUT_PUBLIC)["channel"]["is_member"] is True
    assert client.conversations_join(channel=OUT_PUBLIC)["warning"] == "already_in_channel"
    error = _error(client.conversations_join, channel=OUT_PRIVATE).response["error"]
    assert error == "method_not_supported_for_channel_type"


# ---- faults -------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(sandbox: SlackSandbox, client: WebClient) -> None:
    sandbox.fail_next("chat.postMessage", retry_after=7)
    error = _error(client.chat_postMessage, channel=IN_PUBLIC, text="x")
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=IN_PUBLIC, text="next one passes")["ok"]


def test_rate_limit_retry_handler_honours_retry_after(sandbox: SlackSandbox, token: str) -> None:
    retrying = WebClient(
        token=token, base_url=sandbox.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    sandbox.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert retrying.chat_postMessage(channel=IN_PUBLIC, text="eventually")["ok"]
    assert time.monotonic() - started >= 1.0
    assert len(sandbox.calls_to("chat.postMessage")) == 2
    assert len(sandbox.messages(IN_PUBLIC)) == 1


def test_error_code_and_server_error_faults(sandbox: SlackSandbox, client: WebClient) -> None:
    sandbox.fail_next("views.publish", error="not_enabled", times=2)
    home = {"type": "home", "blocks": [_section("only")]}
    for _ in range(2):
        error = _error(client.views_publish, user_id=MEMBER, view=home)
        assert (error.response.status_code, error.response["error"]) == (200, "not_enabled")
    assert client.views_publish(user_id=MEMBER, view=home)["ok"]
    sandbox.fail_next("users.info", status=500)
    assert _error(client.users_info, user=ADMIN).response.status_code == 500


# ---- recording ----------------------------------------------------------------------------------


def test_recording_helpers(sandbox: SlackSandbox, client: WebClient, token: str) -> None:
    client.auth_test()
    client.users_info(user=ADMIN)
    client.users_info(user=MEMBER)
    assert [c.method for c in sandbox.calls] == ["auth.test", "users.info", "users.info"]
    assert _last(sandbox, "users.info").params == {"user": MEMBER}
    assert _last(sandbox, "users.info").token == token
    assert sandbox.last("chat.update") is None
    assert len(sandbox.calls_to("users.info")) == 2
    sandbox.reset_calls()
    assert sandbox.calls == []


def test_wait_for_blocks_until_a_background_call_lands(sandbox: SlackSandbox, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.2)
        client.chat_postMessage(channel=IN_PUBLIC, text="from a listener thread")

    threading.Thread(target=later).start()
    calls = sandbox.wait_for("chat.postMessage", timeout=5)
    assert calls[0].params["text"] == "from a listener thread"
    assert sandbox.messages(IN_PUBLIC)  # side effects are visible once wait_for returns
    with pytest.raises(TimeoutError, match="chat.postMessage"):
        sandbox.wait_for("chat.postMessage", count=2, timeout=0.2)


def test_reset_forgets_interactions_but_keeps_the_workspace(sandbox: SlackSandbox, client: WebClient) -> None:
    client.views_open(trigger_id="t1", view=_modal())
    client.chat_postMessage(channel=IN_PUBLIC, text="x")
    sandbox.fail_next("auth.test")
    sandbox.reset()
    assert (sandbox.calls, sandbox.views, sandbox.messages(IN_PUBLIC)) == ([], {}, [])
    assert client.auth_test()["ok"]
    assert client.views_open(trigger_id="t1", view=_modal())["ok"]


def test_wait_for_catches_a_bolt_listener_that_runs_after_the_ack(sandbox: SlackSandbox) -> None:
    from flask import Flask, request
    from slack_bolt import App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_sdk.signature import SignatureVerifier

    sandbox.add_static_token("xoxb-test", TEAM)
    bolt = App(
        client=WebClient(token="xoxb-test", base_url=sandbox.base_url), signing_secret="signing-secret"
    )

    @bolt.event("app_home_opened")
    def publish(event: dict[str, Any], client: WebClient) -> None:
        time.sleep(0.1)  # slower than the ack
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [_section("hello")]})

    web = Flask(__name__)
    handler = SlackRequestHandler(bolt)
    web.add_url_rule("/slack/events", "events", lambda: handler.handle(request), methods=["POST"])
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0HOURCAP",
            "event": {
                "type": "app_home_opened",
                "user": MEMBER,
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": "1.2",
            },
            "event_id": "Ev1",
            "event_time": 1,
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier("signing-secret").generate_signature(timestamp=timestamp, body=body)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    response = web.test_client().post(
        "/slack/events", data=body, headers=headers, content_type="application/json"
    )

    assert response.status_code == 200
    call = sandbox.wait_for("views.publish", timeout=5)[0]
    assert call.params["user_id"] == MEMBER and call.token == "xoxb-test"
    assert (sandbox.home_view(MEMBER) or {})["blocks"][0]["block_id"] == "hello"


# ---- control routes -----------------------------------------------------------------------------


def test_control_routes_drive_an_out_of_process_sandbox(sandbox: SlackSandbox) -> None:
    control = sandbox.url + "/_sandbox/"
    assert _http("POST", control + "teams", body={"team_id": "T2", "name": "Two"})[2] == {"ok": True}
    user = {"user_id": "U2", "team_id": "T2", "name": "zed", "tz": "Asia/Tokyo"}
    assert _http("POST", control + "users", body=user)[0] == 200
    channel = {"channel_id": "C2", "name": "ops", "team_id": "T2", "is_member": True}
    assert _http("POST", control + "channels", body=channel)[0] == 200
    assert (
        _http("POST", control + "tokens", body={"token": "xoxb-two", "team_id": "T2"})[2]["token"]
        == "xoxb-two"
    )
    two = WebClient(token="xoxb-two", base_url=sandbox.base_url)
    assert two.users_info(user="U2")["user"]["tz_offset"] == 9 * 3600
    fault = {"method": "chat.postMessage", "error": "channel_not_found"}
    assert _http("POST", control + "fail_next", body=fault)[0] == 200
    assert _error(two.chat_postMessage, channel="C2", text="x").response["error"] == "channel_not_found"
    two.chat_postMessage(channel="C2", text="hello")
    assert [m["text"] for m in _http("GET", control + "messages?channel=C2")[2]] == ["hello"]
    calls = _http("GET", control + "calls?method=chat.postMessage")[2]
    assert [c["params"]["text"] for c in calls] == ["x", "hello"]
    assert _http("POST", control + "reset")[2] == {"ok": True}
    assert _http("GET", control + "calls")[2] == []


def test_control_routes_reject_bad_requests(sandbox: SlackSandbox) -> None:
    control = sandbox.url + "/_sandbox/"
    assert _http("POST", control + "users", body={"name": "no id"})[0] == 400
    assert _http("POST", control + "users", body={"user_id": "U9", "team_id": "T9", "name": "x"})[0] == 400
    assert _http("POST", control + "teams", body={"team_id": "T3", "name": "x", "bogus": 1})[0] == 400
    assert _http("POST", control + "nope", body={})[0] == 404


def test_control_routes_for_oauth_setup(sandbox: SlackSandbox) -> None:
    control = sandbox.url + "/_sandbox/"
    app = {"client_id": "c1", "client_secret": "s1", "redirect_uri": "https://x/cb"}
    _http("POST", control + "oauth_apps", body=app)
    _http("POST", control + "installer", body={"team_id": TEAM, "user_id": MEMBER})
    status, headers, _ = _http(
        "GET", sandbox.url + "/oauth/v2/authorize?client_id=c1&scope=chat:write&state=s"
    )
    query = parse_qs(urlsplit(headers["Location"]).query)
    assert status == 302 and query["state"] == ["s"]
    oauth = WebClient(base_url=sandbox.base_url)
    access = oauth.oauth_v2_access(client_id="c1", client_secret="s1", code=query["code"][0])
    assert access["authed_user"]["id"] == MEMBER


# ---- OAuth --------------------------------------------------------------------------------------

CLIENT_ID, CLIENT_SECRET, REDIRECT = "111.222", "shh", "https://localhost/slack/oauth_redirect"


def _authorize(sandbox: SlackSandbox, **params: str) -> tuple[int, dict[str, str], Any]:
    query = {"client_id": CLIENT_ID, "scope": "chat:write,users:read", "state": "st-1", **params}
    return _http("GET", sandbox.url + "/oauth/v2/authorize?" + urlencode(query))


def test_authorize_redirects_with_code_and_state(sandbox: SlackSandbox) -> None:
    sandbox.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    status, headers, _ = _authorize(sandbox)
    location = urlsplit(headers["Location"])
    assert status == 302 and f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"] and query["code"]
    oauth = WebClient(base_url=sandbox.base_url)
    access = oauth.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"][0])
    assert access["access_token"].startswith("xoxb-") and access["token_type"] == "bot"
    assert access["scope"] == "chat:write,users:read"
    assert access["team"] == {"id": TEAM, "name": "Test Co"}
    assert access["authed_user"] == {"id": ADMIN}  # default installer: the first admin
    assert (access["enterprise"], access["is_enterprise_install"]) == (None, False)
    again = _error(
        oauth.oauth_v2_access, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"][0]
    )
    assert again.response["error"] == "code_already_used"


def test_authorize_refusals(sandbox: SlackSandbox) -> None:
    assert _authorize(sandbox)[0] == 400  # unknown client
    sandbox.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    assert _authorize(sandbox, redirect_uri="https://evil.example/cb")[0] == 400
    sandbox.deny_next_install()
    query = parse_qs(urlsplit(_authorize(sandbox)[1]["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["st-1"]}
    assert "code" in parse_qs(urlsplit(_authorize(sandbox)[1]["Location"]).query)


def test_oauth_access_checks_client_and_redirect_uri(sandbox: SlackSandbox) -> None:
    sandbox.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    code = parse_qs(urlsplit(_authorize(sandbox, redirect_uri=REDIRECT)[1]["Location"]).query)["code"][0]
    oauth = WebClient(base_url=sandbox.base_url)
    assert _error(oauth.oauth_v2_access, client_id=CLIENT_ID, client_secret="wrong", code=code).response[
        "error"
    ] == ("bad_client_secret")
    assert (
        _error(
            oauth.oauth_v2_access,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            code=code,
            redirect_uri="https://x",
        ).response["error"]
        == "bad_redirect_uri"
    )
    # Client credentials as form parameters instead of HTTP Basic.
    _, _, body = _http(
        "POST",
        sandbox.base_url + "oauth.v2.access",
        form={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code, "redirect_uri": REDIRECT},
    )
    assert body["ok"] is True and body["bot_user_id"].startswith("U")


def test_bolt_oauth_install_flow_end_to_end(sandbox: SlackSandbox, tmp_path: Path) -> None:
    """GET /slack/install -> sandbox consent -> /slack/oauth_redirect -> installation saved."""
    from flask import Flask, request
    from slack_bolt import App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store import FileInstallationStore
    from slack_sdk.oauth.state_store import FileOAuthStateStore

    sandbox.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    sandbox.set_installer(TEAM, MEMBER)
    installations = FileInstallationStore(base_dir=str(tmp_path / "installations"), client_id=CLIENT_ID)
    bolt = App(
        client=WebClient(base_url=sandbox.base_url),
        signing_secret="signing-secret",
        oauth_settings=OAuthSettings(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=["commands", "chat:write", "users:read"],
            redirect_uri=REDIRECT,
            authorization_url=sandbox.url + "/oauth/v2/authorize",
            installation_store=installations,
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "states")),
        ),
    )
    web = Flask(__name__)
    handler = SlackRequestHandler(bolt)
    web.add_url_rule("/slack/install", "install", lambda: handler.handle(request))
    web.add_url_rule("/slack/oauth_redirect", "oauth_redirect", lambda: handler.handle(request))
    browser = web.test_client()

    install_page = browser.get("/slack/install", base_url="https://localhost")
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', install_page.get_data(as_text=True))
    assert link is not None, "the install page links to Slack's authorize URL"
    authorize_url = html.unescape(link.group(1))
    assert authorize_url.startswith(sandbox.url + "/oauth/v2/authorize?")
    status, headers, _ = _http("GET", authorize_url)
    assert status == 302
    back = urlsplit(headers["Location"])
    done = browser.get(back.path, query_string=back.query, base_url="https://localhost")

    assert done.status_code == 200, done.get_data(as_text=True)
    saved = installations.find_installation(enterprise_id=None, team_id=TEAM)
    assert saved is not None
    assert saved.user_id == MEMBER and saved.team_name == "Test Co"
    assert (saved.bot_token or "").startswith("xoxb-") and (saved.bot_id or "").startswith("B")
    assert saved.bot_scopes == ["commands", "chat:write", "users:read"]
    assert [c.method for c in sandbox.calls] == ["oauth.v2.access", "auth.test"]
    assert _last(sandbox, "oauth.v2.access").params["redirect_uri"] == REDIRECT
    # The installed token carries exactly the granted scopes.
    installed = WebClient(token=saved.bot_token, base_url=sandbox.base_url)
    assert installed.auth_test()["bot_id"] == saved.bot_id
    assert _error(installed.conversations_join, channel=OUT_PUBLIC).response["error"] == "missing_scope"


# ---- command line -------------------------------------------------------------------------------


def test_main_serves_the_demo_workspace_until_stopped() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.slack", "--port", "0", "--demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("SLACK_API_URL=http://127.0.0.1:")
        base_url = first.removeprefix("SLACK_API_URL=")
        demo = WebClient(token="xoxb-hourcap-demo", base_url=base_url)
        assert demo.auth_test()["team_id"] == "T0HOURCAP"
        assert demo.users_info(user="U0ADA")["user"]["is_admin"] is True
    finally:
        process.terminate()
        process.wait(timeout=5)
