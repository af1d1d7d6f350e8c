"""People Slack no longer counts as active members (deactivated, a bot, another workspace), and requests that
name another workspace than the one they were authorized for: signed requests into the app, Slack's stand-in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.views.catalog import ids as catalog_ids
from bot.views.home import ACTION_APPLY_ROLE
from invoicing.preview import InvoiceRequest, build_preview
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Client, Member, Project, Role, Workspace
from tests.support.catalog import Catalog, make_catalog, make_member, make_workspace
from tests.support.slack_app import ack_body, entries_of, first_contact, opened_view, team_state, today_in
from tests.support.slack_requests import SignedSlack, next_id, picked_date, selected, text_value
from tests.support.workspace import OTHER_TEAM, OWNER, STRANGER, TEAM

DEACTIVATED = "deactivated in this workspace"
NOT_INSTALLED = "Hour Cap is not installed for your workspace"


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def person(slack_api: SlackSandbox, name: str, **flags: Any) -> str:
    """A new person of TEAM in the stand-in (its users are kept between tests: each test makes its own)."""
    user_id = next_id("UP")
    slack_api.add_user(user_id, team_id=flags.pop("team_id", TEAM), name=name, real_name=name.title(),
                       tz="Europe/London", **flags)
    return user_id


def user_change(slack: SignedSlack, user: dict[str, Any], *, event_time: int | None = None,
                team: str | None = None) -> None:
    """Slack's user_change event for `user` (the object users.info shows), as the Events API delivers it."""
    envelope = {
        "token": "verification-token-unused", "team_id": team or TEAM, "api_app_id": slack.app_id,
        "event": {"type": "user_change", "user": user, "cache_ts": int(time.time()), "event_ts": f"{time.time():.6f}"},
        "type": "event_callback", "event_id": next_id("Ev"), "event_time": event_time or int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team or TEAM, "user_id": "UBOT", "is_bot": True}],
    }
    assert slack.post(json.dumps(envelope).encode(), "application/json").status_code == 200


def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Events are acknowledged before their listener runs: wait for the side effect."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the event's effect never showed"
        time.sleep(0.02)


def stays(check: Callable[[], bool], seconds: float = 0.5) -> None:
    """The condition holds for a while after an event that should change nothing (its listener has run by then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert check()
        time.sleep(0.02)


def standing(db: Database, user: str) -> tuple[str | None, bool] | None:
    """(inactive reason, deactivated) of the person's member row, or None when there is none."""
    with db.session() as s:
        found = s.scalars(select(Member).where(Member.slack_user_id == user)).one_or_none()
        return None if found is None else (found.inactive_reason, found.deactivated_at is not None)


def log_values(project: int, day: str, duration: str, description: str) -> dict[str, dict[str, Any]]:
    return {"project": {"value": selected(str(project))}, "date": {"value": picked_date(day)},
            "duration": {"value": text_value(duration)}, "description": {"value": text_value(description)}}


def members_named(db: Database, user: str) -> list[Member]:
    with db.session() as s:
        return list(s.scalars(select(Member).where(Member.slack_user_id == user)))


# ---- deactivated people ------------------------------------------------------------------------------------


