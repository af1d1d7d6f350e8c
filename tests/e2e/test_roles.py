"""Roles are checked on the server: crafted payloads from members are refused, admins' work."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.views.home import ACTION_APPLY_ROLE, ACTION_TRANSFER
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import AuditLog, Member, Role, Workspace
from tests.support.slack_app import first_contact, team_state
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, KIRI, OTHER_TEAM, OWNER, STRANGER, TEAM


def role_of(db: Database, user: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Member.role).where(Member.slack_user_id == user))


def test_first_contact_creates_members_with_slack_profile(slack: SignedSlack, slack_api: SlackSandbox,
                                                          db: Database) -> None:
    first_contact(slack, slack_api, OWNER, KIRI)
    with db.session() as s:
        members = {m.slack_user_id: m for m in s.scalars(select(Member))}
    assert members[OWNER].role == Role.OWNER  # a Slack workspace admin claims ownership in token mode
    assert members[KIRI].role == Role.MEMBER
    assert members[KIRI].timezone == "Pacific/Auckland"
    assert members[KIRI].display_name == "kiri" or members[KIRI].display_name == "Kiri Kahu"


def test_profile_is_fetched_later_when_slack_cannot_answer(slack: SignedSlack, slack_api: SlackSandbox,
                                                           db: Database) -> None:
    slack_api.fail_next("users.info", status=500)
    slack.home_opened(BOB)
    slack_api.wait_for("views.publish")
    with db.session() as s:
        bob = s.scalars(select(Member).where(Member.slack_user_id == BOB)).one()
        assert (bob.timezone, bob.profile_fetched_at) == ("UTC", None)
    slack.home_opened(BOB)
    slack_api.wait_for("views.publish", 2)
    with db.session() as s:
        assert s.scalars(select(Member).where(Member.slack_user_id == BOB)).one().timezone == "America/Los_Angeles"


def test_member_crafted_role_change_is_refused(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    response = slack.home_action(ACTION_APPLY_ROLE, user=ALICE, state=team_state(ALICE, "admin"))
    assert response.status_code == 200
    dm = slack_api.wait_for("chat.postMessage")[0]
    assert dm.params["channel"] == ALICE
    assert "Only admins and the owner can change roles" in dm.params["text"]
    assert role_of(db, ALICE) == Role.MEMBER
    assert slack_api.calls_to("views.publish") == []
    with db.session() as s:
        assert s.scalars(select(AuditLog)).all() == []


def test_admin_changes_a_role_and_everyone_sees_it(slack: SignedSlack, slack_api: SlackSandbox,
                                                   db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(ALICE, "admin"))
    slack_api.wait_for("chat.postMessage")
    assert role_of(db, ALICE) == Role.ADMIN
    # Alice, now an admin, makes Bob a manager.
    slack_api.reset_calls()
    slack.home_action(ACTION_APPLY_ROLE, user=ALICE, state=team_state(BOB, "manager"))
    dm = slack_api.wait_for("chat.postMessage")[0]
    assert role_of(db, BOB) == Role.MANAGER
    assert dm.params["channel"] == BOB and "manager" in dm.params["text"]
    published = {c.params["user_id"]: c.params["view"] for c in slack_api.wait_for("views.publish", 2)}
    alice_home = json.dumps(published[ALICE], ensure_ascii=False)
    assert "Team" in alice_home and f"<@{BOB}> — Manager" in alice_home
    assert "Invoices" in json.dumps(published[BOB], ensure_ascii=False)  # managers see the invoice section
    with db.session() as s:
        actions = [(a.action, a.details) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-1] == ("role.change", {"old": "member", "new": "manager"})


def test_admin_cannot_touch_the_owner_or_grant_ownership(slack: SignedSlack, slack_api: SlackSandbox,
                                                         db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(ALICE, "admin"))
    slack_api.wait_for("chat.postMessage")
    slack_api.reset_calls()
    slack.home_action(ACTION_APPLY_ROLE, user=ALICE, state=team_state(OWNER, "member"))
    assert "owner's role cannot be changed" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    slack_api.reset_calls()
    slack.home_action(ACTION_APPLY_ROLE, user=ALICE, state=team_state(BOB, "owner"))
    assert "Transfer ownership" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    slack_api.reset_calls()
    slack.home_action(ACTION_TRANSFER, user=ALICE, state=team_state(ALICE, None))
    assert "Only the owner can transfer ownership" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    assert role_of(db, OWNER) == Role.OWNER


def test_owner_transfers_ownership(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER, KIRI)
    slack.home_action(ACTION_TRANSFER, user=OWNER, state=team_state(KIRI, None))
    slack_api.wait_for("chat.postMessage")
    assert (role_of(db, KIRI), role_of(db, OWNER)) == (Role.OWNER, Role.ADMIN)


def test_missing_choice_gets_a_friendly_message(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(None, "manager"))
    assert slack_api.wait_for("chat.postMessage")[0].params["text"] == "Pick a person first."
    slack_api.reset_calls()
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(ALICE, None))
    assert "Pick a role" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    assert role_of(db, ALICE) is None  # nothing created or changed


@pytest.mark.parametrize(("picked", "fragment"), [
    (STRANGER, "Slack couldn't tell me about that person"),  # another organisation's person: Slack won't say
    ("UROBOT01", "is an app, not a person"),
    ("UGONE001", "Slack account is deactivated"),
    ("<@U1>", "not a person Slack knows"),
    ("W0OTHERORG", "Slack couldn't tell me about that person"),
])
def test_only_active_people_of_the_workspace_can_take_a_role_or_ownership(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, picked: str, fragment: str) -> None:
    slack_api.add_user("UROBOT01", team_id="T0HOURCAP", name="robot", is_bot=True)
    slack_api.add_user("UGONE001", team_id="T0HOURCAP", name="gone", real_name="Gone Away", deleted=True)
    first_contact(slack, slack_api, OWNER)
    for action, state in ((ACTION_APPLY_ROLE, team_state(picked, "manager")), (ACTION_TRANSFER, team_state(picked,
                                                                                                           None))):
        slack_api.reset_calls()
        slack.home_action(action, user=OWNER, state=state)
        assert fragment in slack_api.wait_for("chat.postMessage")[0].params["text"]
        assert role_of(db, picked) is None  # no member row was created for them
    assert role_of(db, OWNER) == Role.OWNER


def test_people_of_another_workspace_are_separate(slack: SignedSlack, slack_api: SlackSandbox,
                                                  db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    # A user from another team pressing an admin button: Hour Cap acts only in the workspace its token is for,
    # where Slack does not know them; nothing is created, for them or for their team.
    slack.home_action(ACTION_APPLY_ROLE, user=STRANGER, team=OTHER_TEAM, state=team_state(OWNER, "member"))
    assert "not installed for your workspace" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    assert role_of(db, OWNER) == Role.OWNER
    assert role_of(db, STRANGER) is None
    with db.session() as s:
        assert s.scalars(select(Workspace.slack_team_id)).all() == [TEAM]


def test_unexpected_failure_apologises_with_a_reference(slack: SignedSlack, slack_api: SlackSandbox,
                                                        db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    slack_api.fail_next("views.publish", error="internal_error", status=200)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(ALICE, "manager"))
    text = slack_api.wait_for("chat.postMessage")[-1].params["text"]
    assert "Sorry" in text and "reference" in text
