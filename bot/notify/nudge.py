"""The missing-time nudge (task ``nudges.send``): one DM, recorded once per member and local day by the tick."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.slack_clients import SlackNotInstalled
from bot.views.nudge import nudge_message
from jobs.registry import JobContext, TaskRegistry
from storage.models import Member, Workspace
from timesheets.copy_day import day_entries
from timesheets.nudges import NUDGE_TASK, logged_minutes, previous_working_day, workspace_settings

log = logging.getLogger(__name__)


def send(ctx: JobContext, member_id: int, day: str) -> None:
    local_day = date.fromisoformat(day)
    with ctx.db.session() as session:
        member = session.get(Member, member_id)
        workspace = session.get(Workspace, member.workspace_id) if member is not None else None
        if member is None or workspace is None or member.deactivated_at is not None:
            return
        settings = workspace_settings(session, member.workspace_id)
        logged = logged_minutes(session, member, local_day)
        yesterday = day_entries(session, member, previous_working_day(session, member, local_day))
        if logged >= settings.expected_minutes:
            return  # logged enough since the tick looked
        user_id, team_id, enterprise_id = member.slack_user_id, workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token: nudge for member %s not sent", member_id)
        return
    text, blocks = nudge_message(local_day, logged, settings.expected_minutes, yesterday)
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not DM member %s a nudge: %s", member_id, exc.response.get("error"))


def register(tasks: TaskRegistry) -> None:
    tasks.add(NUDGE_TASK, send)
