"""The lock date, end to end: an admin sets it on Home; time before it refuses every surface; moving it back is
audited; members can't set it; the lock day itself stays open, in each member's own calendar."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.views.home import ACTION_APPLY_ROLE
from bot.views.hours import ACTION_DELETE, ACTION_EDIT, ACTION_UNDO
from bot.views.lock_date import ACTION_CLEAR_LOCK_DATE, ACTION_LOCK_DATE, BLOCK_LOCK_DATE
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import AuditLog, Member, Timer, Workspace
from tests.support.catalog import Catalog, make_catalog
from tests.support.slack_app import (
    ack_body,
    entries_of,
    first_contact,
    last_response,
    opened_view,
    team_state,
    text_of,
    today_in,
)
from tests.support.slack_requests import SignedSlack, next_id, picked_date, selected, text_value
from tests.support.workspace import ALICE, BOB, KIRI, OWNER, TEAM

LONDON = "Europe/London"
LOS_ANGELES = "America/Los_Angeles"
AUCKLAND = "Pacific/Auckland"


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def pick_lock_date(slack: SignedSlack, user: str, day: date) -> Any:
    """The datepicker of Home's lock date section, as Slack sends it."""
    return slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": TEAM, "hash": "h", "state": {"values": {}},
                 "blocks": []},
        "actions": [{"type": "datepicker", "action_id": ACTION_LOCK_DATE, "block_id": BLOCK_LOCK_DATE,
                     "selected_date": day.isoformat(), "action_ts": f"{time.time():.6f}"}],
    })


def lock_before(db: Database) -> date | None:
    with db.session() as s:
        return s.scalar(select(Workspace.lock_before).where(Workspace.slack_team_id == TEAM))


def _log(slack: SignedSlack, user: str, text: str) -> dict[str, Any]:
    return ack_body(slack.command(text, user=user))


def _dm_texts(slack_api: SlackSandbox, user: str) -> list[str]:
    return [c.params["text"] for c in slack_api.calls_to("chat.postMessage") if c.params.get("channel") == user]


def _told(slack_api: SlackSandbox, user: str, words: str) -> bool:
    """Whether a DM to `user` containing `words` arrives within five seconds (listeners answer after the ack)."""
    deadline = time.monotonic() + 5
    while not any(words in t for t in _dm_texts(slack_api, user)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _form(project: int, day: date, duration: str, description: str) -> dict[str, dict[str, Any]]:
    return {"project": {"value": selected(str(project))}, "date": {"value": picked_date(day.isoformat())},
            "duration": {"value": text_value(duration)}, "description": {"value": text_value(description)}}


def test_time_before_the_lock_date_is_refused_on_every_surface(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database, catalog: Catalog) -> None:
    today = today_in(LONDON)
    _log(slack, ALICE, "2 acme-web yesterday Old work")
    [old] = entries_of(db, ALICE)
    assert old.work_date == today - timedelta(days=1)
    _log(slack, ALICE, "start acme-app Late night")  # a timer that will land before the lock date
    pick_lock_date(slack, OWNER, today)
    [home] = slack_api.wait_for("views.publish")
    assert "is locked" in text_of(home.params["view"]["blocks"]) and lock_before(db) == today

    refused = _log(slack, ALICE, "1 acme-web yesterday More old work")
    assert "is locked, so this can't be logged" in refused["text"]
    assert "An admin or the owner can move the lock date back" in refused["text"]
    for action, value in ((ACTION_DELETE, f"{old.id}|week"), (ACTION_UNDO, str(old.id)),
                          (ACTION_EDIT, f"{old.id}|week")):
        slack_api.reset_calls()
        slack.message_action(action, user=ALICE, value=value)
        assert "is locked" in last_response(slack_api)["text"], action
    assert slack_api.calls_to("views.open") == []

    ack_body(slack.command("", user=ALICE))  # the Log time form refuses the date under the date field
    form = opened_view(slack_api)
    answer = slack.view_submission(form, _form(catalog.web, today - timedelta(days=1), "1", "Form"), user=ALICE)
    assert "is locked" in answer.get_json()["errors"]["date"]

    logged = _log(slack, ALICE, "1 acme-web today On the lock day")  # the lock day itself is open
    assert "Logged 1 h" in logged["text"]
    fresh = next(e for e in entries_of(db, ALICE) if e.description == "On the lock day")
    slack_api.reset_calls()
    slack.message_action(ACTION_EDIT, user=ALICE, value=f"{fresh.id}|week")
    edit = opened_view(slack_api)  # open to edit, but not to move before the lock date
    moved = slack.view_submission(edit, _form(catalog.web, today - timedelta(days=1), "1", "Moved"), user=ALICE)
    assert "can't be moved there" in moved.get_json()["errors"]["date"]

    with db.session() as s:  # the timer started before midnight: stopping it would log locked time
        timer = s.scalar(select(Timer).join(Member, Member.id == Timer.member_id).where(Member.slack_user_id == ALICE))
        assert timer is not None
        midnight = datetime.combine(today, datetime.min.time(), tzinfo=ZoneInfo(LONDON))
        timer.started_at = midnight - timedelta(minutes=1)
    assert "is locked, so this can't be logged" in _log(slack, ALICE, "stop")["text"]

    stored = {(e.description, e.work_date, e.minutes) for e in entries_of(db, ALICE)}
    assert stored == {("Old work", today - timedelta(days=1), 120), ("On the lock day", today, 60)}


def test_members_cannot_set_it_and_it_cannot_lock_the_future(slack: SignedSlack, slack_api: SlackSandbox,
                                                             db: Database, catalog: Catalog) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    pick_lock_date(slack, ALICE, today_in(LONDON))
    assert _told(slack_api, ALICE, "Only admins and the owner can change the lock date")
    pick_lock_date(slack, OWNER, today_in(LONDON) + timedelta(days=1))
    assert _told(slack_api, OWNER, "time that hasn't happened yet can't be locked")
    assert lock_before(db) is None
    with db.session() as s:
        assert s.scalars(select(AuditLog).where(AuditLog.action == "workspace.lock_date")).all() == []


def test_moving_the_lock_date_back_reopens_time_and_is_audited(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database, catalog: Catalog) -> None:
    today = today_in(LONDON)
    pick_lock_date(slack, OWNER, today)
    slack_api.wait_for("views.publish")
    assert "is locked" in _log(slack, ALICE, "1 acme-web yesterday Old")["text"]
    pick_lock_date(slack, OWNER, today - timedelta(days=7))
    slack_api.wait_for("views.publish", 2)
    assert _told(slack_api, OWNER, "Lock date moved back")
    assert "Logged 1 h" in _log(slack, ALICE, "1 acme-web yesterday Old")["text"]
    slack.home_action(ACTION_CLEAR_LOCK_DATE, user=OWNER, block_id=BLOCK_LOCK_DATE)
    slack_api.wait_for("views.publish", 3)
    assert lock_before(db) is None
    with db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "workspace.lock_date")
                         .order_by(AuditLog.id)).all()
        owner = s.scalar(select(Member.id).where(Member.slack_user_id == OWNER))
    assert [(r.details["before"], r.details["after"], r.details["direction"]) for r in rows] == [
        (None, today.isoformat(), "forward"),
        (today.isoformat(), (today - timedelta(days=7)).isoformat(), "back"),
        ((today - timedelta(days=7)).isoformat(), None, "back"),
    ]
    assert {r.actor_member_id for r in rows} == {owner}