def test_a_deactivated_person_cannot_log_time_and_their_entries_stay(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    dora = person(slack_api, "dora")
    first_contact(slack, slack_api, OWNER, dora)
    assert "Logged 2 h" in ack_body(slack.command("2 acme-web Header", user=dora))["text"]
    ack_body(slack.command("", user=dora))
    form = opened_view(slack_api)  # open before the deactivation, submitted after it
    slack_api.reset_calls()

    user_change(slack, slack_api.deactivate_user(dora))
    until(lambda: standing(db, dora) == ("deactivated", True))

    refused = ack_body(slack.command("1 acme-web More", user=dora))
    assert DEACTIVATED in refused["text"] and "ask an admin" in refused["text"]
    assert DEACTIVATED in ack_body(slack.command("", user=dora))["text"]
    assert DEACTIVATED in ack_body(slack.command("start acme-web Research", user=dora))["text"]
    assert slack_api.calls_to("views.open") == []  # no form opens
    answer = ack_body(slack.view_submission(form, log_values(catalog.web, today_in("Europe/London").isoformat(),
                                                             "1", "From the form"), user=dora))
    assert answer["response_action"] == "errors" and DEACTIVATED in json.dumps(answer["errors"])
    [kept] = entries_of(db, dora)
    assert (kept.minutes, kept.description) == (120, "Header")

    # Invoices still bill their time.
    with db.session() as s:
        owner = s.scalars(select(Member).where(Member.slack_user_id == OWNER)).one()
        project = s.get(Project, catalog.web)
        assert project is not None
        client = s.get(Client, project.client_id)
        assert client is not None
        client.xero_contact_id = "contact-acme"  # linked, as invoicing needs
        s.flush()
        today = today_in("Europe/London")
        preview = build_preview(s, owner, InvoiceRequest(client_id=project.client_id, start=today - timedelta(days=1),
                                                         end=today, grouping="member"), today)
        assert kept.id in preview.entry_ids

    # Reactivated: logging works again.
    user_change(slack, slack_api.reactivate_user(dora))
    until(lambda: standing(db, dora) == (None, False))
    assert "Logged 1 h" in ack_body(slack.command("1 acme-web More", user=dora))["text"]


def test_user_change_is_idempotent_ordered_and_scoped_to_its_workspace(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    eve, newcomer = person(slack_api, "eve"), person(slack_api, "newcomer")
    first_contact(slack, slack_api, OWNER, eve)
    with db.session() as s:  # the same Slack id in another workspace (Enterprise Grid ids span workspaces)
        other = make_workspace(s, OTHER_TEAM, "Other Co")
        make_member(s, other, eve)
    now = int(time.time())
    gone = slack_api.deactivate_user(eve)
    user_change(slack, gone, event_time=now)
    until(lambda: standing_in(db, eve, TEAM) == ("deactivated", True))
    user_change(slack, gone, event_time=now)  # delivered twice (a new event id): the same state
    stays(lambda: standing_in(db, eve, TEAM) == ("deactivated", True))
    back = slack_api.reactivate_user(eve)
    user_change(slack, back, event_time=now - 60)  # older than what is recorded: arrives late, changes nothing
    stays(lambda: standing_in(db, eve, TEAM) == ("deactivated", True))
    user_change(slack, back, event_time=now + 1)
    until(lambda: standing_in(db, eve, TEAM) == (None, False))
    assert standing_in(db, eve, OTHER_TEAM) == (None, False)  # never touched by TEAM's events

    user_change(slack, {**back, "is_bot": True}, event_time=now + 2)
    until(lambda: standing_in(db, eve, TEAM) == ("bot", True))
    user_change(slack, {**back, "team_id": "T0ELSEWHERE"}, event_time=now + 3)
    until(lambda: standing_in(db, eve, TEAM) == ("elsewhere", True))
    assert "belongs to another workspace" in ack_body(slack.command("1 acme-web Work", user=eve))["text"]
    user_change(slack, {**back, "profile": {**back["profile"], "display_name": "eve2"}, "tz": "Asia/Tokyo"},
                event_time=now + 4)
    until(lambda: standing_in(db, eve, TEAM) == (None, False))
    with db.session() as s:
        row = s.scalars(select(Member).join(Workspace).where(Member.slack_user_id == eve,
                                                             Workspace.slack_team_id == TEAM)).one()
        assert (row.display_name, row.timezone) == ("eve2", "Asia/Tokyo")

    user_change(slack, slack_api.user_object(newcomer))  # nobody becomes a member through an event
    stays(lambda: members_named(db, newcomer) == [])


def standing_in(db: Database, user: str, team: str) -> tuple[str | None, bool]:
    with db.session() as s:
        row = s.scalars(select(Member).join(Workspace).where(Member.slack_user_id == user,
                                                             Workspace.slack_team_id == team)).one()
        return row.inactive_reason, row.deactivated_at is not None


def test_deactivated_people_drop_out_of_lists_and_pickers(slack: SignedSlack, slack_api: SlackSandbox,
                                                          db: Database) -> None:
    fay = person(slack_api, "fay")
    first_contact(slack, slack_api, OWNER, fay)
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(fay, "manager"))
    slack_api.wait_for("chat.postMessage")
    with db.session() as s:
        s.scalars(select(Member).where(Member.slack_user_id == fay)).one().default_rate = Decimal("75.00")
    home = json.dumps(slack_api.wait_for("views.publish", 2)[0].params["view"])
    assert f"<@{fay}>" in home
    slack.home_action(catalog_ids.ACTION_DEFAULT_RATES, user=OWNER)
    assert fay in json.dumps(opened_view(slack_api))

    user_change(slack, slack_api.deactivate_user(fay))
    until(lambda: standing(db, fay) == ("deactivated", True))
    slack_api.reset_calls()
    slack.home_opened(OWNER)
    home = json.dumps(slack_api.wait_for("views.publish")[0].params["view"])
    assert f"<@{fay}>" not in home  # the Team section lists active people only
    slack.home_action(catalog_ids.ACTION_DEFAULT_RATES, user=OWNER)
    assert fay not in json.dumps(opened_view(slack_api))
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(fay, "admin"))  # picked anyway
    assert "deactivated" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    with db.session() as s:
        assert s.scalars(select(Member.role).where(Member.slack_user_id == fay)).one() == Role.MANAGER.value


