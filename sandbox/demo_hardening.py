"""Demo chapter: odd and hostile input is refused cleanly, and people's own words stay literal on every screen."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.demo_hours import _command, _opened
from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE, BOB = "U0ALICE", "U0BOB"
ODD_NAME = "*Bold* & _Sons_ <@U0BOB>"


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _form_post(demo: Demo, form: dict[str, str], timestamp: int) -> Any:
    return demo.slack.post(urlencode(form).encode(), "application/x-www-form-urlencoded", timestamp=timestamp)


def odd_input(demo: Demo) -> None:
    from bot.views.catalog import ids
    from catalog.form_input import Field

    demo.chapter("18. Odd input is refused cleanly, and people's words stay literal")
    demo.say("Bob types a duration in Arabic-Indic digits; Hour Cap never guesses a number, it opens the form:")
    _command(demo, BOB, "٢h acme-web Review", "Bob")
    _opened(demo)

    demo.say("A correctly signed request whose payload is not JSON gets a plain 400, and nothing runs:")
    refused = _form_post(demo, {"payload": "{not json"}, int(time.time()))
    demo.say(f"HTTP {refused.status_code}")

    demo.say(f"Alice names a client {ODD_NAME!r} (formatting characters, an ampersand, a mention):")
    published = demo.calls("views.open")
    demo.slack.home_action(ids.ACTION_NEW_CLIENT, user=ALICE)
    view = demo.wait_beyond("views.open", published)[-1].params["view"]
    values = {Field.CLIENT_NAME: {ids.ACTION_CLIENT_NAME: _text(ODD_NAME)},
              Field.CLIENT_ROUNDING: {ids.ACTION_CLIENT_ROUNDING: {
                  "type": "static_select", "selected_option": {"value": ids.FOLLOW_WORKSPACE}}}}
    submitted = {**view, "id": "V0REPLAY", "hash": "h", "team_id": demo.slack.team_id, "state": {"values": values}}
    payload = {"type": "view_submission", "team": {"id": demo.slack.team_id, "domain": "acme"},
               "user": {"id": ALICE, "username": "alice", "team_id": demo.slack.team_id},
               "api_app_id": demo.slack.app_id, "token": "unused", "trigger_id": "t.replay", "view": submitted,
               "response_urls": [], "is_enterprise_install": False}
    form, stamp = {"payload": json.dumps(payload)}, int(time.time())
    first, again = _form_post(demo, form, stamp), _form_post(demo, form, stamp)
    demo.say(f"Submitted once (HTTP {first.status_code}); the identical signed bytes replayed answer "
             f"HTTP {again.status_code} and change nothing.")
    published = demo.calls("views.publish")
    demo.slack.home_opened(ALICE)
    demo.wait_beyond("views.publish", published)
    home = demo.slack_api.home_view(ALICE) or {"blocks": []}
    lines = [line for line in render_blocks(home["blocks"]) if "Sons" in line]
    demo.say(f"Her Home lists {len(lines)} such client, its name as typed (no bold, no mention: the markers are "
             "look-alikes, the rest escaped):")
    for line in lines:
        demo.out(line)

    demo.say("A workspace admin deactivates Bob's Slack account; Slack sends user_change:")
    demo.slack.event({"type": "user_change", "user": demo.slack_api.deactivate_user(BOB),
                      "event_ts": f"{time.time():.6f}"})
    demo.runtime.jobs.drain(10)
    _command(demo, BOB, "1 acme-web Review", "Bob")
    demo.say("His entries stay on reports and invoices; reactivating the account lets him log time again.")
    demo.slack.event({"type": "user_change", "user": demo.slack_api.reactivate_user(BOB),
                      "event_ts": f"{time.time():.6f}"})


CHAPTERS = [odd_input]
