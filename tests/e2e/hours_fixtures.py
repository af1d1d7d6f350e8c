"""A workspace with clients and projects for the /hours end-to-end tests, and readers of what Slack was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import BillingMode, Client, Member, Project, TimeEntry, Workspace
from tests.support.workspace import TEAM

LINKED_CHANNEL = "C0ACMEWEB"


@dataclass(frozen=True)
class Catalog:
    workspace_id: int
    web: int  # acme-web: hourly 100/h, linked to LINKED_CHANNEL
    app: int  # acme-app: hourly 120/h ("Acme App" — shares the "acme a" prefix with nothing, "app" with nothing)
    retainer: int  # glob-ret: retainer 40 h / month
    old: int  # old-site: archived
    internal: int  # internal: not billable by default, no rate


def make_catalog(db: Database) -> Catalog:
    with db.session() as s:
        workspace = s.scalar(select(Workspace).where(Workspace.slack_team_id == TEAM))
        if workspace is None:
            workspace = Workspace(slack_team_id=TEAM, name="Acme Studio")
            s.add(workspace)
            s.flush()
        wid = workspace.id
        acme = Client(workspace_id=wid, name="Acme", name_key="acme")
        globex = Client(workspace_id=wid, name="Globex", name_key="globex")
        us = Client(workspace_id=wid, name="Acme Studio", name_key="acme studio")
        s.add_all([acme, globex, us])
        s.flush()

        def project(client: Client, name: str, code: str, **extra: Any) -> int:
            row = Project(workspace_id=wid, client_id=client.id, name=name, code=code, code_key=code.lower(), **extra)
            s.add(row)
            s.flush()
            return row.id

        return Catalog(
            workspace_id=wid,
            web=project(acme, "Website", "acme-web", hourly_rate=Decimal("100"), slack_channel_id=LINKED_CHANNEL),
            app=project(acme, "Mobile app", "acme-app", hourly_rate=Decimal("120")),
            retainer=project(globex, "Support retainer", "glob-ret", hourly_rate=Decimal("90"),
                             billing_mode=BillingMode.RETAINER.value, retainer_amount=Decimal("3000"),
                             retainer_included_minutes=40 * 60),
            old=project(acme, "Old site", "old-site", hourly_rate=Decimal("80"), archived=True),
            internal=project(us, "Internal", "internal", billable_default=False),
        )


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
