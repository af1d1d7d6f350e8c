"""web/socket_mode.py's pure parts: the backoff schedule, what goes back with an ack, the refused-token line.
The connection itself is driven end to end in tests/e2e/test_socket_mode.py."""

from __future__ import annotations

from slack_bolt import BoltResponse

from web.socket_mode import REFUSED_TOKEN, Backoff, TokenRefused, ack_payload, bolt_request


def test_backoff_doubles_from_one_second_to_the_cap_with_half_jitter() -> None:
    backoff = Backoff(first=1.0, cap=30.0)
    lowest = [backoff.delay(n, draw=lambda: 0.0) for n in range(1, 8)]
    highest = [backoff.delay(n, draw=lambda: 1.0) for n in range(1, 8)]
    assert highest == [1, 2, 4, 8, 16, 30, 30]
    assert lowest == [0.5, 1, 2, 4, 8, 15, 15]


def test_the_ack_carries_what_the_listener_answered_and_nothing_otherwise() -> None:
    json_body = BoltResponse(status=200, body={"response_action": "errors", "errors": {"duration": "1 to 24 h"}})
    assert ack_payload(json_body) == {"response_action": "errors", "errors": {"duration": "1 to 24 h"}}
    assert ack_payload(BoltResponse(status=200, body="Logged 1 h")) == {"text": "Logged 1 h"}
    assert ack_payload(BoltResponse(status=200, body="")) is None
    assert ack_payload(BoltResponse(status=404, body={"error": "unhandled request"})) is None  # no listener
    assert ack_payload(BoltResponse(status=401, body="")) is None


def test_redeliveries_reach_bolt_with_the_retry_headers_http_mode_has() -> None:
    request = bolt_request({"envelope_id": "e", "type": "events_api", "payload": {"type": "event_callback"},
                            "retry_attempt": 2, "retry_reason": "timeout"})
    assert request.mode == "socket_mode" and request.body == {"type": "event_callback"}
    assert request.headers["x-slack-retry-num"] == ["2"] and request.headers["x-slack-retry-reason"] == ["timeout"]
    first = bolt_request({"envelope_id": "e", "type": "events_api", "payload": {}, "retry_attempt": 0})
    assert "x-slack-retry-num" not in first.headers


def test_a_refused_token_is_one_line_naming_slack_app_token_for_every_code() -> None:
    for error in REFUSED_TOKEN:
        line = str(TokenRefused(error))
        assert "\n" not in line and f"SLACK_APP_TOKEN ({error})" in line and "Not retrying" in line
