"""chat.getPermalink in the Slack stand-in, driven by slack_sdk's WebClient over loopback HTTP: strict like Slack
(the channel must be one the bot can see, the message must exist in it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackSandbox

TEAM = "T0TEST"
PERSON = "U0PERSON"


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as running:
        running.add_team(TEAM, "Test Co", "testco")
        running.add_user(PERSON, team_id=TEAM, name="pat")
        running.add_channel("C0OUTSIDE", "random", team_id=TEAM)  # public, bot not in it
        running.add_channel("G0SECRET", "secret", team_id=TEAM, is_private=True)
        yield running


def _error(client: WebClient, channel: str, ts: str) -> str:
    with pytest.raises(SlackApiError) as caught:
        client.chat_getPermalink(channel=channel, message_ts=ts)
    return str(caught.value.response["error"])


def test_permalink_of_a_message_in_a_public_channel_the_bot_is_not_in(sandbox: SlackSandbox) -> None:
    client = WebClient(token=sandbox.issue_bot_token(TEAM), base_url=sandbox.base_url)
    ts = sandbox.add_message("C0OUTSIDE", user=PERSON, text="hello")
    answer = client.chat_getPermalink(channel="C0OUTSIDE", message_ts=ts)
    assert answer["permalink"] == f"https://testco.slack.com/archives/C0OUTSIDE/p{ts.replace('.', '')}"
    assert answer["channel"] == "C0OUTSIDE"


def test_unknown_channel_hidden_channel_and_unknown_message_are_refused(sandbox: SlackSandbox) -> None:
    client = WebClient(token=sandbox.issue_bot_token(TEAM), base_url=sandbox.base_url)
    secret = sandbox.add_message("G0SECRET", user=PERSON, text="psst")
    sandbox.add_message("C0OUTSIDE", user=PERSON, text="hello")
    assert _error(client, "C0NOPE", "1.000001") == "channel_not_found"
    assert _error(client, "G0SECRET", secret) == "channel_not_found"
    assert _error(client, "C0OUTSIDE", "1.000001") == "message_not_found"


def test_add_message_needs_a_known_channel_and_person(sandbox: SlackSandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.add_message("C0NOPE", user=PERSON, text="x")
    with pytest.raises(KeyError):
        sandbox.add_message("C0OUTSIDE", user="U0NOBODY", text="x")
