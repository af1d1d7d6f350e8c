"""bot/prompt_ack.py: a request is answered when its listener acks, without a step of Bolt's 10 ms ack poll."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener import thread_runner

from bot import prompt_ack


def _authorized(**_kwargs: Any) -> AuthorizeResult:
    """No Slack to ask: every request is the one workspace's."""
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-unused", bot_user_id="UBOT")


def _app(*, prompt: bool) -> App:
    options: dict[str, Any] = {"listener_executor": prompt_ack.AckingExecutor()} if prompt else {}
    app = App(signing_secret="secret", request_verification_enabled=False, authorize=_authorized, **options)
    if prompt:
        prompt_ack.register(app)
    return app


def _command(text: str) -> BoltRequest:
    body = urlencode({"command": "/hours", "text": text, "team_id": "T1", "user_id": "U1", "channel_id": "C1",
                      "response_url": "http://127.0.0.1:9/r", "trigger_id": "t.1"})
    return BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})


@pytest.fixture
def poll_steps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The steps Bolt's ack poll sleeps; each one also releases a listener waiting in `slow_ack` below."""
    steps: list[float] = []
    real_sleep = thread_runner.time.sleep

    def sleep(seconds: float) -> None:
        steps.append(seconds)
        polled.set()
        real_sleep(seconds)

    monkeypatch.setattr(thread_runner.time, "sleep", sleep)
    return steps


polled = threading.Event()


def _slow_ack(app: App, after_ack: threading.Event) -> None:
    @app.command("/hours")
    def hours(ack: Ack, command: dict[str, Any]) -> None:
        polled.wait(0.5)  # not acked at Bolt's first look: with the poll, acks once it has slept
        ack(text=f"Logged {command['text']}", response_type="ephemeral")
        after_ack.wait(5)  # work after the ack: the answer must not wait for it


@pytest.mark.parametrize("prompt", [True, False])
def test_the_answer_leaves_at_the_ack_and_before_work_after_it(poll_steps: list[float], prompt: bool) -> None:
    polled.clear()
    after_ack = threading.Event()
    app = _app(prompt=prompt)
    _slow_ack(app, after_ack)
    try:
        response = app.dispatch(_command("1 web"))
        assert not after_ack.is_set()  # answered while the listener still works after its ack
    finally:
        after_ack.set()
    assert response.status == 200 and '"Logged 1 web"' in response.body
    # Bolt's own runner (the control) sleeps a poll step before it sees the ack; with bot/prompt_ack.py it never
    # has to: the listener's submission returns once the listener acked.
    assert (poll_steps == []) is prompt, poll_steps


def test_a_listener_that_fails_before_acking_is_still_answered(poll_steps: list[float]) -> None:
    app = _app(prompt=True)

    @app.command("/hours")
    def hours(ack: Ack) -> None:
        raise RuntimeError("boom")

    response = app.dispatch(_command("1 web"))
    assert response.status == 500  # Bolt's default error answer, at once: no ack to wait for
    assert poll_steps == []
