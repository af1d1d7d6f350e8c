"""Budget alerts in the project's linked channel: a switch of the project modal (retainer and fixed-budget
projects, which need a linked channel for it); the alert is posted there as well as DM'd, once per threshold; a
channel Slack refuses (Hour Cap not in it) is tried once and the managers' DMs say the post failed and why."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.views.catalog import ids
from catalog.form_input import Field
from sandbox.slack import SlackSandbox
from sandbox.slack_state import DEFAULT_BOT_SCOPES
from storage.db import Database
from storage.models import Member, Project
from tests.support.catalog import Catalog, add_entry, make_catalog
from tests.support.slack_app import ack_body, first_contact, today_in
from tests.support.slack_requests import SignedSlack, selected, text_value
from tests.support.workspace import ALICE, BOB, BOT_TOKEN, OWNER, TEAM

POSTS, SILENT = "C0GLOBEX", "C0QUIET"  # Hour Cap is in the first, not in the second


def _alerts(slack_api: SlackSandbox, channel: str, count: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return [m for m in slack_api.messages(channel) if "included in" in str(m.get("text"))]

    deadline = time.monotonic() + 5
    while len(found()) < count:
        assert time.monotonic() < deadline, f"no alert in {channel}"
        time.sleep(0.05)
    time.sleep(0.3)  # a second alert, if one were wrongly sent, would arrive in this time
    return found()


def _link(db: Database, catalog: Catalog, channel: str) -> None:
    with db.session() as s:
        project = s.get(Project, catalog.retainer)
        assert project is not None
        project.slack_channel_id, project.budget_alerts_in_channel = channel, True
        bob = s.scalar(select(Member).where(Member.slack_user_id == BOB))
        assert bob is not None
        for minutes in (16 * 60, 15 * 60):  # 31 h of 40: 77 %
            add_entry(s, bob, catalog.retainer, today_in("Europe/London"), minutes, hourly_rate="90")


def _values(client_id: int, code: str, channel: str | None, post: bool) -> dict[str, dict[str, Any]]:
    return {Field.PROJECT_CLIENT: {ids.ACTION_PROJECT_CLIENT: selected(str(client_id))},
            Field.PROJECT_NAME: {ids.ACTION_PROJECT_NAME: text_value("Rebrand")},
            Field.CODE: {ids.ACTION_CODE: text_value(code)}, Field.RATE: {ids.ACTION_RATE: text_value("100")},
            Field.MODE: {ids.ACTION_MODE: selected("fixed_budget", "radio_buttons")},
            Field.BUDGET: {ids.ACTION_BUDGET: text_value("5000")},
            Field.CHANNEL: {ids.ACTION_CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
            Field.CHANNEL_ALERTS: {ids.ACTION_CHANNEL_ALERTS: {
                "type": "checkboxes", "selected_options": [{"value": ids.CHANNEL_ALERTS_VALUE}] if post else []}}}


def test_the_project_modal_offers_the_switch_for_budgets_and_needs_a_channel(slack: SignedSlack,
                                                                             slack_api: SlackSandbox,
                                                                             db: Database) -> None:
    make_catalog(db)
    first_contact(slack, slack_api, OWNER)
    with db.session() as s:
        client_id = s.scalar(select(Project.client_id).where(Project.code == "glob-ret"))
        assert client_id is not None
    slack_api.reset_calls()
    slack.home_action(ids.ACTION_NEW_PROJECT, user=OWNER)
    opened = slack_api.wait_for("views.open")[0].params["view"]
    assert Field.CHANNEL_ALERTS not in [b.get("block_id") for b in opened["blocks"]]  # hourly: no budget alerts
    view = next(iter(slack_api.views.values()))
    slack_api.reset_calls()
    slack.view_action(ids.ACTION_MODE, user=OWNER, block_id=Field.MODE, action_type="radio_buttons",
                      selected={"value": "fixed_budget", "text": {"type": "plain_text", "text": "Fixed budget"}},
                      view={**view, "state": {"values": _values(client_id, "glob-brand", None, True)}})
    reshaped = slack_api.wait_for("views.update")[0].params["view"]
    assert Field.CHANNEL_ALERTS in [b.get("block_id") for b in reshaped["blocks"]]
    refused = slack.view_submission(reshaped, _values(client_id, "glob-brand", None, True), user=OWNER)
    assert refused.get_json()["errors"][Field.CHANNEL] == "Pick the channel to post the budget alerts in."
    saved = slack.view_submission(reshaped, _values(client_id, "glob-brand", POSTS, True), user=OWNER)
    assert saved.status_code == 200 and not saved.get_data(as_text=True).strip()
    with db.session() as s:
        project = s.scalar(select(Project).where(Project.code == "glob-brand"))
        assert project is not None and (project.slack_channel_id, project.budget_alerts_in_channel) == (POSTS, True)


def test_an_alert_is_posted_in_the_linked_channel_once_per_threshold(slack: SignedSlack, slack_api: SlackSandbox,
                                                                     db: Database) -> None:
    slack_api.add_channel(POSTS, "globex", team_id=TEAM, is_member=True)
    catalog = make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    _link(db, catalog, POSTS)
    ack_body(slack.command("1 glob-ret Tickets", user=ALICE))  # 32 h of 40: 80 %
    [posted] = _alerts(slack_api, POSTS, 1)
    assert "80% of the 40 h included" in str(posted["text"]) and posted["blocks"][1]["type"] == "actions"
    [dm] = _alerts(slack_api, OWNER, 1)
    assert "could not be posted" not in str(dm["blocks"])
    ack_body(slack.command("0.5 glob-ret Tickets", user=ALICE))  # 81 %: nothing new
    assert len(_alerts(slack_api, POSTS, 1)) == 1


def test_a_channel_without_hour_cap_is_tried_once_and_the_managers_are_told(slack: SignedSlack,
                                                                            slack_api: SlackSandbox,
                                                                            db: Database) -> None:
    # installed without chat:write.public: Slack refuses a post in a channel Hour Cap was not invited to
    slack_api.add_static_token(BOT_TOKEN, TEAM, scopes=[s for s in DEFAULT_BOT_SCOPES if s != "chat:write.public"])
    slack_api.add_channel(SILENT, "globex-quiet", team_id=TEAM, is_member=False)
    catalog = make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    _link(db, catalog, SILENT)
    slack_api.reset_calls()
    ack_body(slack.command("1 glob-ret Tickets", user=ALICE))  # 80 %
    [dm] = _alerts(slack_api, OWNER, 1)
    note = str(dm["blocks"][-1])
    assert f"could not be posted in <#{SILENT}>" in note and "Hour Cap isn't in that channel" in note
    assert slack_api.messages(SILENT) == []
    tried = [c for c in slack_api.calls_to("chat.postMessage") if c.params.get("channel") == SILENT]
    assert len(tried) == 1  # refused like Slack (not_in_channel), not retried
