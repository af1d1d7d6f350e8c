"""Timesheet approval end to end through signed requests: submit, send back with a note, fix and resubmit,
approve, the locked week, reopen; crafted reviews refused; concurrent decisions and edits."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.views.approvals import (
    ACTION_APPROVALS,
    ACTION_APPROVE,
    ACTION_NOTE,
    ACTION_REOPEN,
    ACTION_REVIEW_CHANNEL,
    ACTION_SEND_BACK,
    ACTION_SUBMIT,
    ACTION_SUBMIT_PREVIEW,
    BLOCK_NOTE,
    BLOCK_SETTINGS,
)
from bot.views.home import ACTION_APPLY_ROLE
from bot.views.hours import ACTION_DELETE, ACTION_EDIT
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import AuditLog, ReviewMessage, TimeEntry, WeekState, WeekSubmission
from tests.support.catalog import Catalog, make_catalog
from tests.support.jobs_fixtures import wait_for
from tests.support.slack_app import (
    ack_body,
    button,
    entries_of,
    first_contact,
    last_response,
    opened_view,
    team_state,
    text_of,
)
from tests.support.slack_requests import SignedSlack, next_id
from tests.support.workspace import ALICE, BOB, OTHER_TEAM, OWNER, STRANGER, TEAM


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def home_element(slack: SignedSlack, user: str, action: dict[str, Any]) -> Any:
    """A select on Home, as Slack sends it (the stand-in's helper sends buttons only)."""
    return slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": TEAM, "hash": "h", "state": {"values": {}},
                 "blocks": []},
        "actions": [{"block_id": BLOCK_SETTINGS, "action_ts": f"{time.time():.6f}", **action}],
    })


def approvals_on(slack: SignedSlack, slack_api: SlackSandbox) -> None:
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(ALICE, "manager"))
    home_element(slack, OWNER, {"type": "static_select", "action_id": ACTION_APPROVALS,
                                "selected_option": {"value": "on", "text": {"type": "plain_text", "text": "on"}}})
    slack_api.wait_for("views.publish", 3)  # Alice's and the owner's after the role change, the owner's again
    slack_api.wait_for("chat.postMessage")  # Alice told she is a manager
    slack_api.reset_calls()


def _log(slack: SignedSlack, user: str, text: str) -> dict[str, Any]:
    return ack_body(slack.command(text, user=user))


def dms(slack_api: SlackSandbox, user: str) -> list[dict[str, Any]]:
    return [c.params for c in slack_api.calls_to("chat.postMessage") if c.params.get("channel") == user]


def copies_on_record(db: Database, count: int) -> None:
    """Until the review message's copies are on record: the app keeps each one once Slack has answered its post,
    a moment after the DM arrives."""
    def recorded() -> bool:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(ReviewMessage)) == count
    wait_for(recorded, timeout=5, what=f"{count} review message copies on record")


def submission(db: Database) -> WeekSubmission:
    with db.session() as s:
        return s.scalars(select(WeekSubmission)).one()


def submit(slack: SignedSlack, slack_api: SlackSandbox, db: Database, user: str = BOB) -> dict[str, Any]:
    """`/hours submit`, then Submit for approval on the confirm step; returns the confirm step's answer once the
    week is stored as submitted and the person was answered (so a later answer is the newest response)."""
    confirm = _log(slack, user, "submit")
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "timesheet.submit"))
    answered = len(slack_api.calls_to("response_url"))
    slack.message_action(ACTION_SUBMIT, user=user, value=button(confirm["blocks"], ACTION_SUBMIT)["value"])
    deadline = time.monotonic() + 5  # the listener acks first, then submits: wait for the audit row
    while time.monotonic() < deadline:
        with db.session() as s:
            if s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "timesheet.submit")) > before:
                slack_api.wait_for("response_url", answered + 1)  # then it answers through the response_url
                return confirm
        time.sleep(0.02)
    raise AssertionError("the week was not submitted")


def audit_actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("timesheet.%"))
                              .order_by(AuditLog.id)))


