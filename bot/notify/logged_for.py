"""The DM to a person someone else logged time for (task ``hours.logged_for``), with Undo."""

from __future__ import annotations

import logging

from bot.slack_clients import SlackNotInstalled
from bot.views.hours import logged_for_message
from jobs.registry import JobContext, TaskRegistry
from storage.models import TimeEntry, Workspace
from timesheets.team_entries import LOGGED_FOR_TASK, logged_for_notice

log = logging.getLogger(__name__)


def tell(ctx: JobContext, entry_id: int, by_member_id: int) -> None:
    with ctx.db.session() as session:
        notice = logged_for_notice(session, entry_id, by_member_id)
        row = session.get(TimeEntry, entry_id)
        workspace = session.get(Workspace, row.workspace_id) if row is not None else None
        if notice is None or workspace is None:
            return
        team_id, enterprise_id = workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token: entry %s not announced", entry_id)
        return
    text, blocks = logged_for_message(notice.entry, notice.by_name)
    client.chat_postMessage(channel=notice.slack_user_id, text=text, blocks=blocks)


def register(tasks: TaskRegistry) -> None:
    tasks.add(LOGGED_FOR_TASK, tell)