def test_a_lookup_that_finds_the_account_deleted_records_it(slack: SignedSlack, slack_api: SlackSandbox,
                                                            db: Database, catalog: Catalog) -> None:
    gus, hal = person(slack_api, "gus"), person(slack_api, "hal", deleted=True)
    first_contact(slack, slack_api, OWNER, gus)
    slack_api.deactivate_user(gus)  # no event reached Hour Cap
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(gus, "manager"))
    assert "deactivated" in slack_api.wait_for("chat.postMessage")[0].params["text"]
    assert standing(db, gus) == ("deactivated", True)  # recorded although the role change was refused
    assert DEACTIVATED in ack_body(slack.command("1 acme-web Work", user=gus))["text"]

    slack.home_opened(hal)  # first contact of an account Slack reports deleted
    slack_api.wait_for("views.publish")
    assert standing(db, hal) == ("deactivated", True)
    assert DEACTIVATED in ack_body(slack.command("1 acme-web Work", user=hal))["text"]
    assert entries_of(db, gus) == entries_of(db, hal) == []


# ---- the workspace a request is for -------------------------------------------------------------------------


def test_a_request_for_another_workspace_creates_nothing_and_says_why(slack: SignedSlack, slack_api: SlackSandbox,
                                                                      db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    answer = ack_body(slack.command("2 acme-web Work", user=STRANGER, team=OTHER_TEAM))
    assert NOT_INSTALLED in answer["text"] and answer["response_type"] == "ephemeral"
    assert members_named(db, STRANGER) == []
    with db.session() as s:
        assert s.scalars(select(Workspace.slack_team_id)).all() == [TEAM]


def _shared_channel_action(slack: SignedSlack, user: str, user_team: str, response_url: str) -> Any:
    """A button pressed in a Slack Connect channel of TEAM by someone whose own workspace is `user_team`."""
    return slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": user_team}, "api_app_id": slack.app_id,
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0SHARED",
                      "is_ephemeral": True},
        "channel": {"id": "C0SHARED", "name": "shared"}, "trigger_id": next_id("trigger."),
        "response_url": response_url, "is_enterprise_install": False, "is_ext_shared_channel": True,
        "actions": [{"action_id": "hours_page", "block_id": "b", "type": "button", "value": "week|1",
                     "action_ts": f"{time.time():.6f}"}],
    })


def test_a_stranger_from_a_shared_channel_is_told_and_nothing_is_created(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    ivy = person(slack_api, "ivy", team_id=OTHER_TEAM, shared_with=(TEAM,))  # Slack answers users.info for her
    first_contact(slack, slack_api, OWNER)
    hook = f"{slack_api.response_url_base}actions/{TEAM}/{next_id('')}"
    assert _shared_channel_action(slack, ivy, OTHER_TEAM, hook).status_code == 200
    told = slack_api.wait_for("response_url")[0].params
    assert NOT_INSTALLED in told["text"] and told["response_type"] == "ephemeral"
    assert members_named(db, ivy) == []
    # Her slash command in the shared channel names our team only; Slack's answer about her still decides.
    assert NOT_INSTALLED in ack_body(slack.command("list", user=ivy))["text"]
    assert members_named(db, ivy) == []


def test_a_member_confirmed_by_slack_acts_in_the_authorized_workspace(slack: SignedSlack, slack_api: SlackSandbox,
                                                                      db: Database) -> None:
    """A modal opened from another workspace carries `view.app_installed_team_id`: Bolt authorizes that
    workspace, and a person Slack places there becomes its member."""
    jo = person(slack_api, "jo")
    response = slack.interaction({
        "type": "block_actions", "team": {"id": OTHER_TEAM, "domain": "other"},
        "user": {"id": jo, "username": "jo", "team_id": TEAM}, "api_app_id": slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VSHARED"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VSHARED", "type": "modal", "team_id": OTHER_TEAM, "app_installed_team_id": TEAM,
                 "callback_id": "other", "hash": "h", "private_metadata": "",
                 "state": {"values": team_state(OWNER, "member")}, "blocks": []},
        "actions": [{"action_id": ACTION_APPLY_ROLE, "block_id": "b", "type": "button",
                     "action_ts": f"{time.time():.6f}"}],
    })
    assert response.status_code == 200
    assert "Only admins" in slack_api.wait_for("chat.postMessage")[0].params["text"]  # an ordinary member now
    [row] = members_named(db, jo)
    with db.session() as s:
        workspace = s.get(Workspace, row.workspace_id)
        assert workspace is not None and workspace.slack_team_id == TEAM
        assert s.scalars(select(Workspace.slack_team_id).where(Workspace.slack_team_id == OTHER_TEAM)).all() == []