def test_submit_send_back_fix_resubmit_approve_and_reopen(slack: SignedSlack, slack_api: SlackSandbox,
                                                          db: Database, catalog: Catalog) -> None:
    approvals_on(slack, slack_api)
    _log(slack, BOB, "2 acme-web Header")
    _log(slack, BOB, "1 acme-app Review")
    week = _log(slack, BOB, "week")  # the week list offers Submit week, which shows the totals and asks
    slack.message_action(ACTION_SUBMIT_PREVIEW, user=BOB, value=button(week["blocks"], ACTION_SUBMIT_PREVIEW)["value"])
    confirm = last_response(slack_api)
    assert "Submit your week of Mon" in confirm["text"] and "Total: 3 h" in text_of(confirm["blocks"])
    assert "Acme — Website — 2 h" in text_of(confirm["blocks"])
    slack.message_action(ACTION_SUBMIT, user=BOB, value=button(confirm["blocks"], ACTION_SUBMIT)["value"])
    assert "for approval" in last_response(slack_api, 2)["text"]
    slack_api.wait_for("chat.postMessage", 2)
    copies_on_record(db, 2)
    [review] = dms(slack_api, ALICE)
    assert [r["text"] for r in dms(slack_api, OWNER)] == [review["text"]]  # every reviewer, not Bob
    assert "bob" in review["text"] and "Total: 3 h" in text_of(review["blocks"])
    sub_id = button(review["blocks"], ACTION_APPROVE)["value"]

    [header] = [e for e in entries_of(db, BOB) if e.description == "Header"]
    slack.message_action(ACTION_DELETE, user=BOB, value=f"{header.id}|week")  # closed while waiting
    assert "waiting for review" in last_response(slack_api, 3)["text"]
    assert "waiting for review" in _log(slack, BOB, "1 acme-web More")["text"]
    waiting = text_of(_log(slack, BOB, "week")["blocks"])
    assert ":lock: in review" in waiting and ACTION_DELETE not in waiting and ACTION_EDIT not in waiting

    slack.home_opened(ALICE)  # Home shows Alice the week waiting
    [home] = slack_api.wait_for("views.publish")
    assert "Weeks waiting for review" in text_of(home.params["view"]["blocks"])
    assert "bob" in text_of(home.params["view"]["blocks"])

    updates = len(slack_api.calls_to("chat.update"))
    slack.message_action(ACTION_SEND_BACK, user=ALICE, value=sub_id)
    modal = opened_view(slack_api)
    answer = slack.view_submission(modal, {BLOCK_NOTE: {ACTION_NOTE: {"type": "plain_text_input",
                                                                      "value": "Header was 1.5 h"}}}, user=ALICE)
    assert answer.status_code == 200 and not answer.data
    slack_api.wait_for("chat.postMessage", 3)
    [told] = dms(slack_api, BOB)
    assert "sent back by alice" in told["text"] and "Header was 1.5 h" in told["text"]
    assert submission(db).state == WeekState.SENT_BACK.value
    slack_api.wait_for("chat.update", updates + 1)
    [olivia_copy] = slack_api.messages(OWNER)  # the other reviewer's copy says it is decided, without buttons
    assert "Sent back by alice" in text_of(olivia_copy["blocks"]) and ACTION_APPROVE not in text_of(
        olivia_copy["blocks"]) and "edited" in olivia_copy

    slack.message_action(ACTION_EDIT, user=BOB, value=f"{header.id}|week")  # editable again
    edit = opened_view(slack_api, 2)
    assert edit["title"]["text"] == "Edit time entry"
    answered = len(slack_api.calls_to("response_url"))
    slack.message_action(ACTION_DELETE, user=BOB, value=f"{header.id}|week")
    slack_api.wait_for("response_url", answered + 1)  # the delete's answer, before the calls are forgotten
    _log(slack, BOB, "1.5 acme-web Header")
    slack_api.reset_calls()
    submit(slack, slack_api, db)
    slack_api.wait_for("chat.postMessage", 2)
    copies_on_record(db, 2)
    [review] = dms(slack_api, ALICE)
    assert "Total: 2 h 30 min" in text_of(review["blocks"])

    updates = len(slack_api.calls_to("chat.update"))
    slack.message_action(ACTION_APPROVE, user=ALICE, value=sub_id)
    decided = last_response(slack_api, 2)
    assert "Approved by alice" in text_of(decided["blocks"])
    slack_api.wait_for("chat.update", updates + 2)  # both copies of this round (the test's press names no message)
    first_round, second_round = slack_api.messages(OWNER)
    assert "Approved by alice" in text_of(second_round["blocks"]) and ACTION_APPROVE not in text_of(
        second_round["blocks"])
    assert "Sent back by alice" in text_of(first_round["blocks"])  # the first round's copy keeps its own outcome
    [alice_first, alice_second] = [m for m in slack_api.messages(ALICE) if "— bob" in text_of(m.get("blocks", []))]
    assert "Approved by alice" in text_of(alice_second["blocks"]) and "Sent back" in text_of(alice_first["blocks"])
    slack_api.wait_for("chat.postMessage", 3)
    assert any("was approved by alice" in m["text"] for m in dms(slack_api, BOB))
    assert all(e.approval_id == int(sub_id) for e in entries_of(db, BOB))
    listed = text_of(_log(slack, BOB, "week")["blocks"])
    assert ":lock: approved" in listed and ACTION_DELETE not in listed  # no buttons that would be refused
    assert ACTION_SUBMIT_PREVIEW not in listed  # nothing left to submit

    fixed = next(e for e in entries_of(db, BOB) if e.description == "Header")
    slack.message_action(ACTION_DELETE, user=BOB, value=f"{fixed.id}|week")
    refused = last_response(slack_api, 3)["text"]
    assert "was approved by alice" in refused and "An admin or the owner can reopen it" in refused
    assert "was approved by alice" in _log(slack, BOB, "1 acme-web Late addition")["text"]

    slack.message_action(ACTION_REOPEN, user=ALICE, value=sub_id)  # managers can't reopen
    assert "Only admins and the owner can reopen an approved week" in last_response(slack_api, 4)["text"]
    slack.message_action(ACTION_REOPEN, user=OWNER, value=sub_id)
    assert "reopened by olivia" in last_response(slack_api, 5)["text"]
    assert all(e.approval_id is None for e in entries_of(db, BOB))
    slack.message_action(ACTION_DELETE, user=BOB, value=f"{fixed.id}|week")
    assert "Deleted 1 h 30 min" in text_of(last_response(slack_api, 6)["blocks"])
    assert len(entries_of(db, BOB)) == 1
    assert audit_actions(db) == ["timesheet.submit", "timesheet.send_back", "timesheet.submit", "timesheet.approve",
                                 "timesheet.reopen"]


