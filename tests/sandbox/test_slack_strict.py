"""The Slack stand-in refuses what Slack refuses: Block Kit limits and shapes, and acks Slack cannot use."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from werkzeug.wrappers import Response

from sandbox.slack import SlackSandbox
from sandbox.slack_acks import RefusedAck, check_ack
from sandbox.slack_views import validate_blocks, validate_view


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _button(action_id: str, text: str = "Go") -> dict[str, Any]:
    return {"type": "button", "text": _plain(text), "action_id": action_id}


def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": _plain(text or value), "value": value}


def _select(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "placeholder": _plain("Pick"), "options": options,
            **extra}


def _modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": _plain("Log time"), "submit": _plain("Save"), "blocks": list(blocks),
            **extra}


def _input(element: dict[str, Any], block_id: str = "field") -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": _plain("Field"), "element": element}


REFUSED_BLOCKS = {
    "duplicate action id in one block": {"type": "actions", "elements": [_button("page"), _button("page")]},
    "empty static select": {"type": "section", "text": _plain("x"), "accessory": _select([])},
    "101 options": {"type": "actions", "elements": [_select([_option(str(n)) for n in range(101)])]},
    "option text over 75": {"type": "actions", "elements": [_select([_option("a", "x" * 76)])]},
    "duplicate option values": {"type": "actions", "elements": [_select([_option("a"), _option("a", "b")])]},
    "initial option not among the options": {"type": "actions", "elements": [
        _select([_option("a")], initial_option=_option("b"))]},
    "mrkdwn button text": {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "mrkdwn", "text": "*Go*"}, "action_id": "go"}]},
    "empty section text": {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
    "section text over 3000": {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
    "eleven fields": {"type": "section", "fields": [_plain("f")] * 11},
    "header over 150": {"type": "header", "text": _plain("h" * 151)},
    "header in mrkdwn": {"type": "header", "text": {"type": "mrkdwn", "text": "h"}},
    "26 elements in actions": {"type": "actions", "elements": [_button(f"b{n}") for n in range(26)]},
    "empty actions": {"type": "actions", "elements": []},
    "text input in actions": {"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]},
    "eleven context elements": {"type": "context", "elements": [_plain("c")] * 11},
    "unknown block type": {"type": "carousel"},
    "unknown element type": {"type": "actions", "elements": [{"type": "slider", "action_id": "s"}]},
    "six overflow options": {"type": "actions", "elements": [
        {"type": "overflow", "action_id": "o", "options": [_option(str(n)) for n in range(6)]}]},
    "eleven checkboxes": {"type": "actions", "elements": [
        {"type": "checkboxes", "action_id": "c", "options": [_option(str(n)) for n in range(11)]}]},
    "bad initial date": {"type": "actions", "elements": [
        {"type": "datepicker", "action_id": "d", "initial_date": "1/2/2026"}]},
    "confirm title over 100": {"type": "actions", "elements": [
        {**_button("x"), "confirm": {"title": _plain("t" * 101), "text": _plain("t"), "confirm": _plain("OK"),
                                     "deny": _plain("No")}}]},
    "emoji on mrkdwn": {"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}},
    "action id over 255": {"type": "actions", "elements": [_button("a" * 256)]},
}


@pytest.mark.parametrize("name", sorted(REFUSED_BLOCKS))
def test_blocks_slack_refuses_are_refused(name: str) -> None:
    errors = validate_blocks([REFUSED_BLOCKS[name]])
    assert errors and all(e.startswith("[ERROR] ") and "[json-pointer:/blocks/0" in e for e in errors), errors


def test_well_formed_blocks_pass_both_checks() -> None:
    blocks = [
        {"type": "header", "text": _plain("Week 48")},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* · 2h"}, "accessory": _button("edit")},
        {"type": "section", "fields": [_plain("a"), {"type": "mrkdwn", "text": "*b*"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "note"}]},
        {"type": "actions", "elements": [_button("prev"), _button("next"),
                                         _select([_option("a")], initial_option=_option("a"))]},
        {"type": "divider"},
    ]
    assert validate_blocks(blocks) == []


def test_views_slack_refuses_are_refused() -> None:
    field = _input({"type": "plain_text_input", "action_id": "t"})
    assert validate_view(_modal(field)) == []
    assert validate_view({**_modal(field), "submit": None}) != []  # an input block needs a submit button
    assert validate_view(_modal(field, title=_plain("t" * 25))) != []
    assert validate_view(_modal()) != []  # slack_sdk: a view holds 1 to 100 blocks
    assert validate_view(_modal(*[{"type": "divider"}] * 101)) != []
    assert validate_view(_modal(field, private_metadata="m" * 3001)) != []
    assert validate_view(_modal(field, field)) != []  # duplicate block_id
    assert validate_view(_modal(_input({"type": "plain_text_input", "action_id": "t", "max_length": 10,
                                        "initial_value": "x" * 11}))) != []
    assert validate_view(_modal(_input({"type": "number_input", "action_id": "n"}))) != []
    assert validate_view({"type": "home", "blocks": [{"type": "divider"}]}, expected_type="home") == []
    assert validate_view({"type": "home", "blocks": [{"type": "divider"}]}, expected_type="modal") != []


def _answer(body: Any, status: int = 200) -> Response:
    if body is None:
        return Response(b"", status=status)
    return Response(json.dumps(body), status=status, content_type="application/json")


def test_acks_slack_cannot_use_are_refused() -> None:
    view = _modal(_input({"type": "plain_text_input", "action_id": "t"}, block_id="duration"))
    submission = {"type": "view_submission", "view": view}
    check_ack("view_submission", submission, _answer(None))
    check_ack("view_submission", submission, _answer({"response_action": "errors", "errors": {"duration": "No"}}))
    check_ack("view_submission", submission, _answer({"response_action": "update", "view": view}))
    refused = [
        {"response_action": "errors", "errors": {"project": "No such block"}},
        {"response_action": "errors", "errors": {}},
        {"response_action": "update", "view": _modal(title=_plain("x" * 30))},
        {"response_action": "close"},
    ]
    for body in refused:
        with pytest.raises(RefusedAck):
            check_ack("view_submission", submission, _answer(body))

    check_ack("command", {}, Response("Logged 2h", content_type="text/plain"))
    check_ack("command", {}, _answer({"response_type": "ephemeral", "text": "Logged"}))
    with pytest.raises(RefusedAck):
        check_ack("command", {}, _answer({"response_type": "ephemeral", "blocks": [REFUSED_BLOCKS["empty actions"]]}))
    with pytest.raises(RefusedAck):
        check_ack("command", {}, _answer({"response_type": "ephemeral"}))

    check_ack("block_suggestion", {}, _answer({"options": []}))
    check_ack("block_suggestion", {}, _answer({"options": [_option("a")]}))
    with pytest.raises(RefusedAck):
        check_ack("block_suggestion", {}, _answer({"options": [_option(str(n)) for n in range(101)]}))
    check_ack("view_submission", submission, _answer({"error": "refused"}, status=400))  # not an ack


def test_a_response_url_post_with_blocks_slack_refuses_is_refused_over_http() -> None:
    with SlackSandbox() as slack:
        url = f"{slack.response_url_base}commands/T1/1"
        good = httpx2.post(url, json={"text": "Logged", "blocks": [{"type": "divider"}]})
        bad = httpx2.post(url, json={"text": "Page 3", "blocks": [REFUSED_BLOCKS["duplicate action id in one block"]]})
        empty = httpx2.post(url, json={"replace_original": True})
    assert (good.status_code, good.text) == (200, "ok")
    assert (bad.status_code, bad.text) == (400, "invalid_blocks")
    assert (empty.status_code, empty.text) == (400, "no_text")
