"""Demo chapter: the monthly summary and budget alerts in a project's channel — Olivia turns the monthly summary
on from Home; Alice creates a fixed-budget project whose alerts also go to its channel, and one linked to a
private channel Hour Cap is not in; logging takes both over their thresholds: the first is posted in its channel,
the second's refusal is named in the managers' DMs. Then a simulated clock runs the summary tick on the next 1st
around 09:00 London: Olivia and Alice each get last month by client with the chart (PNG saved beside the demo's
output)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.demo_catalog import _client_option, _open_from_home, _project, _submit
from sandbox.demo_render import render_blocks
from sandbox.demo_reports import output_folder

if TYPE_CHECKING:
    from sandbox.demo import Demo

TEAM = "T0ACME"
OWNER, ALICE = "U0OLIVIA", "U0ALICE"
LAUNCH, PRIVATE = "C0GLOBLAUNCH", "C0GLOBPRIV"


def _budget_project(demo: Demo, name: str, code: str, channel: str) -> None:
    from bot.views.catalog import ids
    from catalog.form_input import Field

    view = _open_from_home(demo, ids.ACTION_NEW_PROJECT)
    globex = _client_option(view, "Globex")
    chosen = {"type": "radio_buttons", "selected_option": {"value": "fixed_budget",
                                                           "text": {"type": "plain_text", "text": "Fixed budget"}}}
    updates = demo.calls("views.update")
    demo.slack.view_action(ids.ACTION_MODE, user=ALICE, block_id=Field.MODE, action_type="radio_buttons",
                           selected=chosen["selected_option"],
                           view={**view, "state": {"values": {Field.MODE: {ids.ACTION_MODE: chosen}}}})
    demo.wait_beyond("views.update", updates)
    view = demo.slack_api.views[view["id"]]
    switch = next(b for b in view["blocks"] if b.get("block_id") == Field.CHANNEL_ALERTS)
    values = _project(globex, name, code, "100", mode="fixed_budget", channel=channel)
    values[Field.BUDGET] = {ids.ACTION_BUDGET: {"type": "plain_text_input", "value": "1000"}}
    values[Field.CHANNEL_ALERTS] = {ids.ACTION_CHANNEL_ALERTS: {
        "type": "checkboxes", "selected_options": [{"value": ids.CHANNEL_ALERTS_VALUE}]}}
    answer = _submit(demo, view, values)
    assert not answer.get("errors"), answer
    demo.say(f"Globex — {name} saved: fixed budget 1,000 at 100/h, linked to <#{channel}>, "
             f"“{switch['element']['options'][0]['text']['text']}” ticked")


def _log(demo: Demo, text: str) -> None:
    answer = demo.slack.command(text, user=ALICE).json()
    demo.say(f"Alice: /hours {text} → {answer['text']}")
    demo.runtime.jobs.drain(10)  # the budget check, then its alert


def _alerts_in(demo: Demo, channel: str) -> list[dict[str, Any]]:
    return [m for m in demo.slack_api.messages(channel) if "fixed budget" in str(m.get("text"))]


def monthly(demo: Demo) -> None:
    from bot.views.monthly_summary import ACTION_MONTHLY_SUMMARY
    from reports.monthly_summary import tick

    demo.chapter("25. The monthly summary on the 1st in each manager's timezone, and budget alerts in a project's "
                 "channel")
    seen = demo.calls("views.publish")
    demo.slack.home_action(ACTION_MONTHLY_SUMMARY, user=OWNER, value="on")
    home = demo.wait_beyond("views.publish", seen)[0].params["view"]
    line = next(x for x in render_blocks(home["blocks"]) if "Monthly summary" in x)
    demo.say("Olivia presses Monthly summary: off on Home (beside Reports); Home now reads:")
    demo.out(line)

    demo.slack_api.add_channel(LAUNCH, "globex-launch", team_id=TEAM, is_member=True)
    demo.slack_api.add_channel(PRIVATE, "globex-private", team_id=TEAM, is_private=True, is_member=False)
    _budget_project(demo, "Launch film", "glob-film", LAUNCH)
    _budget_project(demo, "Press kit", "glob-press", PRIVATE)
    seen_dm = len(demo.slack_api.messages(OWNER))
    _log(demo, "8 glob-film Storyboard")
    _log(demo, "5 glob-press Copy")  # 500 of 1,000: 50 %
    posts = demo.calls("chat.postMessage")
    _log(demo, "3 glob-press Layout")  # 800: 80 %
    demo.wait_beyond("chat.postMessage", posts, 3)  # the refused channel post, then Olivia's and Alice's DMs
    for message in _alerts_in(demo, LAUNCH):
        demo.say("In #globex-launch (Hour Cap is a member):")
        for out in render_blocks(message.get("blocks", [])):
            demo.out(out)
    for message in demo.slack_api.messages(OWNER)[seen_dm:]:
        if "could not be posted" in str(message.get("blocks")):
            demo.say("#globex-private is private and Hour Cap is not in it: Slack refused the post once, not retried; "
                     "Olivia's DM of that alert says so:")
            for out in render_blocks(message.get("blocks", [])):
                demo.out(out)

    london = ZoneInfo("Europe/London")
    today = datetime.now(london).date()
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    now = datetime.combine(first, time(8, 50), tzinfo=london).astimezone(UTC)
    demo.say(f"The summary tick runs every five minutes; a simulated clock runs it on {first:%a %d %b %Y} from "
             "08:50 London:")
    told: list[str] = []
    while now <= datetime.combine(first, time(9, 10), tzinfo=london).astimezone(UTC):
        seen = demo.calls("chat.postMessage")
        with demo.runtime.db.session() as session:
            sent = tick(session, now)
        if sent:
            for call in demo.wait_beyond("chat.postMessage", seen, sent):
                told.append(str(call.params.get("channel")))
            demo.say(f"{now:%H:%M} UTC ({now.astimezone(london):%H:%M} London): {sent} summaries recorded and sent")
        now += timedelta(minutes=5)
    dm = next(m for m in reversed(demo.slack_api.messages(OWNER)) if "Monthly summary" in str(m.get("text")))
    demo.say(f"Olivia's DM: {dm['text']}")
    for out in render_blocks([b for b in dm["blocks"] if b.get("type") != "image"]):
        demo.out(out)
    image = next(b for b in dm["blocks"] if b.get("type") == "image")
    path = output_folder() / "monthly-summary-chart.png"
    path.write_bytes(demo.slack_api.file_bytes(image["slack_file"]["id"]))
    demo.say(f"…and the chart as an image block with slack_file {image['slack_file']['id']}; PNG saved to {path}")
    with demo.runtime.db.session() as session:
        again = tick(session, now)
    demo.say(f"{len(told)} managers told, once each; one more tick that day records {again}.")


CHAPTERS = [monthly]
