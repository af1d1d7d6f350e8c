"""The missing-time nudge as a person gets it: a DM through the outbox with how much is logged today, Log time
(the form) and Not working today; /hours remind changes one's own reminders."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.views.nudge import ACTION_NUDGE_LOG, ACTION_NUDGE_QUIET, ACTION_NUDGE_SAME
from bot.views.nudge_settings import ACTION_OPEN_NUDGE_SETTINGS
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, Project, Role
from storage.models.nudges import NudgeSchedule
from storage.types import utcnow
from tests.support.catalog import add_entry, make_catalog, make_invoice
from tests.support.slack_app import (
    ack_body,
    button,
    entries_of,
    first_contact,
    last_response,
    opened_view,
    text_of,
    today_in,
)
from tests.support.slack_requests import SignedSlack, text_value
from tests.support.workspace import ALICE, OWNER
from timesheets.nudges import Settings, change_settings, tick


def _nudges(slack_api: SlackSandbox, user: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len(found := [m for m in slack_api.messages(user) if "You've logged" in str(m.get("text"))]) < count:
        assert time.monotonic() < deadline, "no nudge arrived"
        time.sleep(0.05)
    return found


def test_a_nudge_dm_offers_the_form_and_a_quiet_day(slack: SignedSlack, slack_api: SlackSandbox,
                                                   db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE)
    with db.session() as s:
        owner = s.scalar(select(Member).where(Member.slack_user_id == OWNER))
        assert owner is not None and owner.role_enum.rank >= Role.MANAGER.rank
        # every day at 00:00: due for everyone right now, wherever they are
        change_settings(s, owner, Settings(enabled=True, days=0b1111111, expected_minutes=450, local_minute=0))
    ack_body(slack.command("1 acme-web Review", user=ALICE))
    with db.session() as s:
        assert tick(s, utcnow()) == 2  # Alice (1 h of 7 h 30 min) and the owner
    [dm] = _nudges(slack_api, ALICE, 1)
    assert "You've logged 1 h today" in str(dm["text"]) and "7 h 30 min expected" in str(dm["text"])
    with db.session() as s:
        assert tick(s, utcnow()) == 0  # never twice a day
    ack_body(slack.message_action(ACTION_NUDGE_LOG, user=ALICE, value=button(dm["blocks"], ACTION_NUDGE_LOG)["value"],
                                  block_id="nudge"))
    assert opened_view(slack_api)["callback_id"] == "hours_log"
    ack_body(slack.message_action(ACTION_NUDGE_QUIET, user=ALICE,
                                  value=button(dm["blocks"], ACTION_NUDGE_QUIET)["value"], block_id="nudge"))
    assert "no more reminders" in str(last_response(slack_api)["text"])
    with db.session() as s:
        alice = s.scalar(select(Member).where(Member.slack_user_id == ALICE))
        assert alice is not None
        row = s.scalar(select(NudgeSchedule).where(NudgeSchedule.member_id == alice.id))
        assert row is not None and row.quiet_on is not None


def test_hours_remind_changes_ones_own_reminders(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE)
    assert "`/hours remind` — your missing-time reminders" in ack_body(slack.command("help", user=ALICE))["text"]
    body = ack_body(slack.command("remind", user=ALICE))
    assert "off in this workspace" in body["text"]
    with db.session() as s:
        owner = s.scalar(select(Member).where(Member.slack_user_id == OWNER))
        assert owner is not None
        change_settings(s, owner, Settings(enabled=True, days=0b0011111, expected_minutes=450, local_minute=1020))
    assert "at 17:00 your time (Europe/London) on Mon–Thu" in ack_body(
        slack.command("remind days mon-thu", user=ALICE))["text"]
    assert "at 18:30 your time (Europe/London) on Mon–Thu" in ack_body(
        slack.command("remind at 18:30", user=ALICE))["text"]
    assert "reminders are off" in ack_body(slack.command("remind off", user=ALICE))["text"]
    assert "isn't a time" in ack_body(slack.command("remind at 25:00", user=ALICE))["text"]
    assert "isn't a set of days" in ack_body(slack.command("remind days someday", user=ALICE))["text"]
    assert "Only managers" in _refusal(slack, db)


def _refusal(slack: SignedSlack, db: Database) -> str:
    with db.session() as s:
        alice = s.scalar(select(Member).where(Member.slack_user_id == ALICE))
        assert alice is not None
        try:
            change_settings(s, alice, Settings(enabled=False, days=1, expected_minutes=0, local_minute=0))
        except Exception as refused:  # noqa: BLE001 - the message is what is checked
            return str(refused)
    return ""


def test_a_manager_changes_the_reminders_on_home(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE)
    slack.home_opened(OWNER)
    home = slack_api.wait_for("views.publish")[-1].params["view"]
    assert "Off: nobody is reminded about missing time." in text_of(home["blocks"])
    ack_body(slack.home_action(ACTION_OPEN_NUDGE_SETTINGS, user=OWNER, value="open"))
    modal = opened_view(slack_api)
    values = {
        "nudge_enabled": {"value": {"type": "checkboxes", "selected_options": [{"value": "on"}]}},
        "nudge_days": {"value": {"type": "checkboxes", "selected_options": [{"value": d} for d in
                                                                         ("mon", "tue", "wed", "thu")]}},
        "nudge_expected": {"value": text_value("6h")},
        "nudge_time": {"value": {"type": "timepicker", "selected_time": "16:30"}},
    }
    wrong = {**values, "nudge_expected": {"value": text_value("lots")}, "nudge_days": {"value": {
        "type": "checkboxes", "selected_options": []}}}
    refused = ack_body(slack.view_submission(modal, wrong, user=OWNER))
    assert set(refused["errors"]) == {"nudge_expected", "nudge_days"}
    ack_body(slack.view_submission(modal, values, user=OWNER))
    home = slack_api.wait_for("views.publish", 2)[-1].params["view"]
    assert "On: at 16:30 in each person's own timezone on Mon–Thu" in text_of(home["blocks"])
    assert "less than 6 h that day" in text_of(home["blocks"])
    # members don't see the section, and can't open the settings
    slack.home_opened(ALICE)
    alice_home = slack_api.wait_for("views.publish", 3)[-1].params["view"]
    assert "Missing-time reminders" not in text_of(alice_home["blocks"])
    slack_api.reset_calls()
    ack_body(slack.home_action(ACTION_OPEN_NUDGE_SETTINGS, user=ALICE, value="open"))
    time.sleep(0.3)
    assert slack_api.calls_to("views.open") == []


def test_same_as_yesterday_copies_what_it_can_and_names_the_rest(slack: SignedSlack, slack_api: SlackSandbox,
                                                                 db: Database) -> None:
    catalog = make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE)
    yesterday = today_in("Europe/London") - timedelta(days=1)
    with db.session() as s:
        owner = s.scalar(select(Member).where(Member.slack_user_id == OWNER))
        alice = s.scalar(select(Member).where(Member.slack_user_id == ALICE))
        assert owner is not None and alice is not None
        add_entry(s, alice, catalog.web, yesterday, 120, description="Standup and review", hourly_rate="100")
        billed = add_entry(s, alice, catalog.app, yesterday, 60, description="Billed work")
        billed.invoice_id = make_invoice(s, s.get(Project, catalog.app).client_id).id  # type: ignore[union-attr]
        add_entry(s, alice, catalog.old, yesterday, 30, description="Old site")
        change_settings(s, owner, Settings(enabled=True, days=0b1111111, expected_minutes=450, local_minute=0))
    with db.session() as s:
        tick(s, utcnow())
    [dm] = _nudges(slack_api, ALICE, 1)
    shown = text_of(dm["blocks"])
    assert "Standup and review" in shown and "not copied: invoiced" in shown and "not copied: project archived" in shown
    same = button(dm["blocks"], ACTION_NUDGE_SAME)
    assert "Log again today: 2 h Acme — Website Standup and review" in same["confirm"]["text"]["text"]
    ack_body(slack.message_action(ACTION_NUDGE_SAME, user=ALICE, value=same["value"], block_id="nudge"))
    answer = last_response(slack_api)
    assert "Copied 1 entry onto" in str(answer["text"])
    assert "not copied: 1 h Acme — Mobile app Billed work — invoiced" in text_of(answer["blocks"])
    today = [e for e in entries_of(db, ALICE) if e.work_date == today_in("Europe/London")]
    assert [(e.project_id, e.minutes, e.description, e.hourly_rate) for e in today] == [
        (catalog.web, 120, "Standup and review", Decimal("100"))]
