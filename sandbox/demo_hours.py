"""Demo chapters for time tracking: two members log time by text, the Log time modal and a timer; one of them
lists the week, edits an entry and deletes another. Each step is a request signed as Slack signs it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE, BOB = "U0ALICE", "U0BOB"
ACME_CHANNEL = "C0ACMEWEB"


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _show(demo: Demo, blocks: list[dict[str, Any]] | None, text: str = "") -> None:
    for line in render_blocks(blocks or []) or [f"    {text}"]:
        demo.out(line)


def _command(demo: Demo, user: str, text: str, name: str, channel: str = "C0GENERAL") -> dict[str, Any]:
    demo.say(f"{name} types: /hours {text}".rstrip())
    response = demo.slack.command(text, user=user, channel=channel)
    body: dict[str, Any] = response.json() if response.content else {}
    if body.get("text") or body.get("blocks"):
        demo.say("Hour Cap answers (only they see it):")
        _show(demo, body.get("blocks"), body.get("text", ""))
    return body


def _button(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        elements = ([block["accessory"]] if block.get("accessory") else []) + block.get("elements", [])
        for element in elements:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise LookupError(f"no {action_id} button")


def _opened(demo: Demo) -> dict[str, Any]:
    demo.wait("views.open")
    views = demo.slack_api.views
    view = views[list(views)[-1]]
    for line in render_blocks(view.get("blocks") or []):
        demo.out(line)
    return view


def _replaced(demo: Demo, nth: int = 1) -> None:
    """Show the `nth` reply of this chapter that replaced a message through its response_url."""
    call = demo.wait("response_url", nth)[-1]
    demo.say("The message is replaced with:")
    _show(demo, call.params.get("blocks"), str(call.params.get("text", "")))


def _log_form(project_id: str, day: date, duration: str, description: str) -> dict[str, dict[str, Any]]:
    return {
        "project": {"value": {"type": "static_select", "selected_option": {"value": project_id}}},
        "date": {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
        "duration": {"value": {"type": "plain_text_input", "value": duration}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
    }


def _project_value(view: dict[str, Any], code: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "project")
    return next(o["value"] for o in block["element"]["options"] if f"({code})" in o["text"]["text"])


def log_by_text(demo: Demo) -> None:
    demo.chapter("7. Bob logs time by text: a duration, a project code or name, a date, a description")
    _command(demo, BOB, "2.5 acme-web Fixed the header", "Bob")
    _command(demo, BOB, "1h30m acme-web yesterday Review with Alice", "Bob")
    _command(demo, BOB, "45 min support Triage", "Bob")
    demo.say("In #acme-web, linked to the Website project, the project can be left out:")
    _command(demo, BOB, "0.5 Standup", "Bob", channel=ACME_CHANNEL)
    demo.say("Anything ambiguous or unknown opens the Log time form pre-filled — never a guess:")
    _command(demo, BOB, "1 acme Planning", "Bob")
    _opened(demo)
    demo.say("A refusal says exactly why and stores nothing (a day holds at most 24 h):")
    _command(demo, BOB, "21 acme-web Marathon", "Bob")


def log_by_modal(demo: Demo) -> None:
    demo.chapter("8. Alice logs time with the Log time form")
    _command(demo, ALICE, "", "Alice")
    view = _opened(demo)
    project = _project_value(view, "acme-web")
    today = _today("Europe/London")
    demo.say("She picks the project, types 3 for the duration and submits with a date in the future first:")
    answer = demo.slack.view_submission(view, _log_form(project, today + timedelta(days=2), "3", "Design"),
                                        user=ALICE).json()
    demo.say(f"The form shows a field error: {answer['errors']}")
    demo.slack.view_submission(view, _log_form(project, today, "3", "Design system"), user=ALICE)
    [posted] = demo.wait("chat.postEphemeral")
    demo.say("Form closed; an ephemeral confirmation with Undo:")
    _show(demo, posted.params.get("blocks"))


def timer(demo: Demo) -> None:
    demo.chapter("9. Bob runs a timer")
    _command(demo, BOB, "start acme-web Research", "Bob")
    _command(demo, BOB, "status", "Bob")
    _backdate_timer(demo, BOB, minutes=47)
    demo.say("(47 minutes later — the demo moves the timer's start back; a timer is a database row, so it "
             "survives restarts)")
    _command(demo, BOB, "stop", "Bob")


def _backdate_timer(demo: Demo, user: str, minutes: int) -> None:
    from sqlalchemy import select

    from storage.models import Member, Timer

    with demo.runtime.db.session() as session:
        row = session.scalar(select(Timer).join(Member, Member.id == Timer.member_id)
                             .where(Member.slack_user_id == user))
        if row is not None:
            row.started_at = row.started_at - timedelta(minutes=minutes)


def list_and_edit(demo: Demo) -> None:
    from bot.views.hours import ACTION_DELETE, ACTION_EDIT

    demo.chapter("10. Bob lists his week, edits one entry and deletes another")
    body = _command(demo, BOB, "week", "Bob")
    blocks = body.get("blocks") or []
    edit_value = _button(blocks, ACTION_EDIT)
    demo.say("He presses Edit on the first entry:")
    demo.slack.message_action(ACTION_EDIT, user=BOB, value=edit_value)
    view = _opened(demo)
    project = _project_value(view, "acme-web")
    demo.slack.view_submission(view, _log_form(project, _today("America/Los_Angeles"), "2h45m",
                                               "Fixed the header and the footer"), user=BOB)
    _replaced(demo)
    demo.say("Then Delete on his last entry (Slack asks to confirm first):")
    demo.slack.message_action(ACTION_DELETE, user=BOB, value=_last_value(blocks, ACTION_DELETE))
    _replaced(demo, 2)


def _last_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    values = [str(e["value"]) for b in blocks for e in b.get("elements", []) if e.get("action_id") == action_id]
    if not values:
        raise LookupError(f"no {action_id} button")
    return values[-1]


CHAPTERS = [log_by_text, log_by_modal, timer, list_and_edit]
