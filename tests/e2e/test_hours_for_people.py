"""/hours 1 standup @alice @bob: one entry for each person named, each at their own rate and told by DM with
Undo; the reply names who was skipped and why; a member may log only for themselves."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.views.hours import ACTION_UNDO
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, Outbox, Role
from storage.types import utcnow
from tests.support.catalog import add_entry, make_catalog, set_member_rate
from tests.support.slack_app import (
    ack_body,
    button,
    entries_of,
    first_contact,
    last_response,
    text_of,
    today_in,
)
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, KIRI, OWNER, STRANGER, TEAM

DORA = "UDORA"  # deactivated in Slack, never seen by Hour Cap
ERIN = "UERIN"  # a member whom Hour Cap has recorded as deactivated


def _member(db: Database, user: str) -> Member:
    with db.session() as s:
        found = s.scalar(select(Member).where(Member.slack_user_id == user))
        assert found is not None
        return found


def _set_role(db: Database, user: str, role: Role) -> None:
    with db.session() as s:
        found = s.scalar(select(Member).where(Member.slack_user_id == user))
        assert found is not None
        found.role = role.value


def _dms(slack_api: SlackSandbox, user: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len(found := [m for m in slack_api.messages(user) if "logged time for you" in str(m.get("text"))]) < count:
        assert time.monotonic() < deadline, f"{user} was not told"
        time.sleep(0.05)
    return found


def test_a_manager_logs_one_entry_per_person_each_at_their_rate(slack: SignedSlack, slack_api: SlackSandbox,
                                                                db: Database) -> None:
    catalog = make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    _set_role(db, BOB, Role.MANAGER)
    with db.session() as s:
        set_member_rate(s, catalog.web, _member(db, ALICE).id, "150")
    body = ack_body(slack.command("1 acme-web Standup <@UALICE|alice> <@UKIRI> @me", user=BOB))
    assert "Logged for 3 people" in body["text"] and "Standup" in body["text"]
    shown = text_of(body["blocks"])
    assert "alice: 1 h on Acme — Website" in shown and "Billable at 150.00/h" in shown
    assert "kiri: 1 h" in shown and "bob: 1 h" in shown  # Kiri became a member on being named
    [alice] = entries_of(db, ALICE)
    [kiri] = entries_of(db, KIRI)
    [bob] = entries_of(db, BOB)
    assert [(e.minutes, e.description, e.hourly_rate) for e in (alice, kiri, bob)] == [
        (60, "Standup", Decimal("150")), (60, "Standup", Decimal("100")), (60, "Standup", Decimal("100"))]
    # no date: each person's own today
    assert (alice.work_date, kiri.work_date, bob.work_date) == (
        today_in("Europe/London"), today_in("Pacific/Auckland"), today_in("America/Los_Angeles"))

    [told] = _dms(slack_api, ALICE, 1)
    assert "bob logged time for you" in str(told["text"])
    undo = button(told["blocks"], ACTION_UNDO)
    assert undo["value"] == str(alice.id)
    _dms(slack_api, KIRI, 1)
    assert [m for m in slack_api.messages(BOB) if "logged time for you" in str(m.get("text"))] == []  # not himself

    ack_body(slack.message_action(ACTION_UNDO, user=ALICE, value=undo["value"], channel="D0ALICE"))
    assert "Undone" in str(last_response(slack_api))
    assert entries_of(db, ALICE) == [] and len(entries_of(db, KIRI)) == 1
    # an Undo reaches only the person's own entry: Kiri pressing one with Bob's entry id changes nothing
    ack_body(slack.message_action(ACTION_UNDO, user=KIRI, value=str(bob.id)))
    assert "can't find that time entry" in str(last_response(slack_api, 2))
    assert len(entries_of(db, BOB)) == 1


def test_the_reply_names_who_was_skipped_and_why(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    catalog = make_catalog(db)
    slack_api.add_user(DORA, team_id=TEAM, name="dora", real_name="Dora Gone", deleted=True)
    slack_api.add_user(ERIN, team_id=TEAM, name="erin", real_name="Erin Left")
    first_contact(slack, slack_api, OWNER, ALICE, BOB, ERIN)
    with db.session() as s:
        erin = s.scalar(select(Member).where(Member.slack_user_id == ERIN))
        assert erin is not None
        erin.deactivated_at, erin.inactive_reason = utcnow(), "deactivated"
        bob = s.scalar(select(Member).where(Member.slack_user_id == BOB))
        assert bob is not None
        add_entry(s, bob, catalog.app, today_in("America/Los_Angeles"), 23 * 60 + 30)
    text = f"1 acme-web Standup <@{ALICE}> <@{BOB}|bob> <@{DORA}> <@{ERIN}> <@{STRANGER}|sam> <@UNOBODY1>"
    body = ack_body(slack.command(text, user=OWNER))
    shown = text_of(body["blocks"])
    assert "Logged for 1 person" in body["text"] and "5 skipped" in body["text"]
    assert "bob skipped: over 24 h that day" in shown
    assert "erin skipped: deactivated" in shown
    assert f"{DORA} skipped: deactivated" in shown
    assert f"{STRANGER} skipped: not a member of this workspace" in shown
    assert "UNOBODY1 skipped: not a member of this workspace" in shown
    assert len(entries_of(db, ALICE)) == 1 and len(entries_of(db, BOB)) == 1
    assert entries_of(db, DORA) == entries_of(db, ERIN) == entries_of(db, STRANGER) == []
    with db.session() as s:  # nobody was made a member who Slack does not count as one here
        assert s.scalar(select(Member).where(Member.slack_user_id.in_((DORA, STRANGER, "UNOBODY1")),
                                             Member.deactivated_at.is_(None))) is None
        assert len(list(s.scalars(select(Outbox).where(Outbox.task == "hours.logged_for")))) == 1


def test_a_member_logs_only_for_themselves(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, ALICE, BOB)
    body = ack_body(slack.command(f"1 acme-web Standup <@{ALICE}|alice> <@{BOB}>", user=ALICE))
    assert "Only managers, admins and the owner can log time for other people" in body["text"]
    assert entries_of(db, ALICE) == [] and entries_of(db, BOB) == []

    body = ack_body(slack.command(f"1 acme-web Standup <@{ALICE}|alice>", user=ALICE))
    assert "Logged 1 h on Acme — Website" in body["text"]
    button(body["blocks"], ACTION_UNDO)
    body = ack_body(slack.command("0.5 acme-web @me Review <https://x.io/pr/1|PR 1> in <#C0GENERAL|general>",
                                  user=ALICE))
    assert "Logged 30 min on Acme — Website" in body["text"] and ": Review PR 1" in body["text"]
    assert [e.description for e in entries_of(db, ALICE)] == [  # Slack's markup stored as a person reads it
        "Standup", "Review PR 1 (https://x.io/pr/1) in #general"]


def test_a_name_slack_did_not_turn_into_a_mention_is_refused(slack: SignedSlack, slack_api: SlackSandbox,
                                                             db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, OWNER)
    body = ack_body(slack.command("1 acme-web Standup @alice", user=OWNER))
    assert "I can't tell who @alice is" in body["text"]
    assert entries_of(db, OWNER) == []
    body = ack_body(slack.command("1 nosuch Standup <@UALICE>", user=OWNER))
    assert "Nothing was logged" in body["text"] and entries_of(db, ALICE) == []
