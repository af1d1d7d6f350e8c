"""Demo chapter: habits — Alice logs a standup for Kiri, Luis and herself in one line (Bob, whose week is approved,
is skipped and named), logs time on Bob's message with its link, and Olivia turns missing-time reminders on: at
17:00 in Auckland Kiri gets one, at 17:00 in Los Angeles Luis gets one, each once, and Luis copies yesterday."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER, ALICE, BOB, KIRI, LUIS = "U0OLIVIA", "U0ALICE", "U0BOB", "U0KIRI", "U0LUIS"
ZONES = {KIRI: "Pacific/Auckland", LUIS: "America/Los_Angeles"}
ACME_CHANNEL = "C0ACMEWEB"


def _show(demo: Demo, blocks: list[dict[str, Any]] | None, text: str = "") -> None:
    for line in render_blocks(blocks or []) or [f"    {text}"]:
        demo.out(line)


def _next_five_pm(tz: str, after: datetime) -> datetime:
    """The first 17:00 on a Monday–Friday in `tz` after `after` (UTC)."""
    zone = ZoneInfo(tz)
    day = after.astimezone(zone).date()
    while True:
        at = datetime.combine(day, time(17, 0), tzinfo=zone).astimezone(UTC)
        if day.weekday() < 5 and at > after:
            return at
        day += timedelta(days=1)


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    for block in blocks:
        for element in ([block["accessory"]] if block.get("accessory") else []) + block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None


def habits(demo: Demo) -> None:
    from bot.views.log_modal import CALLBACK_LOG_MESSAGE
    from bot.views.nudge import ACTION_NUDGE_SAME
    from bot.views.nudge_settings import ACTION_OPEN_NUDGE_SETTINGS
    from storage.types import utcnow

    demo.chapter("Habits: a line for several people, time from a message, missing-time reminders")
    demo.slack_api.add_user(KIRI, team_id=demo.slack.team_id, name="kiri", real_name="Kiri Kahu",
                            tz="Pacific/Auckland")
    demo.slack_api.add_user(LUIS, team_id=demo.slack.team_id, name="luis", real_name="Luis Lopez",
                            tz="America/Los_Angeles")
    seen = demo.calls("views.publish")
    demo.slack.home_opened(KIRI)
    demo.slack.home_opened(LUIS)
    demo.wait_beyond("views.publish", seen, 2)
    line = "0.5 acme-web Standup <@U0KIRI|kiri> <@U0LUIS|luis> <@U0BOB|bob> @me"
    demo.say(f"Alice (a manager) types: /hours {line}")
    seen = demo.calls("chat.postMessage")
    body = demo.slack.command(line, user=ALICE).json()
    _show(demo, body.get("blocks"), body.get("text", ""))
    for call in demo.wait_beyond("chat.postMessage", seen, 2):
        demo.say(f"DM to {call.params['channel']}: {call.params['text']}")
    demo.say("Luis types: /hours 2 acme-web yesterday Design review")
    demo.slack.command("2 acme-web yesterday Design review", user=LUIS)

    text = "Can you fix the *header* on <https://acme.example/home|the home page>? It breaks on phones"
    ts = demo.slack_api.add_message(ACME_CHANNEL, user=BOB, text=text)
    demo.say("Alice picks ⋮ → Log time on this message, on Bob's message in #acme-web:")
    seen = demo.calls("views.open")
    demo.slack.message_shortcut(CALLBACK_LOG_MESSAGE, user=ALICE, message_ts=ts, text=text, message_user=BOB,
                                channel=ACME_CHANNEL, channel_name="acme-web")
    view = demo.wait_beyond("views.open", seen)[0].params["view"]
    _show(demo, view["blocks"])
    stored = demo.slack_api.views[list(demo.slack_api.views)[-1]]
    values: dict[str, dict[str, Any]] = {}
    for block in stored["blocks"]:
        if block.get("type") != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        kind = element["type"]
        if kind == "datepicker":
            values[block_id] = {"value": {"type": kind, "selected_date": element["initial_date"]}}
        elif kind == "static_select":
            values[block_id] = {"value": {"type": kind, "selected_option": element.get("initial_option")}}
        elif kind == "plain_text_input":
            typed = "1.5" if block_id == "duration" else element.get("initial_value", "")
            values[block_id] = {"value": {"type": kind, "value": typed}}
        elif kind == "checkboxes":
            values[block_id] = {"value": {"type": kind, "selected_options": element.get("initial_options", [])}}
    demo.slack.view_submission(stored, values, user=ALICE)
    demo.say("Alice enters 1.5 and presses Log; /hours list shows the entry with its link:")
    listing = demo.slack.command("list", user=ALICE).json()
    for line in render_blocks(listing.get("blocks") or []):
        if "message>" in line or "Header" in line or "header" in line:
            demo.out(line)

    seen = demo.calls("views.publish")
    demo.slack.home_opened(OWNER)
    demo.wait_beyond("views.publish", seen)
    demo.say("Olivia opens Home → Missing-time reminders → Change…, and turns them on (Mon–Fri, 7.5 h, 17:00):")
    seen = demo.calls("views.open")
    demo.slack.home_action(ACTION_OPEN_NUDGE_SETTINGS, user=OWNER, value="open")
    demo.wait_beyond("views.open", seen)
    modal = demo.slack_api.views[list(demo.slack_api.views)[-1]]
    days = [{"value": d} for d in ("mon", "tue", "wed", "thu", "fri")]
    seen = demo.calls("views.publish")
    demo.slack.view_submission(modal, {
        "nudge_enabled": {"value": {"type": "checkboxes", "selected_options": [{"value": "on"}]}},
        "nudge_days": {"value": {"type": "checkboxes", "selected_options": days}},
        "nudge_expected": {"value": {"type": "plain_text_input", "value": "7.5"}},
        "nudge_time": {"value": {"type": "timepicker", "selected_time": "17:00"}},
    }, user=OWNER)
    home = demo.wait_beyond("views.publish", seen)[0].params["view"]
    for line in render_blocks(home["blocks"]):
        if "Missing-time reminders" in line:
            demo.out(line)

    demo.say("The reminder tick runs every five minutes; here a simulated clock runs it from the next 16:50 in Los "
             "Angeles until Luis (Los Angeles) and Kiri (Auckland) have had their 17:00:")
    from timesheets.nudges import tick

    # from ten minutes before the next weekday 17:00 in Los Angeles (Auckland's comes three hours later in UTC),
    # on the five minutes, as the scheduled tick runs
    los_angeles = _next_five_pm("America/Los_Angeles", utcnow() + timedelta(minutes=10))
    now = los_angeles - timedelta(minutes=10)
    deadline = _next_five_pm("Pacific/Auckland", los_angeles) + timedelta(minutes=5)
    told: set[str] = set()
    ticks = 0
    while now <= deadline and not {KIRI, LUIS} <= told:
        seen = demo.calls("chat.postMessage")
        with demo.runtime.db.session() as session:
            sent = tick(session, now)
        ticks += 1
        if sent:
            demo.runtime.jobs.drain(10)
            calls = demo.wait_beyond("chat.postMessage", seen, sent)
            for call in calls:
                user = str(call.params.get("channel"))
                told.add(user)
                local = now.astimezone(ZoneInfo(ZONES.get(user, "Europe/London")))
                demo.say(f"{now:%a %d %b %H:%M} UTC = {local:%H:%M} for {user}: a reminder DM")
                if user in ZONES:
                    _show(demo, call.params.get("blocks"), str(call.params.get("text", "")))
                    same = _button(call.params.get("blocks") or [], ACTION_NUDGE_SAME)
                    if same is not None:
                        demo.say(f"Same as yesterday asks first: {same['confirm']['text']['text']}")
                        demo.say(f"{user} presses Same as yesterday, then Copy:")
                        replaced = demo.calls("response_url")
                        demo.slack.message_action(ACTION_NUDGE_SAME, user=user, value=same["value"],
                                                  block_id="nudge", channel=user)
                        answer = demo.wait_beyond("response_url", replaced)[0].params
                        _show(demo, answer.get("blocks"), str(answer.get("text", "")))
        now += timedelta(minutes=5)
    demo.say(f"{ticks} ticks; each person was reminded once, at 17:00 their own time.")

CHAPTERS = [habits]
