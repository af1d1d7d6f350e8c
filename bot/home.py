"""Publishing App Home for one person: read through the use cases, render, views.publish."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.views.home import HomeModel, TeamRow, build_home
from storage.db import Database
from storage.models import Role
from team.admin import roster
from team.members import get_member
from team.roles import has_role
from timesheets.summary import member_today, week_totals


def home_model(db: Database, workspace_id: int, member_id: int) -> tuple[str, HomeModel]:
    """(Slack user id, what their Home shows)."""
    with db.session() as session:
        member = get_member(session, workspace_id, member_id)
        today = member_today(member)
        team: tuple[TeamRow, ...] = ()
        if has_role(member, Role.ADMIN):
            team = tuple(TeamRow(m.slack_user_id, m.role_enum) for m in roster(session, workspace_id))
        return member.slack_user_id, HomeModel(
            role=member.role_enum, today=today, week=week_totals(session, member, today), team=team
        )


def publish_home(client: WebClient, db: Database, workspace_id: int, member_id: int) -> None:
    user_id, model = home_model(db, workspace_id, member_id)
    client.views_publish(user_id=user_id, view=build_home(model))