def test_crafted_reviews_are_refused(slack: SignedSlack, two_teams: SignedSlack, slack_api: SlackSandbox,
                                     db: Database, catalog: Catalog) -> None:
    approvals_on(slack, slack_api)
    _log(slack, BOB, "2 acme-web Header")
    submit(slack, slack_api, db)
    sub_id = str(submission(db).id)
    slack.message_action(ACTION_APPROVE, user=BOB, value=sub_id)  # a member approving their own week
    assert "Only managers, admins and the owner can approve or send back timesheets" in last_response(
        slack_api, 2)["text"]
    slack.message_action(ACTION_SEND_BACK, user=BOB, value=sub_id)
    assert "Only managers" in last_response(slack_api, 3)["text"]  # answered before the next press is sent
    assert slack_api.calls_to("views.open") == []
    crafted = {"type": "modal", "callback_id": "week_send_back_modal", "private_metadata": json.dumps({"s": sub_id}),
               "blocks": []}
    slack.view_submission(crafted, {BLOCK_NOTE: {ACTION_NOTE: {"type": "plain_text_input", "value": "no"}}},
                          user=BOB)
    assert any("Only managers" in m["text"] for m in dms(slack_api, BOB))  # the crafted modal: told by DM
    two_teams.message_action(ACTION_APPROVE, user=STRANGER, team=OTHER_TEAM, value=sub_id)
    assert "not found in this workspace" in last_response(slack_api, 4)["text"]
    assert submission(db).state == WeekState.SUBMITTED.value
    assert all(e.approval_id is None for e in entries_of(db, BOB))

    _log(slack, ALICE, "1 acme-web Alice's")  # a manager can't approve her own week while others can
    submit(slack, slack_api, db, ALICE)
    with db.session() as s:
        alice_sub = s.scalars(select(WeekSubmission).where(WeekSubmission.id != int(sub_id))).one()
    slack.message_action(ACTION_APPROVE, user=ALICE, value=str(alice_sub.id))
    assert "can't review your own week" in last_response(slack_api, 6)["text"]
    slack.message_action(ACTION_APPROVE, user=OWNER, value=str(alice_sub.id))
    assert "Approved by olivia" in text_of(last_response(slack_api, 7)["blocks"])
    assert audit_actions(db) == ["timesheet.submit", "timesheet.submit", "timesheet.approve"]