def test_the_lock_day_is_each_members_own_calendar_day(slack: SignedSlack, slack_api: SlackSandbox,
                                                       db: Database, catalog: Catalog) -> None:
    first_contact(slack, slack_api, KIRI)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(KIRI, "admin"))
    slack_api.wait_for("views.publish")
    lock = today_in(AUCKLAND)  # Kiri, an admin in Auckland, locks everything before her today
    pick_lock_date(slack, KIRI, lock)
    deadline = time.monotonic() + 10  # the listener acks first: wait for the stored date, not for a publish count
    while lock_before(db) != lock and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock_before(db) == lock
    assert "Logged 1 h" in _log(slack, KIRI, "1 acme-web Her today")["text"]  # the lock day itself
    assert "is locked" in _log(slack, KIRI, "1 acme-web yesterday Her yesterday")["text"]
    bob_today = today_in(LOS_ANGELES)  # Bob's today, in Los Angeles, is the day before for most of the day
    answer = _log(slack, BOB, "1 acme-web His today")["text"]
    assert ("is locked" in answer) == (bob_today < lock), answer
    assert [e.work_date for e in entries_of(db, BOB)] == ([] if bob_today < lock else [bob_today])
    assert json.dumps([e.description for e in entries_of(db, KIRI)]) == '["Her today"]'


def test_logging_a_message_into_locked_time_is_refused(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                       catalog: Catalog) -> None:
    from bot.views.log_modal import CALLBACK_LOG_MESSAGE

    today = today_in(LONDON)
    pick_lock_date(slack, OWNER, today)
    slack_api.wait_for("views.publish")
    ts = slack_api.add_message("C0GENERAL", user=BOB, text="Can you check the header?")
    ack_body(slack.message_shortcut(CALLBACK_LOG_MESSAGE, user=ALICE, message_ts=ts, text="Can you check the header?",
                                    message_user=BOB, channel="C0GENERAL", channel_name="general"))
    form = opened_view(slack_api)
    answer = slack.view_submission(form, _form(catalog.web, today - timedelta(days=1), "1", "Header"), user=ALICE)
    assert "is locked, so this can't be logged" in answer.get_json()["errors"]["date"]
    assert entries_of(db, ALICE) == []
