"""The Slack stand-in's Socket Mode (sandbox/slack_socket.py), driven by a plain websocket client and slack_sdk's
WebClient: the token rules of apps.connections.open, single-use tickets, hello, envelopes and acks, refresh,
drops and redelivery. The app's side is tests/e2e/test_socket_mode.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from sandbox.slack import SlackSandbox
from sandbox.slack_socket import SocketAck

TEAM = "T0SOCKET"
USER = "U0SOCKET"
BOT = "xoxb-socket-bot"


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as running:
        running.add_team(TEAM, "Socket Co")
        running.add_user(USER, team_id=TEAM, name="sol")
        running.add_static_token(BOT, TEAM)
        yield running


@pytest.fixture
def app_token(sandbox: SlackSandbox) -> str:
    return sandbox.add_app_token(team_id=TEAM)


def open_url(sandbox: SlackSandbox, token: str | None) -> str:
    return str(WebClient(base_url=sandbox.base_url).apps_connections_open(app_token=token or "")["url"])


def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


@contextmanager
def connected(sandbox: SlackSandbox, token: str) -> Iterator[ClientConnection]:
    with connect(open_url(sandbox, token)) as ws:
        assert receive(ws)["type"] == "hello"
        yield ws


def wait_until(done: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def in_background(send: Callable[[], SocketAck]) -> tuple[threading.Thread, list[Any]]:
    """Run a `deliver` (which waits for its ack) beside the test, which plays the app."""
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(send())
        except Exception as error:  # noqa: BLE001 - handed to the test
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def test_connections_open_takes_only_an_app_level_token_with_connections_write(sandbox: SlackSandbox,
                                                                               app_token: str) -> None:
    no_scope = sandbox.add_app_token(team_id=TEAM, scopes=())
    for token, error in ((BOT, "not_allowed_token_type"), ("xapp-1-A0-unknown", "invalid_auth"),
                         (None, "not_authed"), (no_scope, "missing_scope")):
        with pytest.raises(SlackApiError) as refused:
            open_url(sandbox, token)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as wrong_method:
        WebClient(token=app_token, base_url=sandbox.base_url).chat_postMessage(channel=USER, text="hi")
    assert wrong_method.value.response["error"] == "not_allowed_token_type"
    assert open_url(sandbox, app_token).startswith(f"{sandbox.socket.url}/link/?ticket=")


def test_a_ticket_opens_one_connection_once_and_hello_comes_first(sandbox: SlackSandbox, app_token: str) -> None:
    url = open_url(sandbox, app_token)
    with connect(url) as ws:
        hello = receive(ws)
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0HOURCAP"}
        with pytest.raises(InvalidStatus) as again, connect(url):
            pass
        assert again.value.response.status_code == 401


def test_envelopes_carry_slacks_fields_and_acks_are_recorded(sandbox: SlackSandbox, app_token: str) -> None:
    with connected(sandbox, app_token) as ws:
        thread, results = in_background(lambda: sandbox.socket_send_command("2 acme Plan", user=USER, team=TEAM))
        envelope = receive(ws)
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
        assert (envelope["payload"]["command"], envelope["payload"]["text"]) == ("/hours", "2 acme Plan")
        ws.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "Logged"}}))
        thread.join(5)
        [ack] = results
        assert isinstance(ack, SocketAck) and ack.payload == {"text": "Logged"} and ack.deliveries == 1
        assert ack.status_code == 200 and json.loads(ack.content) == {"text": "Logged"}

        thread, results = in_background(lambda: sandbox.socket_send_event(
            {"type": "app_home_opened", "user": USER, "tab": "home"}, team=TEAM))
        event = receive(ws)
        assert (event["type"], event["accepts_response_payload"], event["retry_attempt"]) == ("events_api", False, 0)
        assert event["payload"]["type"] == "event_callback" and event["payload"]["event"]["user"] == USER
        ws.send(json.dumps({"envelope_id": event["envelope_id"]}))
        thread.join(5)
        assert results[0].payload is None  # an empty ack
        assert sandbox.socket_acks == [ack, results[0]]

        ws.send(json.dumps({"envelope_id": event["envelope_id"]}))
        ws.send("not json")
        ws.send(json.dumps({"envelope_id": "no-such-envelope"}))
        wait_until(lambda: len(sandbox.socket.protocol_errors) == 3)
        assert [error.split(": ")[0] for error in sandbox.socket.protocol_errors] == [
            "connection 1 sent a second ack", "connection 1 sent something that is not an ack",
            "connection 1 sent an ack for an unknown envelope"]


def test_an_envelope_without_an_ack_times_out(sandbox: SlackSandbox, app_token: str) -> None:
    with connected(sandbox, app_token) as ws:
        thread, results = in_background(lambda: sandbox.socket_slack(team_id=TEAM, timeout=0.5).home_action(
            "anything", user=USER))
        assert receive(ws)["payload"]["type"] == "block_actions"
        thread.join(5)
        assert isinstance(results[0], TimeoutError)


def test_an_envelope_out_on_a_dropped_connection_is_delivered_again_on_the_next(sandbox: SlackSandbox,
                                                                                app_token: str) -> None:
    with connected(sandbox, app_token) as first:
        thread, results = in_background(lambda: sandbox.socket_send_command("status", user=USER, team=TEAM))
        lost = receive(first)
        assert sandbox.drop_connection() == 1
    with connected(sandbox, app_token) as second:
        again = receive(second)
        assert again["envelope_id"] == lost["envelope_id"]
        assert (again["retry_attempt"], again["retry_reason"]) == (1, "timeout")
        second.send(json.dumps({"envelope_id": again["envelope_id"], "payload": {"text": "No timer"}}))
        thread.join(5)
    [ack] = results
    assert (ack.deliveries, ack.connection) == (2, 2)


def test_after_refresh_requested_new_envelopes_wait_for_the_new_connection(sandbox: SlackSandbox,
                                                                           app_token: str) -> None:
    with connected(sandbox, app_token) as old:
        assert sandbox.request_refresh() == 1
        assert receive(old) == {"type": "disconnect", "reason": "refresh_requested",
                                "debug_info": {"host": "applink-sandbox"}}
        thread, results = in_background(lambda: sandbox.socket_send_command("list", user=USER, team=TEAM))
        with pytest.raises(TimeoutError):
            old.recv(timeout=0.3)  # a retiring connection gets nothing new
        with connected(sandbox, app_token) as new:
            envelope = receive(new)
            new.send(json.dumps({"envelope_id": envelope["envelope_id"]}))
            thread.join(5)
    assert results[0].connection == 2