def test_the_only_reviewer_reviews_their_own_week_and_a_review_channel_gets_the_message(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    first_contact(slack, slack_api, OWNER)
    home_element(slack, OWNER, {"type": "static_select", "action_id": ACTION_APPROVALS,
                                "selected_option": {"value": "on", "text": {"type": "plain_text", "text": "on"}}})
    slack_api.wait_for("views.publish")
    home_element(slack, OWNER, {"type": "conversations_select", "action_id": ACTION_REVIEW_CHANNEL,
                                "selected_conversation": "C0GENERAL"})
    slack_api.wait_for("views.publish", 2)
    _log(slack, OWNER, "2 acme-web Owner's")
    submit(slack, slack_api, db, OWNER)
    slack_api.wait_for("chat.postMessage")
    [review] = dms(slack_api, "C0GENERAL")
    slack.message_action(ACTION_APPROVE, user=OWNER, value=button(review["blocks"], ACTION_APPROVE)["value"])
    assert "Approved by olivia" in text_of(last_response(slack_api, 2)["blocks"])
    with db.session() as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.action.like("workspace.%"))
                         .order_by(AuditLog.id)).all() == [
            "workspace.approvals", "workspace.review_channel"]


def test_submitting_with_approvals_off_is_refused(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                  catalog: Catalog) -> None:
    _log(slack, BOB, "2 acme-web Header")
    assert "Timesheet approval is off" in _log(slack, BOB, "submit")["text"]
    assert ACTION_SUBMIT_PREVIEW not in text_of(_log(slack, BOB, "week")["blocks"])


def answers_about(slack_api: SlackSandbox, words: str, count: int) -> list[str]:
    """The texts of response_url answers containing `words`, once `count` of them arrived."""
    deadline = time.monotonic() + 5
    while True:
        texts = [str(c.params.get("text")) for c in slack_api.calls_to("response_url")]
        if len([t for t in texts if words in t]) >= count or time.monotonic() > deadline:
            return [t for t in texts if words in t]
        time.sleep(0.02)


def _at_once(*calls: Any) -> None:
    start = threading.Barrier(len(calls))

    def run(call: Any) -> None:
        start.wait()
        call()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_approve_and_send_back_at_once_one_wins_the_other_is_told(slack: SignedSlack, slack_api: SlackSandbox,
                                                                  db: Database, catalog: Catalog) -> None:
    approvals_on(slack, slack_api)
    _log(slack, BOB, "2 acme-web Header")
    submit(slack, slack_api, db)
    sub_id = str(submission(db).id)
    slack_api.reset_calls()
    _at_once(lambda: slack.message_action(ACTION_APPROVE, user=ALICE, value=sub_id),
             lambda: slack.message_action(ACTION_APPROVE, user=OWNER, value=sub_id))
    texts = answers_about(slack_api, "approved", 2)
    assert sum("already approved by" in t for t in texts) == 1, texts
    assert sum(": approved" in t for t in texts) == 1, texts
    assert audit_actions(db) == ["timesheet.submit", "timesheet.approve"]


def test_an_edit_and_a_submission_at_once_one_wins_the_other_is_told(slack: SignedSlack, slack_api: SlackSandbox,
                                                                     db: Database, catalog: Catalog) -> None:
    approvals_on(slack, slack_api)
    _log(slack, BOB, "2 acme-web Header")
    _log(slack, BOB, "1 acme-web Extra")
    extra = next(e for e in entries_of(db, BOB) if e.description == "Extra")
    confirm = _log(slack, BOB, "submit")
    week = button(confirm["blocks"], ACTION_SUBMIT)["value"]
    slack_api.reset_calls()
    _at_once(lambda: slack.message_action(ACTION_DELETE, user=BOB, value=f"{extra.id}|week"),
             lambda: slack.message_action(ACTION_SUBMIT, user=BOB, value=week))
    texts = [c.params["text"] for c in slack_api.wait_for("response_url", 2)]
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "timesheet.submit")).one()
        remaining = s.scalars(select(TimeEntry)).all()
    if len(remaining) == 1:  # the delete won: the submission counts what was left
        assert audit.details["minutes"] == 120
    else:  # the submission won: the delete was told why
        assert audit.details["minutes"] == 180 and any("waiting for review" in t for t in texts), texts


def test_a_line_for_several_people_skips_the_one_whose_week_is_approved(slack: SignedSlack, slack_api: SlackSandbox,
                                                                         db: Database, catalog: Catalog) -> None:
    approvals_on(slack, slack_api)
    _log(slack, BOB, "2 acme-web Header")
    submit(slack, slack_api, db)
    slack.message_action(ACTION_APPROVE, user=ALICE, value=str(submission(db).id))
    assert "Approved by alice" in text_of(last_response(slack_api, 2)["blocks"])
    body = _log(slack, OWNER, f"1 acme-web Standup <@{BOB}|bob> <@{ALICE}|alice>")
    shown = text_of(body["blocks"])
    assert "Logged for 1 person" in body["text"] and "alice: 1 h" in shown
    assert "bob skipped: The week of" in shown and "was approved by alice" in shown
    assert [e.description for e in entries_of(db, BOB)] == ["Header"]
