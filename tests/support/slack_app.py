"""Driving the app through the Slack stand-in and reading what Slack was sent: first contact, Home's team
controls, acknowledgements, blocks and buttons, opened and stored modals, response_url posts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.views.home import ACTION_PICK_ROLE, ACTION_PICK_USER, BLOCK_TEAM_CONTROLS
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, TimeEntry
from tests.support.slack_requests import SignedSlack


def first_contact(slack: SignedSlack, slack_api: SlackSandbox, *users: str) -> None:
    """Each user opens Home once (becoming a member); calls forgotten afterwards."""
    for user in users:
        slack.home_opened(user)
    slack_api.wait_for("views.publish", len(users))
    slack_api.reset_calls()


def team_state(user: str | None, role: str | None) -> dict[str, dict[str, object]]:
    """Home's team controls as a block_actions state: the picked user and role."""
    block: dict[str, object] = {}
    if user is not None:
        block[ACTION_PICK_USER] = {"type": "users_select", "selected_user": user}
    if role is not None:
        block[ACTION_PICK_ROLE] = {"type": "static_select",
                                   "selected_option": {"value": role, "text": {"type": "plain_text", "text": role}}}
    return {BLOCK_TEAM_CONTROLS: block}


def today_in(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def entries_of(db: Database, user: str) -> list[TimeEntry]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry).join(Member, Member.id == TimeEntry.member_id)
                              .where(Member.slack_user_id == user).order_by(TimeEntry.id)))


def ack_body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.data
    return response.get_json() if response.data else {}


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in the blocks, for assertions."""
    return json.dumps(blocks, ensure_ascii=False)


def button(blocks: list[dict[str, Any]], action_id: str, index: int = 0) -> dict[str, Any]:
    found = [element for block in blocks
             for element in ([block.get("accessory")] if block.get("accessory") else []) + block.get("elements", [])
             if isinstance(element, dict) and element.get("action_id") == action_id]
    return found[index]


def opened_view(slack_api: SlackSandbox, count: int = 1) -> dict[str, Any]:
    view: dict[str, Any] = slack_api.wait_for("views.open", count)[-1].params["view"]
    return view


def last_response(slack_api: SlackSandbox, count: int = 1) -> dict[str, Any]:
    params: dict[str, Any] = slack_api.wait_for("response_url", count)[-1].params
    return params


def stored_view(slack_api: SlackSandbox) -> dict[str, Any]:
    """The newest modal as Slack holds it (with its id and hash), as a block_actions payload carries it."""
    views = slack_api.views
    return views[list(views)[-1]]
