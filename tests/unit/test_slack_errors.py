"""bot.slack_errors: a Slack refusal leaves `slack_api()` as the class of its error code, still a SlackApiError."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack_errors import HashConflict, NotInChannel, SlackError, ViewNotFound, slack_api


def _refusal(code: str) -> SlackApiError:
    response = SlackResponse(client=None, http_verb="POST", api_url="https://slack.test/api/x", req_args={},
                             data={"ok": False, "error": code}, headers={}, status_code=200)
    return SlackApiError("The request to the Slack API failed.", response)


@pytest.mark.parametrize(("code", "kind"), [("not_in_channel", NotInChannel), ("hash_conflict", HashConflict),
                                            ("not_found", ViewNotFound), ("ratelimited", SlackError)])
def test_each_code_becomes_its_class(code: str, kind: type[SlackError]) -> None:
    original = _refusal(code)
    with pytest.raises(kind) as raised, slack_api():
        raise original
    assert type(raised.value) is kind
    assert isinstance(raised.value, SlackApiError)
    assert raised.value.error == code
    assert str(raised.value) == str(original)
    assert raised.value.__cause__ is original
